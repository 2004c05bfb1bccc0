// REST load with autocannon's programmatic API. In-process (workers 0), every response's own time
// is recorded, so p50/p95/p99 are exact; autocannon's histogram has whole-millisecond resolution
// and no p95. With worker threads (for many-core scaling runs) only its histogram is available.
import autocannon from "autocannon";
import { SampleBuffer, summarize } from "./latency-stats.js";
import type { LoadResult } from "./load-result.js";

export interface RestLoadOptions {
  /** Full URL, e.g. `http://127.0.0.1:8000/predict`. Required. */
  url: string;
  /** Request body (JSON). Required. */
  body: string;
  /** Concurrent connections. Required. */
  connections: number;
  /** Measured seconds. Required. */
  durationS: number;
  /** A discarded run of this many seconds first (JIT, connection pools). Default 0. */
  warmupS?: number;
  /** Requests in flight per connection. Default 1 (no pipelining: one request at a time per client). */
  pipelining?: number;
  /** autocannon worker threads; 0 runs in this thread with exact per-request latencies. Default 0. */
  workers?: number;
  /** Per-request timeout in seconds; a timeout counts as an error. Default 10. */
  timeoutS?: number;
}

type Result = autocannon.Result & { mismatches?: number; resets?: number };

function cannon(
  opts: autocannon.Options,
  onResponse?: (ms: number, status: number) => void,
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(opts, (error, result) => (error ? reject(error) : resolve(result as Result)));
    if (onResponse) {
      instance.on("response", (_client: unknown, status: number, _bytes: number, ms: number) =>
        onResponse(ms, status),
      );
    }
  });
}

/** Runs autocannon POST against `url` and summarizes it as a {@link LoadResult}. */
export async function runRestLoad(options: RestLoadOptions): Promise<LoadResult> {
  const workers = options.workers ?? 0;
  const base: autocannon.Options = {
    url: options.url,
    method: "POST",
    body: options.body,
    headers: { "content-type": "application/json" },
    connections: options.connections,
    pipelining: options.pipelining ?? 1,
    timeout: options.timeoutS ?? 10,
    duration: options.durationS,
    ...(workers > 0 ? { workers } : {}),
  };
  if ((options.warmupS ?? 0) > 0) await cannon({ ...base, duration: options.warmupS! });
  const samples = new SampleBuffer();
  const result = await cannon(
    base,
    workers > 0
      ? undefined
      : (ms, status) => {
          if (status >= 200 && status < 300) samples.push(ms);
        },
  );
  const ok = result["2xx"];
  const durationS = result.duration > 0 ? result.duration : options.durationS;
  const notes: string[] = [];
  let latencyMs: LoadResult["latencyMs"];
  if (workers > 0) {
    // autocannon has p97.5 and p99 but no p95: p97.5 stands in, and says so.
    latencyMs = {
      p50: result.latency.p50,
      p95: result.latency.p97_5,
      p99: result.latency.p99,
      mean: result.latency.average,
      max: result.latency.max,
    };
    notes.push("latency from autocannon's histogram (1 ms resolution); p95 column holds p97.5");
  } else {
    latencyMs = summarize(samples.values());
  }
  return {
    generator: "autocannon",
    connections: options.connections,
    inflightPerConnection: options.pipelining ?? 1,
    durationS,
    ok,
    rps: ok / durationS,
    latencyMs,
    latencySource: workers > 0 ? "generator-histogram" : "per-request",
    errors: result.errors + (result.mismatches ?? 0) + (result.resets ?? 0),
    non2xx: result.non2xx,
    notes: notes.length ? notes : undefined,
  };
}
