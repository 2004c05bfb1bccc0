// The gRPC Predict call on the wire: the length-prefixed request body h2load sends, and a grpc-js
// client (protobuf-es codecs) to prove that servers answer it correctly, since h2load only sees
// HTTP statuses and never the grpc-status trailer.

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  PredictRequestSchema,
  type PredictResponse,
  PredictResponseSchema,
} from "../../src/gen/mlops/v1/predict_pb.js";

export const PREDICT_PATH = "/mlops.v1.PredictService/Predict";

/** The serialized PredictRequest for `features`. */
export function predictRequestBytes(features: readonly number[]): Uint8Array {
  return toBinary(PredictRequestSchema, create(PredictRequestSchema, { features: [...features] }));
}

/** One gRPC message frame: compressed flag 0, 4-byte big-endian length, then the message. */
export function grpcFrame(message: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out.writeUInt8(0, 0);
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

export interface GrpcCheck {
  /** Calls that returned OK with a well-formed PredictResponse. */
  ok: number;
  /** Calls that failed, or returned a malformed reply. */
  failed: number;
  /** The size of one framed reply (5 + message bytes) as the server sent it, for h2load's data check. */
  replyFrameBytes: number;
  /** First failure, for the report. */
  firstError?: string;
}

function wellFormed(res: PredictResponse): boolean {
  const sum = res.probability.reduce((s, p) => s + p, 0);
  return (
    res.prediction !== undefined &&
    res.probability.length >= 2 &&
    Math.abs(sum - 1) < 1e-6 &&
    res.prediction >= 0 &&
    res.prediction < res.probability.length
  );
}

/** `calls` sequential unary Predict calls with a fresh grpc-js channel; bounded by per-call deadlines. */
export function checkGrpcPredict(port: number, features: readonly number[], calls = 5): Promise<GrpcCheck> {
  return checkGrpcCall(port, PREDICT_PATH, predictRequestBytes(features), calls, (raw) => {
    const res = fromBinary(PredictResponseSchema, raw);
    if (!wellFormed(res)) throw new Error(`malformed reply ${JSON.stringify(res.probability)}`);
  });
}

/**
 * `calls` sequential unary calls of `path` with `request`, each reply checked by `check` (which
 * throws on a malformed one); a fresh grpc-js channel, per-call deadlines.
 */
export async function checkGrpcCall(
  port: number,
  path: string,
  request: Uint8Array,
  calls: number,
  check: (reply: Buffer) => void,
): Promise<GrpcCheck> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const result: GrpcCheck = { ok: 0, failed: 0, replyFrameBytes: 0 };
  try {
    // A server whose HTTP side answers may still be binding its gRPC port: connect first.
    await new Promise<void>((resolve) => client.waitForReady(Date.now() + 10_000, () => resolve()));
    for (let i = 0; i < calls; i++) {
      try {
        const raw = await new Promise<Buffer>((resolve, reject) => {
          client.makeUnaryRequest(
            path,
            (b: Buffer) => b,
            (b: Buffer) => b,
            Buffer.from(request),
            new grpc.Metadata(),
            { deadline: Date.now() + 5000 },
            (error, value) => (error || !value ? reject(error ?? new Error("empty reply")) : resolve(value)),
          );
        });
        check(raw);
        result.ok++;
        result.replyFrameBytes = 5 + raw.length;
      } catch (error) {
        result.failed++;
        result.firstError ??= (error as Error).message;
      }
    }
  } finally {
    client.close();
  }
  return result;
}
