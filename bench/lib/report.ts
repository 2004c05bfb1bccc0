// The benchmark's result: one JSON document, and the same content as markdown tables (padded, so
// the markdown also reads well on a terminal).
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type CoreSection, coreLines } from "./core-goals.js";
import { type ImportSection, importLines } from "./import-goals.js";
import type { LoadGenerator, LoadResult } from "./load-result.js";
import type { MachineInfo } from "./machine.js";
import type { MemorySection } from "./memory-goals.js";
import type { TrainedModel } from "./mlops-server.js";
import type { OnnxComparison } from "./onnx-compare.js";
import type { RestBudget } from "./rest-budget.js";
import type { TrainingSection } from "./training-goals.js";
import { GOALS, type Verdict } from "./verdicts.js";

/**
 * "mlops-oip" and "mlops-connect" are our server too, called through the Open Inference Protocol
 * or Connect (JSON) instead of our own routes. "node-onnx" is what a Node team would write instead:
 * node:http scoring with onnxruntime-node, one row per call.
 */
export type Target =
  | "mlops"
  | "mlops-oip"
  | "mlops-connect"
  | "bare-node-http"
  | "bare-grpc-js"
  | "node-onnx"
  | "seed-stack";

export const TARGET_LABEL: Record<Target, string> = {
  mlops: "mlops",
  "mlops-oip": "mlops (OIP)",
  "mlops-connect": "mlops (Connect)",
  "bare-node-http": "bare node:http",
  "bare-grpc-js": "bare grpc-js",
  "node-onnx": "node:http + onnxruntime",
  "seed-stack": "seed FastAPI+sklearn",
};

export interface Measurement {
  target: Target;
  protocol: "rest" | "grpc";
  /** "c1", "c50", "c10x10", "c50-grpcjs" (gRPC from the grpc-js client), … */
  level: string;
  load: LoadResult;
  /** The server process's CPU time (user + system, all threads) per successful request, µs. */
  serverCpuUs?: number;
  /** Every round's rps in the order they ran (`load` is the fastest); absent when run once. */
  roundsRps?: number[];
}

export interface ScalingPoint {
  workers: number;
  ours: LoadResult;
  bare: LoadResult;
  /** ours.rps / bare.rps. */
  ratio: number;
}

export interface SectionStatus {
  status: "measured" | "skipped" | "failed";
  reason?: string;
}

export interface GrpcCheckRecord {
  target: Target;
  phase: "before" | "after";
  ok: number;
  failed: number;
  firstError?: string;
}

export interface BenchReport {
  schema: 1;
  command: string;
  mode: "quick" | "full";
  machine: MachineInfo;
  elapsedS: number;
  /** The model behind the gated runs. */
  served: { modelName: string; family: string; nEstimators: number; maxDepth: number; version: number };
  models: TrainedModel[];
  generators: { rest: LoadGenerator; grpc: LoadGenerator };
  /** taskset CPU lists, when given. */
  pinning: { serverCpus?: string; loadCpus?: string };
  /** Rounds of the server comparisons (`--rounds`); each row keeps its fastest. Absent: one. */
  rounds?: number;
  measurements: Measurement[];
  grpcChecks: GrpcCheckRecord[];
  seedStack: SectionStatus;
  scaling?: SectionStatus & {
    serverCpus?: string;
    loadCpus?: string;
    connections: number;
    points: ScalingPoint[];
  };
  onnx: SectionStatus & { comparisons: OnnxComparison[] };
  /** The core's goals on the anchor models (full runs). */
  core?: CoreSection;
  /** Imported XGBoost models against our GBDT and onnxruntime-node (full runs). */
  imports?: ImportSection;
  /** Where a REST request's time goes (bench/lib/rest-budget.ts). */
  budget?: RestBudget;
  /** Memory per process and per extra worker, cold start. */
  memory?: MemorySection;
  /** GBDT training beside XGBoost (full runs). */
  training?: TrainingSection;
  verdicts: Verdict[];
  notes: string[];
  passed: boolean;
}

