// Turns one run's measurements into gates and goals. Every label is built from GATES and GOALS, so
// that changing a threshold changes what the report says; no label spells a number of its own.
import { coreVerdicts } from "./core-goals.js";
import { importVerdicts } from "./import-goals.js";
import type { OnnxComparison } from "./onnx-compare.js";
import {
  type BenchReport,
  baselineFor,
  CALL_LABEL,
  findMeasurement,
  type GrpcCheckRecord,
  type Measurement,
  type SectionStatus,
  TARGET_LABEL,
  type Target,
} from "./report.js";
import { GATES, GOALS, gate, goal, loadGates, ratioGoal, type Verdict } from "./verdicts.js";

/** The load level the ratio and p99 goals are judged at. */
export const JUDGED_LEVEL = "c50";

const PROTOCOL_LABEL = { rest: "REST", grpc: "gRPC" } as const;
const VS_BARE = { rest: GOALS.restVsBare, grpc: GOALS.grpcVsBare } as const;

/** The labels of the goals judged at {@link JUDGED_LEVEL}, from GOALS. */
/** MiB in `mb` megabytes (10^6 bytes). */
const mibOfMB = (mb: number) => (mb * 1e6) / 2 ** 20;

export const GOAL_LABELS = Object.freeze({
  vsBare: (protocol: "rest" | "grpc") =>
    `${PROTOCOL_LABEL[protocol]} ${JUDGED_LEVEL} ≥ ${VS_BARE[protocol]}× ${TARGET_LABEL[baselineFor(protocol)]}`,
  p99: (protocol: "rest" | "grpc") =>
    `${PROTOCOL_LABEL[protocol]} ${JUDGED_LEVEL} p99 ≤ ${GOALS.p99MsAt50} ms`,
  vsSeed: `REST ${JUDGED_LEVEL} ≥ ${GOALS.vsSeed}× the seed stack`,
  oipVsNative: (protocol: "rest" | "grpc", level: string) =>
    `${CALL_LABEL[protocol].oip} ${level} ≥ ${GOALS.oipVsNative}× ${CALL_LABEL[protocol].mlops}`,
  scaling: (workers: number) => `workers ${workers}: ≥ ${GOALS.scalingVsBare}× bare cluster`,
  vsOrt: (model: string, batch: number, threads: number) =>
    `${model} batch ${batch}, ${threads} thread(s): ≥ ${GOALS.vsOrt}× onnxruntime`,
  singleRow: (model: string) => `${model} single-row call ≤ ${GOALS.singleRowUs} µs`,
  grpcLevel: (level: string) =>
    `gRPC ${level} ≥ ${GOALS.grpcVsBare}× bare grpc-js${level === "c50-grpcjs" ? " (grpc-js client, 50 in flight)" : " (h2load)"}`,
  connect: `Connect Predict (JSON) ${JUDGED_LEVEL} ≥ ${GOALS.connectVsNative}× REST /predict`,
  vsNodeOnnx: `REST ${JUDGED_LEVEL} ≥ ${GOALS.vsNodeOnnx}× node:http + onnxruntime-node`,
  perWorker: `each extra worker adds ≤ ${GOALS.perExtraWorkerMB} MB (${mibOfMB(GOALS.perExtraWorkerMB).toFixed(1)} MiB)`,
  coldStart: `cold start to the first /predict, 1,000-tree model, < ${GOALS.coldStartMs} ms`,
  training: (set: string) =>
    `GBDT fit on the ${set} ≤ ${GOALS.trainVsXgboost}× XGBoost, AUC not below its (paired 95 %)`,
  manyCores: `16+ cores: ≥ ${GOALS.scalingVsBare}× a bare node:http cluster at W = 1, 2, 4, 8`,
});

/** What one run measured, as the report holds it. */
export interface RunResults {
  measurements: Measurement[];
  grpcChecks: GrpcCheckRecord[];
  seedStack: SectionStatus;
  scaling?: BenchReport["scaling"];
  onnx: BenchReport["onnx"];
  core?: BenchReport["core"];
  imports?: BenchReport["imports"];
  budget?: BenchReport["budget"];
  memory?: BenchReport["memory"];
  training?: BenchReport["training"];
  /** Quick runs leave some sections out: their goals say so instead of judging. */
  quick?: boolean;
}

