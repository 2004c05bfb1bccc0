// The Open Inference Protocol's infer call on the wire, for the load runs: the REST body and the
// gRPC ModelInferRequest carrying the seed's row as one FP64 tensor [1, 20], and a grpc-js check
// that ModelInfer answers with well-formed probabilities (h2load sees only HTTP statuses).
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  ModelInferRequestSchema,
  ModelInferResponseSchema,
} from "../../src/gen/inference/open_inference_grpc_pb.js";
import { checkGrpcCall, type GrpcCheck } from "./grpc-wire.js";

export const OIP_INFER_PATH = "/inference.GRPCInferenceService/ModelInfer";

/** `POST /v2/models/{name}/infer` for the served model. */
export const oipRestUrl = (port: number, model: string) =>
  `http://127.0.0.1:${port}/v2/models/${model}/infer`;

/** The REST infer body: one input tensor of shape [1, n] holding `features`. */
export function oipRestBody(features: readonly number[]): string {
  return JSON.stringify({
    inputs: [{ name: "features", shape: [1, features.length], datatype: "FP64", data: features }],
  });
}

/** The serialized ModelInferRequest for one row, as `contents` (what most clients send). */
export function oipInferRequestBytes(model: string, features: readonly number[]): Uint8Array {
  return toBinary(
    ModelInferRequestSchema,
    create(ModelInferRequestSchema, {
      modelName: model,
      inputs: [
        {
          name: "features",
          datatype: "FP64",
          shape: [1n, BigInt(features.length)],
          contents: { fp64Contents: [...features] },
        },
      ],
    }),
  );
}

/** Sequential ModelInfer calls; each reply must carry probabilities for one row that sum to 1. */
export function checkGrpcOip(
  port: number,
  model: string,
  features: readonly number[],
  calls = 5,
): Promise<GrpcCheck> {
  return checkGrpcCall(port, OIP_INFER_PATH, oipInferRequestBytes(model, features), calls, (raw) => {
    const res = fromBinary(ModelInferResponseSchema, raw);
    const p = res.outputs.find((o) => o.name === "probabilities")?.contents?.fp64Contents ?? [];
    const sum = p.reduce((s, x) => s + x, 0);
    if (p.length < 2 || Math.abs(sum - 1) > 1e-6) throw new Error(`malformed reply ${JSON.stringify(p)}`);
  });
}