function table(headers: string[], rows: string[][], right: boolean[] = []): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (right[i] ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2))).join("|")}|`;
  return [line(headers), rule, ...rows.map(line)].join("\n");
}

const n0 = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "–");
const ms = (x: number) => (Number.isFinite(x) ? (x < 10 ? x.toFixed(2) : x.toFixed(1)) : "–");
const ratio = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? "–" : `${x.toFixed(2)}×`);

/** What a load run calls: our own routes, the Open Inference Protocol's infer, or Connect's Predict. */
export const CALL_LABEL = {
  rest: { mlops: "REST /predict", oip: "REST OIP infer", connect: "Connect Predict (JSON)" },
  grpc: { mlops: "gRPC Predict", oip: "gRPC OIP ModelInfer", connect: "gRPC Predict" },
} as const;

/** How much faster a cell's fastest round was than its slowest: the host's noise, seen in that cell. */
export function spreadOf(roundsRps: readonly number[] | undefined): string {
  if (!roundsRps || roundsRps.length < 2) return "–";
  const slowest = Math.min(...roundsRps);
  return slowest > 0 ? `${Math.round((Math.max(...roundsRps) / slowest - 1) * 100)} %` : "–";
}

function callOf(m: Measurement): string {
  const kind = m.target === "mlops-oip" ? "oip" : m.target === "mlops-connect" ? "connect" : "mlops";
  return CALL_LABEL[m.protocol][kind];
}

/** The baseline a measurement of ours is divided by. */
export function baselineFor(protocol: "rest" | "grpc"): Target {
  return protocol === "rest" ? "bare-node-http" : "bare-grpc-js";
}

export function findMeasurement(
  report: Pick<BenchReport, "measurements">,
  target: Target,
  protocol: "rest" | "grpc",
  level: string,
): Measurement | undefined {
  return report.measurements.find((m) => m.target === target && m.protocol === protocol && m.level === level);
}

function loadTable(report: BenchReport): string {
  const rows = report.measurements.map((m) => {
    let vs = "";
    if (m.target === "mlops-oip" || m.target === "mlops-connect") {
      const native = findMeasurement(report, "mlops", m.protocol, m.level);
      if (native) vs = `${ratio(m.load.rps / native.load.rps)} our ${CALL_LABEL[m.protocol].mlops}`;
    }
    if (m.target === "mlops") {
      const base = findMeasurement(report, baselineFor(m.protocol), m.protocol, m.level);
      const seed = m.protocol === "rest" ? findMeasurement(report, "seed-stack", "rest", m.level) : undefined;
      const onnx = m.protocol === "rest" ? findMeasurement(report, "node-onnx", "rest", m.level) : undefined;
      const parts = [];
      if (base) parts.push(`${ratio(m.load.rps / base.load.rps)} ${TARGET_LABEL[base.target]}`);
      if (onnx) parts.push(`${ratio(m.load.rps / onnx.load.rps)} node+onnxruntime`);
      if (seed) parts.push(`${ratio(m.load.rps / seed.load.rps)} seed`);
      vs = parts.join(", ");
    }
    const inflight = m.load.inflightPerConnection > 1 ? `×${m.load.inflightPerConnection}` : "";
    const generator = m.load.generator === "grpc-js-client" ? " (grpc-js client)" : "";
    return [
      `${callOf(m)}${generator}`,
      `${m.load.connections}${inflight}`,
      TARGET_LABEL[m.target],
      n0(m.load.rps),
      ms(m.load.latencyMs.p50),
      ms(m.load.latencyMs.p95),
      ms(m.load.latencyMs.p99),
      String(m.load.errors + m.load.non2xx),
      spreadOf(m.roundsRps),
      vs,
    ];
  });
  return table(
    ["call", "conns", "server", "rps", "p50 ms", "p95 ms", "p99 ms", "errors", "spread", "ours / baseline"],
    rows,
    [false, true, false, true, true, true, true, true, true, false],
  );
}

function scalingTable(points: ScalingPoint[]): string {
  return table(
    [
      "workers",
      "mlops rps",
      "mlops p99 ms",
      "bare cluster rps",
      "bare p99 ms",
      "ratio",
      `goal ≥ ${GOALS.scalingVsBare}×`,
    ],
    points.map((p) => [
      String(p.workers),
      n0(p.ours.rps),
      ms(p.ours.latencyMs.p99),
      n0(p.bare.rps),
      ms(p.bare.latencyMs.p99),
      ratio(p.ratio),
      p.ratio >= GOALS.scalingVsBare ? "pass" : "miss",
    ]),
    [true, true, true, true, true, true, false],
  );
}

function onnxTable(comparisons: OnnxComparison[]): string {
  const rows: string[][] = [];
  for (const c of comparisons) {
    for (const cell of c.cells) {
      rows.push([
        `${c.name} (${c.nTrees} trees, ${n0(c.nNodes)} nodes)`,
        String(cell.batch),
        String(cell.threads),
        n0(cell.oursRowsPerS),
        n0(cell.ortRowsPerS),
        ratio(cell.ratio),
        cell.batch === 1 ? `${(1e6 / cell.oursRowsPerS).toFixed(2)} µs/call` : "",
      ]);
    }
  }
  return table(["model", "batch", "threads", "mlops rows/s", "onnxruntime rows/s", "ratio", ""], rows, [
    false,
    true,
    true,
    true,
    true,
    true,
    false,
  ]);
}

function agreementLines(comparisons: OnnxComparison[]): string[] {
  return comparisons.map(
    (c) =>
      `- ${c.name}: max |mlops − onnxruntime| = ${c.agreement.maxAbsDiff.toExponential(2)} over ${c.agreement.rows} test rows ` +
      `(float64 input, double thresholds; tolerance ${c.tolerance}); ${c.agreement.labelMismatches} label flips. ` +
      `With float32 input and thresholds: ${c.agreementFloat.maxAbsDiff.toExponential(2)}, ${c.agreementFloat.labelMismatches} label flips. ` +
      `onnxruntime ${c.ortVersion} timed on the ${c.ortTiming === "float" ? "float32" : "float64"} export; mlops on float64 rows.`,
  );
}

function verdictTable(verdicts: Verdict[]): string {
  return table(
    ["kind", "check", "result", "detail"],
    verdicts.map((v) => [v.kind, v.name, v.status.toUpperCase(), v.detail]),
  );
}

const us = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "–");
const mib = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "–");

function budgetLines(b: RestBudget): string[] {
  const rows = b.stages.map((st) => [st.stage, us(st.usPerRequest), st.what]);
  rows.push(["Σ stages", us(b.sumUs), ""]);
  rows.push(["whole JS path", us(b.jsPathUs), "pipeline + lean route + service + batcher + native, no HTTP"]);
  const lines = [
    `Each stage of the server's own code, timed in the benchmark process on the seed's request with ${b.burst} rows in flight (best of several rounds).`,
    "",
    table(["stage", "µs/request", "what was timed"], rows, [false, true, false]),
  ];
  if (b.serverCpuUs) {
    const { ours, bare } = b.serverCpuUs;
    lines.push(
      "",
      `Server CPU per request in the ${"c50"} REST runs (user + system, all threads, /proc): mlops ${us(ours)} µs, ` +
        `bare node:http ${us(bare)} µs; the difference, ${us(ours - bare)} µs, is what the stages above cost ` +
        "beyond the bare server's own parse, sigmoid and reply (plus the shared machine's noise).",
    );
  }
  return lines;
}

function memoryLines(m: MemorySection): string[] {
  const rows: string[][] = [];
  for (const s of [...m.single, ...m.clusters]) {
    for (const p of s.processes) {
      rows.push([s.model, String(s.workers), p.role, mib(p.rssMiB), mib(p.pssMiB)]);
    }
    if (s.processes.length > 1)
      rows.push([s.model, String(s.workers), "total", mib(s.totalRssMiB), mib(s.totalPssMiB)]);
  }
  const lines = [
    "After a few hundred requests. RSS counts pages shared between processes in each of them; PSS splits them, so a cluster's PSS adds up to the memory it uses.",
    "",
    table(["model", "workers", "process", "RSS MiB", "PSS MiB"], rows, [false, true, false, true, true]),
  ];
  if (m.perExtraWorkerMiB !== undefined) {
    const runs = m.perExtraWorkerRunsMiB ?? [];
    const of = runs.length > 1 ? `; the median of ${runs.length} pairs, ${runs.map(mib).join(", ")}` : "";
    lines.push("", `One more worker adds ${mib(m.perExtraWorkerMiB)} MiB (summed PSS${of}).`);
  }
  if (m.coldStart) {
    lines.push(
      "",
      `Cold start, \`mlops serve --no-bootstrap\` spawned → first successful /predict, ${m.coldStart.model}: ` +
        `${m.coldStart.runsMs.map((x) => `${Math.round(x)} ms`).join(", ")} (best ${Math.round(m.coldStart.bestMs)} ms).`,
    );
  }
  return lines;
}