/** Gates first (they decide the exit code), then goals, then the sections that did not run. */
export function judge(results: RunResults): Verdict[] {
  return [
    ...loadVerdicts(results.measurements),
    grpcCheckGate(results.grpcChecks),
    ...oipCheckGate(results.grpcChecks),
    ...results.onnx.comparisons.map((c) =>
      gate(
        `${c.name}: onnxruntime agrees ≤ ${GATES.onnxTolerance}`,
        c.agreed,
        `max |Δp| ${c.agreement.maxAbsDiff.toExponential(2)} on ${c.agreement.rows} rows`,
      ),
    ),
    ...ratioVerdicts(results.measurements, results.seedStack),
    ...oipVerdicts(results.measurements),
    ...onnxGoals(results.onnx.comparisons),
    ...transportVerdicts(results.measurements, results.quick ?? false),
    ...memoryVerdicts(results.memory, results.quick ?? false),
    ...trainingVerdicts(results.training, results.quick ?? false),
    ...scalingVerdicts(results.scaling),
    ...(results.scaling
      ? []
      : [
          goal(
            GOAL_LABELS.manyCores,
            undefined,
            "not measured: no machine with 16+ cores in this run (--workers)",
          ),
        ]),
    ...(results.core ? coreVerdicts(results.core) : []),
    ...(results.imports ? importVerdicts(results.imports) : []),
    ...(results.onnx.status === "failed"
      ? [gate("ONNX comparison ran", false, results.onnx.reason ?? "")]
      : []),
  ];
}

function loadVerdicts(measurements: Measurement[]): Verdict[] {
  return measurements
    .filter((m) => m.target === "mlops" || m.target === "mlops-oip")
    .flatMap((m) =>
      loadGates(
        m.target === "mlops"
          ? `${PROTOCOL_LABEL[m.protocol]} ${m.level}`
          : `${CALL_LABEL[m.protocol].oip} ${m.level}`,
        m.load,
      ),
    );
}

/** The OIP infer against our own route, at every level both were measured. */
function oipVerdicts(measurements: Measurement[]): Verdict[] {
  const report = { measurements };
  return measurements
    .filter((m) => m.target === "mlops-oip")
    .map((m) => {
      const native = findMeasurement(report, "mlops", m.protocol, m.level);
      return ratioGoal(
        GOAL_LABELS.oipVsNative(m.protocol, m.level),
        m.load.rps,
        native?.load.rps,
        GOALS.oipVsNative,
      );
    });
}

/** When OIP ModelInfer was loaded, its replies were checked like Predict's. */
function oipCheckGate(grpcChecks: GrpcCheckRecord[]): Verdict[] {
  const checks = grpcChecks.filter((c) => c.target === "mlops-oip");
  if (checks.length === 0) return [];
  const failed = checks.reduce((s, c) => s + c.failed, 0);
  const firstError = checks.find((c) => c.firstError)?.firstError;
  return [
    gate(
      "gRPC OIP ModelInfer replies carry probabilities (grpc-js, before and after load)",
      failed === 0,
      `${checks.reduce((s, c) => s + c.ok, 0)} ok, ${failed} failed${firstError ? `: ${firstError}` : ""}`,
    ),
  ];
}

function grpcCheckGate(grpcChecks: GrpcCheckRecord[]): Verdict {
  const ours = grpcChecks.filter((c) => c.target === "mlops");
  const failed = ours.reduce((s, c) => s + c.failed, 0);
  const firstError = ours.find((c) => c.firstError)?.firstError;
  return gate(
    "gRPC replies are OK PredictResponses (grpc-js, before and after load)",
    failed === 0 && ours.length > 0,
    `${ours.reduce((s, c) => s + c.ok, 0)} ok, ${failed} failed${firstError ? `: ${firstError}` : ""}`,
  );
}

function ratioVerdicts(measurements: Measurement[], seedStack: SectionStatus): Verdict[] {
  const report = { measurements };
  const verdicts: Verdict[] = [];
  for (const protocol of ["rest", "grpc"] as const) {
    const o = findMeasurement(report, "mlops", protocol, JUDGED_LEVEL);
    if (!o) continue;
    const b = findMeasurement(report, baselineFor(protocol), protocol, JUDGED_LEVEL);
    verdicts.push(ratioGoal(GOAL_LABELS.vsBare(protocol), o.load.rps, b?.load.rps, VS_BARE[protocol]));
    verdicts.push(
      goal(
        GOAL_LABELS.p99(protocol),
        o.load.latencyMs.p99 <= GOALS.p99MsAt50,
        `p99 ${o.load.latencyMs.p99.toFixed(2)} ms`,
      ),
    );
  }
  const seed = findMeasurement(report, "seed-stack", "rest", JUDGED_LEVEL);
  const oursRest = findMeasurement(report, "mlops", "rest", JUDGED_LEVEL);
  if (seed && oursRest) {
    verdicts.push(ratioGoal(GOAL_LABELS.vsSeed, oursRest.load.rps, seed.load.rps, GOALS.vsSeed));
  } else {
    const why = seedStack.status === "measured" ? "no measurement to compare" : seedStack.status;
    verdicts.push(
      goal(
        GOAL_LABELS.vsSeed,
        undefined,
        `seed stack ${why}${seedStack.reason ? `: ${seedStack.reason}` : ""}`,
      ),
    );
  }
  return verdicts;
}

