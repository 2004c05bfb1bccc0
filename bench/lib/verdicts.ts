// Gates fail the run; goals are printed as pass or miss and never fail it. The gates are the
// seed's published targets (our floor); the goals are from docs/benchmarks.md and the anchors.
import type { LoadResult } from "./load-result.js";

export const GATES = Object.freeze({
  /** p95 latency must stay below this, ms. */
  p95Ms: 1000,
  /** Successful requests per second at least. */
  minRps: 100,
  /** Errors plus non-2xx replies at most. */
  maxErrors: 0,
  /** |ours − onnxruntime| on the test rows at most (when the ONNX comparison runs). */
  onnxTolerance: 1e-5,
});

export const GOALS = Object.freeze({
  /** REST rps ≥ this × bare node:http at 50 connections, one worker. */
  restVsBare: 0.85,
  /** gRPC rps ≥ this × bare grpc-js: h2load at 50 × 1 and 10 × 10, the grpc-js client at 50 in flight. */
  grpcVsBare: 1.0,
  /** Connect's unary Predict (JSON) ≥ this × our REST /predict at 50 connections. */
  connectVsNative: 0.8,
  /** REST rps ≥ this × node:http + onnxruntime-node (one row per call) at 50 connections. */
  vsNodeOnnx: 2,
  /**
   * Memory one more `--workers` process adds (the cluster's summed PSS), MB (10^6 bytes) at most:
   * the issue's unit, 57.2 MiB.
   */
  perExtraWorkerMB: 60,
  /** `mlops serve --no-bootstrap` spawn → first successful /predict with a 1,000-tree model, ms at most. */
  coldStartMs: 1000,
  /** GBDT fit time ≤ this × XGBoost hist's (same trees, depth, learning rate, threads), AUC at least XGBoost's. */
  trainVsXgboost: 0.6,
  /** p99 at 50 connections at most, ms. */
  p99MsAt50: 10,
  /** The Open Inference Protocol's infer ≥ this × our own route's rps (REST /predict, gRPC Predict), per level. */
  oipVsNative: 0.8,
  /** REST rps ≥ this × the seed stack at 50 connections. */
  vsSeed: 50,
  /** With W workers, rps ≥ this × a bare node:http cluster of W. */
  scalingVsBare: 0.7,
  /** Native rows/s ≥ this × onnxruntime-node at equal threads, in every batch × threads cell. */
  vsOrt: 3,
  /** A single-row call on one thread at most, µs (RF 100×10 and GBDT 300×6). */
  singleRowUs: 1.5,
  /** GBDT 300×6, batches of 64 and 10,000 rows on one thread: µs per row at most. */
  coreGbdtUsPerRow: 0.5,
  /** RF 100×10, batches of 64 and 10,000 rows on one thread: µs per row at most. */
  coreRfUsPerRow: 0.35,
  /** GBDT 300×6 batched on one thread ≥ this × XGBoost's own predictor (inplace_predict). */
  coreVsXgboost: 7,
  /** 10,000 rows on 2 threads ≥ this × twice the 1-thread rate. */
  coreThreadScaling: 0.8,
  /** An imported XGBoost 300×6 model scores ≥ this × our own GBDT of the same shape (batch 1, 64, 10k). */
  importedVsOwn: 0.95,
  /** The imported XGBoost 300×6 model ≥ this × onnxruntime-node on the same model (batch 1, 64, 10k). */
  importedVsOrt: 5,
  /** Importing a 1,000-tree XGBoost model takes at most this many ms. */
  importMs: 1000,
  /** The web UI's runs page shows its first page of 10,000 runs in Chromium within this many ms. */
  uiFirstPageMs: 1000,
  /** SearchRuns sorted by a metric over 10,000 runs answers its first page within this many ms. */
  uiMetricSortMs: 200,
  /** A registry read (a model version) on PostgreSQL at 50 concurrent clients: p99 at most, ms. */
  registryReadP99Ms: 10,
  /** A stage transition on PostgreSQL at 50 concurrent clients: p99 at most, ms. */
  registryTransitionP99Ms: 25,
  /** Predict rps of three replicas on PostgreSQL ≥ this × one replica on SQLite. */
  replicasVsSqlite: 1,
});

export type VerdictStatus = "pass" | "fail" | "miss" | "n/a";

export interface Verdict {
  kind: "gate" | "goal";
  name: string;
  status: VerdictStatus;
  detail: string;
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : String(n));

export function gate(name: string, ok: boolean, detail: string): Verdict {
  return { kind: "gate", name, status: ok ? "pass" : "fail", detail };
}

export function goal(name: string, ok: boolean | undefined, detail: string): Verdict {
  return { kind: "goal", name, status: ok === undefined ? "n/a" : ok ? "pass" : "miss", detail };
}

/** The seed's targets on one load run of our server: p95, throughput and zero errors. */
export function loadGates(label: string, load: LoadResult): Verdict[] {
  const bad = load.errors + load.non2xx;
  return [
    gate(
      `${label} p95 < ${GATES.p95Ms} ms`,
      load.latencyMs.p95 < GATES.p95Ms,
      `p95 ${fmt(load.latencyMs.p95, 2)} ms`,
    ),
    gate(`${label} ≥ ${GATES.minRps} rps`, load.rps >= GATES.minRps, `${fmt(load.rps, 0)} rps`),
    gate(
      `${label} ${GATES.maxErrors} errors`,
      bad <= GATES.maxErrors,
      `${load.errors} errors, ${load.non2xx} non-2xx${load.notes ? ` (${load.notes.join("; ")})` : ""}`,
    ),
  ];
}

/** ours/baseline ≥ min; "n/a" when the baseline did not run. */
export function ratioGoal(name: string, ours: number, baseline: number | undefined, min: number): Verdict {
  if (baseline === undefined || !(baseline > 0)) return goal(name, undefined, "baseline not measured");
  const r = ours / baseline;
  return goal(name, r >= min, `${fmt(r, 2)}× (goal ≥ ${min}×)`);
}

export function failedGates(verdicts: readonly Verdict[]): Verdict[] {
  return verdicts.filter((v) => v.kind === "gate" && v.status === "fail");
}
