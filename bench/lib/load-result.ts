// What every load run reports, whichever generator produced it.
import type { LatencySummary } from "./latency-stats.js";

export type LoadGenerator = "autocannon" | "h2load" | "grpc-js-client";

export interface LoadResult {
  generator: LoadGenerator;
  /** Client connections (TCP). */
  connections: number;
  /** Requests in flight per connection (h2load -m, autocannon pipelining, grpc-js calls per channel). */
  inflightPerConnection: number;
  /** Measured seconds (excluding warm-up). */
  durationS: number;
  /** Completed requests with a successful status. */
  ok: number;
  /** Successful requests per second. */
  rps: number;
  latencyMs: LatencySummary;
  /** Where the percentiles come from: every request's own time, or the generator's histogram. */
  latencySource: "per-request" | "generator-histogram";
  /** Transport errors, timeouts, resets, failed streams and wrong replies. */
  errors: number;
  /** Replies with a non-2xx HTTP status (or, for gRPC, a non-OK grpc-status when the generator can tell). */
  non2xx: number;
  /** Anything worth knowing about this run (e.g. how errors were inferred). */
  notes?: string[];
}