function onnxGoals(comparisons: OnnxComparison[]): Verdict[] {
  const verdicts: Verdict[] = [];
  for (const c of comparisons) {
    for (const cell of c.cells) {
      verdicts.push(
        goal(
          GOAL_LABELS.vsOrt(c.name, cell.batch, cell.threads),
          cell.ratio >= GOALS.vsOrt,
          `${cell.ratio.toFixed(2)}×`,
        ),
      );
      if (cell.batch === 1 && cell.threads === 1) {
        const us = 1e6 / cell.oursRowsPerS;
        verdicts.push(goal(GOAL_LABELS.singleRow(c.name), us <= GOALS.singleRowUs, `${us.toFixed(2)} µs`));
      }
    }
  }
  return verdicts;
}

function scalingVerdicts(scaling: BenchReport["scaling"]): Verdict[] {
  if (!scaling) return [];
  if (scaling.status === "failed") return [goal("worker scaling ran", false, scaling.reason ?? "")];
  return scaling.points.map((p) =>
    ratioGoal(GOAL_LABELS.scaling(p.workers), p.ours.rps, p.bare.rps, GOALS.scalingVsBare),
  );
}

/** gRPC at the other levels, Connect against our own route, and the baseline a Node team would write. */
function transportVerdicts(measurements: Measurement[], quick: boolean): Verdict[] {
  const report = { measurements };
  const rps = (target: Target, protocol: "rest" | "grpc", level: string) =>
    findMeasurement(report, target, protocol, level)?.load.rps;
  const verdicts: Verdict[] = [];
  for (const level of ["c10x10", "c50-grpcjs"]) {
    const ours = rps("mlops", "grpc", level);
    if (ours === undefined) {
      verdicts.push(
        goal(GOAL_LABELS.grpcLevel(level), undefined, quick ? "full runs only" : "not measured (no h2load)"),
      );
    } else {
      verdicts.push(
        ratioGoal(GOAL_LABELS.grpcLevel(level), ours, rps("bare-grpc-js", "grpc", level), GOALS.grpcVsBare),
      );
    }
  }
  const rest = rps("mlops", "rest", JUDGED_LEVEL) ?? 0;
  verdicts.push(
    ratioGoal(
      GOAL_LABELS.connect,
      rps("mlops-connect", "rest", JUDGED_LEVEL) ?? 0,
      rest,
      GOALS.connectVsNative,
    ),
  );
  verdicts.push(
    ratioGoal(GOAL_LABELS.vsNodeOnnx, rest, rps("node-onnx", "rest", JUDGED_LEVEL), GOALS.vsNodeOnnx),
  );
  return verdicts;
}

function memoryVerdicts(memory: BenchReport["memory"], quick: boolean): Verdict[] {
  if (!memory) {
    return [
      goal(GOAL_LABELS.perWorker, undefined, "not measured"),
      goal(GOAL_LABELS.coldStart, undefined, "not measured"),
    ];
  }
  const extra = memory.perExtraWorkerMiB;
  const sizes = memory.clusters.map((c) => c.workers).join(" → ");
  return [
    goal(
      GOAL_LABELS.perWorker,
      extra === undefined || !Number.isFinite(extra) ? undefined : extra <= mibOfMB(GOALS.perExtraWorkerMB),
      extra === undefined ? "not measured" : `${extra.toFixed(1)} MiB (summed PSS, --workers ${sizes})`,
    ),
    memory.coldStart
      ? goal(
          GOAL_LABELS.coldStart,
          memory.coldStart.bestMs < GOALS.coldStartMs,
          `${Math.round(memory.coldStart.bestMs)} ms (best of ${memory.coldStart.runsMs.length}, ${memory.coldStart.model})`,
        )
      : goal(GOAL_LABELS.coldStart, undefined, quick ? "full runs only" : "not measured"),
  ];
}

function trainingVerdicts(training: BenchReport["training"], quick: boolean): Verdict[] {
  if (!training)
    return [goal(GOAL_LABELS.training("two sets"), undefined, quick ? "full runs only" : "not measured")];
  if (training.status === "failed")
    return [goal(GOAL_LABELS.training("two sets"), false, training.reason ?? "")];
  return training.figures.map((f) => {
    if (!f.xgboost || f.timeRatio === undefined) {
      return goal(GOAL_LABELS.training(f.set), undefined, "XGBoost not available (python3-xgboost)");
    }
    // Equal AUC: ours is at least XGBoost's, or the paired interval of the difference holds 0.
    const d = f.aucDelta;
    const aucOk = f.ours.auc >= f.xgboost.auc || (d !== undefined && d.high >= 0);
    const interval = d ? ` (Δ ${d.value.toFixed(4)}, 95 % [${d.low.toFixed(4)}, ${d.high.toFixed(4)}])` : "";
    return goal(
      GOAL_LABELS.training(f.set),
      f.timeRatio <= GOALS.trainVsXgboost && aucOk,
      `${f.timeRatio.toFixed(2)}× (${f.ours.seconds.toFixed(2)} s vs ${f.xgboost.seconds.toFixed(2)} s), ` +
        `AUC ${f.ours.auc.toFixed(4)} vs ${f.xgboost.auc.toFixed(4)}${interval}`,
    );
  });
}
