// Train → evaluate → store → register (→ promote), recorded as one tracked run. UI-free: the CLI's
// `mlops train` and the server's bootstrap both call it and draw their own progress.
import { userInfo } from "node:os";
import { DataError, type Dataset } from "../core/data/dataset.js";
import { splitRows } from "../core/data/split.js";
import { classificationReport } from "../core/metrics.js";
import type { ClassifierModel } from "../core/model.js";
import { train } from "../core/train.js";
import { resolveTrainOptions, type TrainOptions } from "../core/train-options.js";
import type { Logger } from "../observability/logger.js";
import {
  type ArtifactStore,
  ensureRegisteredModel,
  getOrCreateExperiment,
  parseStage,
  type RunStatus,
  type Stage,
  type Store,
} from "../store/index.js";
import { classLabelTags } from "./class-labels.js";
import {
  type DataSource,
  describeDataSource,
  loadDataSource,
  type ResolvedDataSource,
  resolveDataSource,
} from "./data-source.js";
import { METRIC_KEYS, type MetricKey, toRunParams } from "./run-record.js";

/** What happens in order; reported through {@link TrainAndRegisterOptions.onPhase}. */
export type TrainPhase = "load" | "train" | "evaluate" | "register" | "promote";

export interface TrainAndRegisterOptions {
  /** Tracking and registry store. Required. */
  store: Store;
  /** Where the model's bytes go (content-addressed). Required. */
  artifacts: Pick<ArtifactStore, "put">;
  /** Training rows. Default `{ kind: "synthetic" }` (see DEFAULT_SYNTHETIC: 5000 × 20, seed 42). */
  data?: DataSource;
  /** Family and hyperparameters, as `resolveTrainOptions` takes them. Default `{}` (GBDT, core defaults). */
  train?: TrainOptions;
  /** Registered model to add a version to; created when missing. Default `"ml_classifier"`. */
  modelName?: string;
  /** Experiment of the run; created when missing. Default `"Default"` (MLflow's built-in experiment 0). */
  experiment?: string;
  /** Run name. Default: the store's (`run-<first 8 hex of the id>`). */
  runName?: string;
  /** Share of rows, from the end, held out for the metrics (ordered split). Default 0.2. */
  testFraction?: number;
  /** Who started it, recorded as the run's `mlops.source` tag. Default `"cli"`. */
  source?: "cli" | "bootstrap";
  /** Recorded in the audit log for the promotion. Default `<source>:<os user>`. */
  actor?: string;
  /** Stage to move the new version to (case-insensitive), archiving the versions there. Default: none. */
  promote?: Stage | string;
  /** Audit comment for the promotion. Default `"promoted by <source> after training run <id>"`. */
  promoteComment?: string;
  /** Model version description. Default: family, data and held-out ROC AUC in one line. */
  description?: string;
  /** Extra run tags. Default none. */
  tags?: Record<string, string>;
  /** Training progress (rounds or trees done of total). Default none. */
  onProgress?: (done: number, total: number) => void;
  /** Called once the tracked run exists (e.g. to print its id). Default none. */
  onRun?: (run: { id: string; name: string; experimentId: string }) => void;
  /** Each step as it starts. Default none. */
  onPhase?: (phase: TrainPhase) => void;
  /** Aborting cancels training; the run ends KILLED and the promise rejects. Default none. */
  signal?: AbortSignal;
  /** Structured logs (debug/info). Default none. */
  logger?: Logger;
}

/** Held-out metrics under the keys they are logged with. */
export type HeldOutMetrics = Record<MetricKey, number>;

export interface TrainAndRegisterResult {
  experimentId: string;
  experimentName: string;
  runId: string;
  runName: string;
  modelName: string;
  version: number;
  /** The new version's stage: `None`, or the promotion's target. */
  stage: Stage;
  artifactSha256: string;
  artifactBytes: number;
  metrics: HeldOutMetrics;
  /** Exactly what was logged as the run's params. */
  params: Record<string, string>;
  nTrain: number;
  nTest: number;
  /** Wall time of `train()` alone, in ms. */
  trainMs: number;
  /** Versions the promotion archived (empty without `promote`). */
  archivedVersions: number[];
  /** The trained model, for callers that want to use it at once. */
  model: ClassifierModel;
}