function trainingLines(t: TrainingSection): string[] {
  if (t.status !== "measured") return [`${t.status}: ${t.reason ?? ""}`];
  return [
    "300 trees, depth 6, learning rate 0.1, the same threads; best of 2 fits each; held-out AUC (3 classes: mean one-vs-rest). AUC Δ is mlops − XGBoost with a 95 % interval over 1,000 paired bootstrap resamples of the test rows (an interval holding 0 counts as equal). XGBoost: the faster of OMP_WAIT_POLICY=ACTIVE (its default, bounded to 60 s: spinning is pathological on shared cores) and PASSIVE.",
    "",
    table(
      [
        "set",
        "threads",
        "mlops s",
        "mlops AUC",
        "XGBoost s",
        "XGBoost AUC",
        "AUC Δ [paired 95 %]",
        "time ratio",
      ],
      t.figures.map((f) => [
        f.set,
        String(f.threads),
        f.ours.seconds.toFixed(2),
        f.ours.auc.toFixed(4),
        f.xgboost ? f.xgboost.seconds.toFixed(2) : "–",
        f.xgboost ? f.xgboost.auc.toFixed(4) : "–",
        f.aucDelta
          ? `${f.aucDelta.value.toFixed(4)} [${f.aucDelta.low.toFixed(4)}, ${f.aucDelta.high.toFixed(4)}]`
          : "–",
        ratio(f.timeRatio),
      ]),
      [false, true, true, true, true, true, true, true],
    ),
  ];
}

