// Fallback gRPC load when h2load is missing: several grpc-js channels (one TCP connection each),
// each keeping a fixed number of unary calls in flight. A JS generator saturates before a grpc-js
// server does (anchors.md: ~6.5k vs ~19k rps), so its ratios understate the server; the report
// names the generator.
import * as grpc from "@grpc/grpc-js";
import { SampleBuffer, summarize } from "./latency-stats.js";
import type { LoadResult } from "./load-result.js";

export interface GrpcJsLoadOptions {
  /** Server port on 127.0.0.1. Required. */
  port: number;
  /** Full method path, e.g. `/mlops.v1.PredictService/Predict`. Required. */
  path: string;
  /** Serialized request message (not framed). Required. */
  request: Uint8Array;
  /** Channels, each its own connection. Required. */
  connections: number;
  /** Calls in flight per channel. Default 1. */
  inflight?: number;
  /** Measured seconds. Required. */
  durationS: number;
  /** A discarded run of this many seconds first. Default 0. */
  warmupS?: number;
  /** Per-call deadline, ms. Default 10000. */
  deadlineMs?: number;
}

async function drive(
  options: GrpcJsLoadOptions,
  durationS: number,
  samples?: SampleBuffer,
): Promise<{ ok: number; errors: number; elapsedS: number; firstError?: string }> {
  const clients = Array.from(
    { length: options.connections },
    // A local subchannel pool per client: otherwise grpc-js shares one connection among them.
    () =>
      new grpc.Client(`127.0.0.1:${options.port}`, grpc.credentials.createInsecure(), {
        "grpc.use_local_subchannel_pool": 1,
      }),
  );
  const body = Buffer.from(options.request);
  const deadlineMs = options.deadlineMs ?? 10_000;
  let ok = 0;
  let errors = 0;
  let firstError: string | undefined;
  const start = process.hrtime.bigint();
  const stopAt = start + BigInt(Math.round(durationS * 1e9));
  try {
    const loop = (client: grpc.Client) =>
      new Promise<void>((resolve) => {
        const next = () => {
          const t0 = process.hrtime.bigint();
          if (t0 >= stopAt) return resolve();
          client.makeUnaryRequest(
            options.path,
            (b: Buffer) => b,
            (b: Buffer) => b,
            body,
            new grpc.Metadata(),
            { deadline: Date.now() + deadlineMs },
            (error) => {
              if (error) {
                errors++;
                firstError ??= error.message;
              } else {
                ok++;
                samples?.push(Number(process.hrtime.bigint() - t0) / 1e6);
              }
              next();
            },
          );
        };
        next();
      });
    const loops: Promise<void>[] = [];
    for (const client of clients) for (let i = 0; i < (options.inflight ?? 1); i++) loops.push(loop(client));
    await Promise.all(loops);
  } finally {
    for (const client of clients) client.close();
  }
  return { ok, errors, elapsedS: Number(process.hrtime.bigint() - start) / 1e9, firstError };
}

/** Runs the grpc-js client load and summarizes it as a {@link LoadResult}. */
export async function runGrpcJsLoad(options: GrpcJsLoadOptions): Promise<LoadResult> {
  if ((options.warmupS ?? 0) > 0) await drive(options, options.warmupS!);
  const samples = new SampleBuffer();
  const r = await drive(options, options.durationS, samples);
  return {
    generator: "grpc-js-client",
    connections: options.connections,
    inflightPerConnection: options.inflight ?? 1,
    durationS: r.elapsedS,
    ok: r.ok,
    rps: r.ok / r.elapsedS,
    latencyMs: summarize(samples.values()),
    latencySource: "per-request",
    errors: r.errors,
    non2xx: 0,
    notes: r.firstError ? [`first error: ${r.firstError}`] : undefined,
  };
}