export const TRAIN_DEFAULTS = Object.freeze({
  modelName: "ml_classifier",
  experiment: "Default",
  testFraction: 0.2,
  source: "cli" as const,
});

/** `cli:<os user>`; the user name may be unavailable (containers without a passwd entry). */
export function defaultActor(source: string): string {
  let user = process.env.USER || process.env.USERNAME || "unknown";
  try {
    user = userInfo().username || user;
  } catch {
    // keep the environment's name
  }
  return `${source}:${user}`;
}

function checkTestFraction(value: number): number {
  if (!(typeof value === "number" && value > 0 && value < 1)) {
    throw new DataError(`testFraction must be in (0, 1), got ${value}`);
  }
  return value;
}

/** The classes as the run's `class_labels` param: a JSON array, in probability-column order. */
function classLabelsParam(ds: Dataset): string {
  if (ds.classLabels && ds.classLabels.kind !== "none") return JSON.stringify(ds.classLabels.values);
  let k = 0;
  for (let i = 0; i < ds.nRows; i++) k = Math.max(k, (ds.y[i] ?? 0) + 1);
  return JSON.stringify(Array.from({ length: k }, (_, i) => i));
}

function evaluate(model: ClassifierModel, test: Dataset): HeldOutMetrics {
  const proba = model.predictProba(test.x, test.nRows);
  const r = classificationReport(test.y, proba, model.nClasses);
  return {
    accuracy: r.accuracy,
    precision: r.precision,
    recall: r.recall,
    f1: r.f1,
    roc_auc: r.rocAuc,
    log_loss: r.logLoss,
  };
}

function defaultDescription(family: string, data: ResolvedDataSource, metrics: HeldOutMetrics): string {
  const where = data.kind === "csv" ? data.path : "the synthetic set";
  return `${family} trained on ${where}; held-out ROC AUC ${metrics.roc_auc.toFixed(4)}`;
}

/**
 * Trains a model on the first `1 - testFraction` of the rows, scores it on the rest, stores the
 * artifact and registers it as the next version of `modelName`, all inside one tracked run that
 * ends FINISHED, or FAILED (any error, rethrown) or KILLED (aborted through `signal`).
 * Bad data or options fail before any run is created.
 */