/** The whole report as markdown. */
export function renderMarkdown(report: BenchReport): string {
  const m = report.machine;
  const out: string[] = [];
  out.push(`# mlops benchmark (${report.mode})`, "");
  out.push(
    table(
      ["machine", ""],
      [
        ["cpu", m.cpuModel],
        ["cores", String(m.cores)],
        ["memory", `${m.memoryGiB} GiB`],
        ["node", m.node],
        ["os", m.os],
        ["date", m.date],
        ["command", `\`${report.command}\``],
        ["elapsed", `${report.elapsedS.toFixed(0)} s`],
      ],
    ),
    "",
  );
  const s = report.served;
  out.push(
    `Served: \`${s.modelName}\` v${s.version}, ${s.family} ${s.nEstimators} trees × depth ${s.maxDepth}, one worker. ` +
      `REST load: ${report.generators.rest}; gRPC load: ${report.generators.grpc}. ` +
      (report.pinning.serverCpus || report.pinning.loadCpus
        ? `Servers pinned to CPUs ${report.pinning.serverCpus ?? "any"}, load generators to CPUs ${report.pinning.loadCpus ?? "any"}. `
        : "The load generator shares the machine's cores with the server. ") +
      ((report.rounds ?? 1) > 1
        ? `Every server comparison ran ${report.rounds} times, in rounds one after the other (ours beside its baselines in each, odd rounds backward); a row shows its fastest round, with the errors of all rounds, and its spread: how much faster that round was than its slowest. `
        : "") +
      "Latencies are per request.",
    "",
  );
  out.push("## Load", "", loadTable(report), "");
  if (report.budget) out.push("## Where a REST request's time goes", "", ...budgetLines(report.budget), "");
  if (report.memory) out.push("## Memory and cold start", "", ...memoryLines(report.memory), "");
  if (report.seedStack.status !== "measured") {
    out.push(
      `Seed stack: ${report.seedStack.status}${report.seedStack.reason ? ` (${report.seedStack.reason})` : ""}.`,
      "",
    );
  }
  if (report.scaling) {
    out.push("## Worker scaling", "");
    if (report.scaling.status === "measured") {
      out.push(
        `REST at ${report.scaling.connections} connections; servers on CPUs ${report.scaling.serverCpus ?? "any"}, ` +
          `load on CPUs ${report.scaling.loadCpus ?? "any"}.`,
        "",
        scalingTable(report.scaling.points),
        "",
      );
    } else {
      out.push(`${report.scaling.status}: ${report.scaling.reason ?? ""}`, "");
    }
  }
  out.push("## Native core vs onnxruntime-node", "");
  if (report.onnx.comparisons.length > 0) {
    out.push(...agreementLines(report.onnx.comparisons), "", onnxTable(report.onnx.comparisons), "");
  }
  if (report.onnx.status !== "measured") out.push(`${report.onnx.status}: ${report.onnx.reason ?? ""}`, "");
  if (report.core) out.push("## Native core on the anchor models", "", ...coreLines(report.core), "");
  if (report.imports) out.push("## Imported models", "", ...importLines(report.imports), "");
  if (report.training) out.push("## Training beside XGBoost", "", ...trainingLines(report.training), "");
  out.push("## Gates and goals", "", verdictTable(report.verdicts), "");
  if (report.notes.length > 0) out.push("## Notes", "", ...report.notes.map((n) => `- ${n}`), "");
  out.push(`Result: ${report.passed ? "PASS" : "FAIL"} (gates ${report.passed ? "met" : "failed"}).`, "");
  return out.join("\n");
}

/** Writes `<dir>/latest.json` and `<dir>/latest.md`; returns their paths. */
export async function writeReport(report: BenchReport, dir: string): Promise<{ json: string; md: string }> {
  await mkdir(dir, { recursive: true });
  const json = join(dir, "latest.json");
  const md = join(dir, "latest.md");
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(md, renderMarkdown(report));
  return { json, md };
}