export async function trainAndRegister(options: TrainAndRegisterOptions): Promise<TrainAndRegisterResult> {
  const { store, artifacts, logger, signal, onPhase } = options;
  const modelName = options.modelName ?? TRAIN_DEFAULTS.modelName;
  const experimentName = options.experiment ?? TRAIN_DEFAULTS.experiment;
  const testFraction = checkTestFraction(options.testFraction ?? TRAIN_DEFAULTS.testFraction);
  const source = options.source ?? TRAIN_DEFAULTS.source;
  const actor = options.actor ?? defaultActor(source);
  const promote = options.promote === undefined ? undefined : parseStage(options.promote);
  const trainOptions = options.train ?? {};
  const resolved = resolveTrainOptions(trainOptions);
  const data = resolveDataSource(options.data);
  const dataLabel = describeDataSource(data);
  signal?.throwIfAborted();

  onPhase?.("load");
  const dataset = await loadDataSource(data);
  const { train: trainSet, test: testSet } = splitRows(dataset, { trainFraction: 1 - testFraction });
  if (trainSet.nRows === 0 || testSet.nRows === 0) {
    throw new DataError(
      `${dataset.nRows} rows leave ${trainSet.nRows} to train and ${testSet.nRows} to test; need both > 0`,
    );
  }
  logger?.debug(
    { data: dataLabel, rows: dataset.nRows, features: dataset.nFeatures },
    "training data loaded",
  );

  const experimentId = await getOrCreateExperiment(store, experimentName);
  const run = await store.createRun({
    experimentId,
    name: options.runName,
    tags: { ...(options.tags ?? {}), "mlops.source": source, "mlops.data": dataLabel },
  });
  const log = logger?.child({ runId: run.id });
  log?.info({ experiment: experimentName, model: modelName, data: dataLabel }, "training run started");

  const end = async (status: RunStatus) => {
    try {
      await store.updateRun(run.id, { status });
    } catch (error) {
      // The original failure matters more than a failed status write; say so and move on.
      log?.error({ err: error, status }, "could not record the run's final status");
    }
  };

  try {
    options.onRun?.({ id: run.id, name: run.name, experimentId });
    const params = toRunParams(resolved, {
      class_labels: classLabelsParam(dataset),
      data_source: dataLabel,
      test_fraction: String(testFraction),
      n_rows: String(dataset.nRows),
      n_features: String(dataset.nFeatures),
      n_train: String(trainSet.nRows),
      n_test: String(testSet.nRows),
    });
    await store.logParams(run.id, params);

    onPhase?.("train");
    const started = performance.now();
    const model = await train(trainSet, trainOptions, { onProgress: options.onProgress, signal });
    const trainMs = performance.now() - started;
    signal?.throwIfAborted();
    log?.info({ trainMs: Math.round(trainMs) }, "model trained");

    onPhase?.("evaluate");
    const metrics = evaluate(model, testSet);
    await store.logMetrics(
      run.id,
      METRIC_KEYS.map((key) => ({ key, value: metrics[key] })),
    );
    log?.info({ metrics }, "held-out metrics logged");

    onPhase?.("register");
    signal?.throwIfAborted();
    const artifact = await artifacts.put(model.toBytes());
    await store.updateRun(run.id, { artifactSha256: artifact.sha256 });
    await ensureRegisteredModel(store, modelName);
    const created = await store.createModelVersion({
      name: modelName,
      artifactSha256: artifact.sha256,
      runId: run.id,
      description: options.description ?? defaultDescription(String(params.model ?? "model"), data, metrics),
      tags: classLabelTags(model),
    });
    await store.setRunTag(run.id, "mlops.model_version", `${modelName}/${created.version}`);
    log?.info(
      { model: modelName, version: created.version, sha256: artifact.sha256 },
      "model version registered",
    );

    let stage: Stage = created.stage;
    const archivedVersions: number[] = [];
    // A new version is already in None: "promoting" it there is a no-op, not FAILED_PRECONDITION.
    if (promote !== undefined && promote !== created.stage) {
      onPhase?.("promote");
      const archive = promote === "Production" || promote === "Staging";
      if (archive) {
        for (const v of await store.listModelVersions(modelName)) {
          if (v.stage === promote && v.version !== created.version) archivedVersions.push(v.version);
        }
      }
      const moved = await store.transitionStage(modelName, created.version, promote, {
        archiveExisting: archive,
        actor,
        comment: options.promoteComment ?? `promoted by ${source} after training run ${run.id}`,
      });
      stage = moved.stage;
      log?.info(
        { model: modelName, version: created.version, stage, archivedVersions },
        "model version promoted",
      );
    }

    await store.updateRun(run.id, { status: "FINISHED" });
    return {
      experimentId,
      experimentName,
      runId: run.id,
      runName: run.name,
      modelName,
      version: created.version,
      stage,
      artifactSha256: artifact.sha256,
      artifactBytes: artifact.size,
      metrics,
      params,
      nTrain: trainSet.nRows,
      nTest: testSet.nRows,
      trainMs,
      archivedVersions,
      model,
    };
  } catch (error) {
    const status: RunStatus = signal?.aborted ? "KILLED" : "FAILED";
    if (status === "FAILED") {
      const message = error instanceof Error ? error.message : String(error);
      await store.setRunTag(run.id, "mlops.error", message.slice(0, 8000)).catch(() => {});
    }
    await end(status);
    // The caller reports the error (the CLI in one line); the stack is for --log-level debug.
    log?.debug({ err: error, status }, status === "KILLED" ? "training cancelled" : "training run failed");
    throw error;
  }
}
