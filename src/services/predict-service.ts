import type { ClassLabels } from "../core/index.js";
import { ModelFamily, Stage } from "../gen/mlops/v1/model_pb.js";
import type { PredictRequest, PredictService } from "../gen/mlops/v1/predict_pb.js";
import type { CallContext, ServiceImpl } from "../rpc/context.js";
import { invalidArgument, ServiceError } from "../rpc/service-error.js";
import type { Batcher } from "../serving/batcher.js";
import type { ModelManager, ServedModel } from "../serving/model-manager.js";
import { toRow } from "./features.js";
import { isoNow } from "./iso-now.js";

export interface PredictServiceOptions {
  models: ModelManager;
  /** Coalesces single-row calls; when absent each call scores on its own. */
  batcher?: Batcher;
  /** Batches with at least this many rows are scored off the JS thread. Default 256. */
  asyncRowThreshold?: number;
  /** Native threads for off-thread scoring. Default 1. */
  scoringThreads?: number;
  /** Accept NaN as a missing value (trees route it by the learned default). Default false. */
  allowMissing?: boolean;
  /** Rows per PredictBatch call at most. Default 100 000. */
  maxBatchRows?: number;
  /** Told about every native scoring call made outside the batcher (rows, seconds). */
  onScored?: (rows: number, seconds: number) => void;
  /** Resolves an alias of the served model's name to a version number. */
  resolveAlias?: (name: string, alias: string) => Promise<number>;
}

const STAGES: Record<string, Stage> = {
  None: Stage.NONE,
  Staging: Stage.STAGING,
  Production: Stage.PRODUCTION,
  Archived: Stage.ARCHIVED,
};

/** The PredictService behind every transport. */
export function createPredictService(options: PredictServiceOptions): ServiceImpl<typeof PredictService> & {
  /** The lean REST route's entry: the same checks and scoring as Predict. */
  predictRow(features: unknown, ctx: CallContext): Promise<PredictResult>;
  /** The Open Inference Protocol's entry: the same checks, batching and scoring as Predict(Batch). */
  predictTensor(request: TensorRequest, ctx: CallContext): Promise<TensorScores>;
  /** Predict's checks and scoring, answered as a PredictResult (REST writes the seed's JSON from it). */
  predictRequest(request: PredictRequest): Promise<PredictResult>;
} {
  const asyncRows = options.asyncRowThreshold ?? 256;
  const threads = options.scoringThreads ?? 1;
  const allowMissing = options.allowMissing ?? false;
  const maxRows = options.maxBatchRows ?? 100_000;

  function serving(): ServedModel {
    const served = options.models.current();
    if (!served) {
      const failed = options.models.lastError();
      throw new ServiceError(
        "UNAVAILABLE",
        failed
          ? `no model is being served: the Production version failed to load (${failed.message}); promote a version whose artifact loads`
          : (options.models.missingModelHint?.() ??
              "no model is being served: train and promote one (`mlops train --promote Production`) or promote an existing version (`mlops models promote <name> <version> Production`)"),
      );
    }
    return served;
  }

  /** Validated inputs can still overflow a linear model's margin; never answer with NaN. */
  function checkFinite(proba: Float64Array, nc: number, field = "features"): void {
    for (let i = 0; i < proba.length; i++) {
      if (!Number.isFinite(proba[i])) {
        const row = Math.floor(i / nc);
        throw invalidArgument(
          proba.length === nc ? field : `${field}[row ${row}]`,
          "values in a range where the model's scores stay finite",
          "a score that overflowed",
        );
      }
    }
  }

  /** The served model, checked against a request's `model_name` (empty: any). */
  function servedNamed(name: string): ServedModel {
    const served = serving();
    if (name !== "" && name !== served.name) {
      throw new ServiceError("NOT_FOUND", `model_name: this server serves "${served.name}", not "${name}"`);
    }
    return served;
  }

  /**
   * The model a request selects: the served one, or the registered version its `model_version` or
   * `model_alias` names, which the model manager loads on first use (the Open Inference Protocol's
   * `/versions/{v}` takes the same path).
   */
  function select(name: string, version: string, alias: string): ServedModel | Promise<ServedModel> {
    const served = servedNamed(name);
    if (version !== "" && alias !== "") {
      throw invalidArgument("model_version", "at most one of model_version and model_alias");
    }
    // The served version is answered at once: no await on the hot path (an await costs ticks).
    if (version === "" && alias === "") return served;
    return registered(served, version, alias);
  }

  async function registered(served: ServedModel, version: string, alias: string): Promise<ServedModel> {
    let number: number;
    if (alias !== "") {
      if (!options.resolveAlias) throw new ServiceError("NOT_FOUND", `model_alias: "${alias}" is not set`);
      number = await options.resolveAlias(served.name, alias);
    } else {
      number = /^[1-9]\d{0,9}$/.test(version) ? Number(version) : Number.NaN;
      if (!Number.isSafeInteger(number)) {
        throw new ServiceError("NOT_FOUND", `model_version: "${version}" is not a version number`);
      }
    }
    if (number === served.version) return served;
    try {
      return await options.models.version(number);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const field = alias !== "" ? "model_alias" : "model_version";
      if (code === "NOT_FOUND") {
        throw new ServiceError(
          "NOT_FOUND",
          `${field}: version ${number} of "${served.name}" is not registered`,
        );
      }
      // FAILED_PRECONDITION: a version that cannot be served (an MLflow flavor mlops does not read).
      if (code === "DATA_LOSS" || code === "UNAVAILABLE" || code === "FAILED_PRECONDITION") throw err;
      throw new ServiceError(
        "UNAVAILABLE",
        `${field}: version ${number} of "${served.name}" failed to load (${(err as Error).message})`,
        { cause: err },
      );
    }
  }

  function scoreSync(served: ServedModel, rows: Float64Array, nRows: number): Float64Array {
    const t0 = process.hrtime.bigint();
    const out = served.model.predictProba(rows, nRows);
    options.onScored?.(nRows, Number(process.hrtime.bigint() - t0) / 1e9);
    return out;
  }

  /** Not async: the batcher's promise is handed on as is (an async wrapper cost three more ticks). */
  function scoreOne(served: ServedModel, row: Float64Array): Promise<Float64Array> {
    if (options.batcher) return options.batcher.submit(served.model, row);
    return Promise.resolve(scoreSync(served, row, 1));
  }

  /**
   * One row to the batcher: an array of exactly nFeatures finite numbers goes as it is (the batcher
   * copies it into its batch), anything else through toRow, which makes the typed array or names
   * what is wrong. Saves a typed array per request, which lives outside V8's heap.
   */
  function scoreValues(
    served: ServedModel,
    values: ArrayLike<unknown> | undefined,
    field = "features",
  ): Promise<Float64Array> {
    const nf = served.model.nFeatures;
    if (options.batcher && Array.isArray(values) && values.length === nf && allFinite(values, nf)) {
      return options.batcher.submit(served.model, values as number[]);
    }
    return scoreOne(served, toRow(values, nf, field, allowMissing));
  }

  /**
   * Scores packed rows, one row through the batcher like Predict, more on the JS thread or (from
   * `asyncRowThreshold` rows on) off it like PredictBatch; never answers a non-finite score.
   */
  async function scoreRows(
    served: ServedModel,
    rows: Float64Array,
    nRows: number,
    field = "features",
  ): Promise<{ proba: Float64Array; predictions: Int32Array }> {
    const nc = served.model.nClasses;
    let proba: Float64Array;
    if (nRows === 1) {
      proba = await scoreOne(served, rows);
    } else if (nRows >= asyncRows) {
      const t0 = process.hrtime.bigint();
      proba = await served.model.predictProbaAsync(rows, nRows, { threads });
      options.onScored?.(nRows, Number(process.hrtime.bigint() - t0) / 1e9);
    } else {
      proba = scoreSync(served, rows, nRows);
    }
    return scored(proba, nRows, nc, field);
  }

  /** Scores checked (never a non-finite one) and each row's predicted class. */
  function scored(
    proba: Float64Array,
    nRows: number,
    nc: number,
    field: string,
  ): { proba: Float64Array; predictions: Int32Array } {
    checkFinite(proba, nc, field);
    const predictions = new Int32Array(nRows);
    for (let r = 0; r < nRows; r++) predictions[r] = argmax(proba, r * nc, nc);
    return { proba, predictions };
  }

  /** The reply to one scored row. */
  function rowResult(served: ServedModel, probability: Float64Array): PredictResult {
    checkFinite(probability, probability.length);
    const prediction = argmax(probability, 0, probability.length);
    return {
      prediction,
      label: served.model.classLabel(prediction),
      probability,
      modelVersion: String(served.version),
      modelName: served.name,
      timestamp: isoNow(),
    };
  }

  /** Not async (nor is anything above it on the REST path): one promise, the batcher's, and one then. */
  function predictRow(served: ServedModel, features: ArrayLike<unknown> | undefined): Promise<PredictResult> {
    try {
      return scoreValues(served, features).then((probability) => rowResult(served, probability));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * A tensor's rows scored: one row through the batcher as Predict's (a plain array of finite
   * numbers as it is), more as PredictBatch's. Throws on a shape the model does not take.
   */
  function scoreTensor(served: ServedModel, request: TensorRequest): Promise<TensorScores> {
    const nf = served.model.nFeatures;
    const { shape, field } = request;
    const nRows = shape.length === 2 && shape[1] === nf ? (shape[0] as number) : -1;
    if (!(Number.isInteger(nRows) && nRows >= 1 && nRows <= maxRows)) {
      throw invalidArgument(`${field}.shape`, `[N, ${nf}] with 1 ≤ N ≤ ${maxRows}`, `[${shape.join(", ")}]`);
    }
    if (request.values.length !== nRows * nf) {
      throw invalidArgument(
        `${field}.data`,
        `${nRows * nf} values (shape [${nRows}, ${nf}])`,
        String(request.values.length),
      );
    }
    const scores = (s: { proba: Float64Array; predictions: Int32Array }): TensorScores => ({
      modelName: served.name,
      modelVersion: String(served.version),
      nClasses: served.model.nClasses,
      classLabels: served.model.info.classLabels,
      predictions: s.predictions,
      probabilities: s.proba,
    });
    if (nRows === 1) {
      return scoreValues(served, request.values, `${field}.data`).then((proba) =>
        scores(scored(proba, 1, served.model.nClasses, field)),
      );
    }
    const rows = toRow(request.values, nRows * nf, `${field}.data`, allowMissing);
    return scoreRows(served, rows, nRows, field).then(scores);
  }

  function predictRequest(request: PredictRequest): Promise<PredictResult> {
    try {
      const served = select(request.modelName, request.modelVersion, request.modelAlias);
      if (served instanceof Promise) return served.then((s) => predictRow(s, request.features));
      return predictRow(served, request.features);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  return {
    // Not async (as predictRow): the model's selection and one then on the scoring's promise.
    predictTensor(request: TensorRequest, _ctx: CallContext): Promise<TensorScores> {
      try {
        const selected = select(request.modelName, request.modelVersion, "");
        if (selected instanceof Promise) return selected.then((served) => scoreTensor(served, request));
        return scoreTensor(selected, request);
      } catch (e) {
        return Promise.reject(e);
      }
    },

    predictRow(features: unknown, _ctx: CallContext): Promise<PredictResult> {
      try {
        if (!Array.isArray(features)) {
          const served = serving();
          throw invalidArgument(
            "features",
            `an array of ${served.model.nFeatures} numbers`,
            features === undefined ? "nothing" : typeof features,
            features === undefined ? "missing" : "list_type",
          );
        }
        return predictRow(serving(), features);
      } catch (e) {
        return Promise.reject(e);
      }
    },

    predictRequest,

    // Not async (as predictRow): one then on predictRequest's promise, which never throws.
    predict(request) {
      return predictRequest(request).then((r) => ({
        prediction: r.prediction,
        label: String(r.label),
        probability: numbers(r.probability),
        modelVersion: r.modelVersion,
        modelName: r.modelName,
        timestamp: r.timestamp,
      }));
    },

    async predictBatch(request) {
      const served = await select(request.modelName, request.modelVersion, request.modelAlias);
      const nf = served.model.nFeatures;
      const nc = served.model.nClasses;
      const packed = request.features.length > 0 || request.nFeatures !== 0;
      if (packed && request.rows.length > 0) {
        throw invalidArgument("rows", "either rows or the packed features + n_features, not both");
      }
      let rows: Float64Array;
      let nRows: number;
      if (packed) {
        if (request.nFeatures !== 0 && request.nFeatures !== nf) {
          throw invalidArgument("n_features", `0 or ${nf}`, String(request.nFeatures));
        }
        if (request.features.length === 0 || request.features.length % nf !== 0) {
          throw invalidArgument(
            "features",
            `a non-empty multiple of ${nf} numbers`,
            String(request.features.length),
          );
        }
        nRows = request.features.length / nf;
        if (nRows > maxRows) throw invalidArgument("features", `at most ${maxRows} rows`, String(nRows));
        // One pass over the packed values: no array per row; a bad value is named by its flat index.
        rows = toRow(request.features, request.features.length, "features", allowMissing);
      } else {
        nRows = request.rows.length;
        if (nRows === 0) throw invalidArgument("rows", "at least one row");
        if (nRows > maxRows) throw invalidArgument("rows", `at most ${maxRows} rows`, String(nRows));
        rows = new Float64Array(nRows * nf);
        for (let r = 0; r < nRows; r++) {
          toRow(
            request.rows[r]!.features,
            nf,
            `rows[${r}].features`,
            allowMissing,
            rows.subarray(r * nf, (r + 1) * nf),
          );
        }
      }
      const { proba, predictions } = await scoreRows(served, rows, nRows);
      const labels = new Array<string>(nRows);
      for (let r = 0; r < nRows; r++) labels[r] = String(served.model.classLabel(predictions[r]!));
      return {
        predictions: numbers(predictions),
        labels,
        probabilities: numbers(proba),
        nClasses: nc,
        modelName: served.name,
        modelVersion: String(served.version),
        timestamp: isoNow(),
      };
    },

    async getModelInfo(request) {
      const served = await select(request.modelName, request.modelVersion, request.modelAlias);
      const info = served.model.info;
      return {
        modelName: served.name,
        modelVersion: String(served.version),
        stage: STAGES[served.stage] ?? Stage.UNSPECIFIED,
        aliases: [...served.aliases],
        runId: served.runId ?? "",
        metrics: { ...served.metrics },
        loadedAt: served.loadedAt.toISOString(),
        artifactSha256: served.sha256,
        nFeatures: served.model.nFeatures,
        nClasses: served.model.nClasses,
        family: (info.familyId as ModelFamily) ?? ModelFamily.UNSPECIFIED,
        featureNames: [...info.featureNames],
        classLabels: Array.from({ length: served.model.nClasses }, (_, k) =>
          String(served.model.classLabel(k)),
        ),
        classLabelKind: info.classLabels.kind,
      };
    },
  };
}

/** Rows given as one tensor of shape [N, n_features] (the Open Inference Protocol's input). */
export interface TensorRequest {
  /** Empty: the served model. */
  modelName: string;
  /** Empty: the served version; else any registered version, as in PredictRequest.model_version. */
  modelVersion: string;
  /** The tensor's shape; must be [N, n_features]. */
  shape: readonly number[];
  /** Row-major values, N × n_features of them, checked like Predict's features. */
  values: ArrayLike<unknown>;
  /** How errors name the tensor ("inputs[0]"). */
  field: string;
}

/** The scores of a tensor's rows. */
export interface TensorScores {
  modelName: string;
  modelVersion: string;
  nClasses: number;
  /** The model's class values (kind "none": the classes are the indices). */
  classLabels: ClassLabels;
  /** Predicted class index per row. */
  predictions: Int32Array;
  /** Row-major, stride nClasses. */
  probabilities: Float64Array;
}

export interface PredictResult {
  /** The class index (argmax of probability). */
  prediction: number;
  /** The class as the model's labels name it (the index when it stores none). */
  label: string | number;
  probability: Float64Array;
  modelVersion: string;
  modelName: string;
  timestamp: string;
}

/** Whether the first `n` values are all finite numbers (toRow's check, without its copy). */
function allFinite(values: readonly unknown[], n: number): boolean {
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v !== "number" || !Number.isFinite(v)) return false;
  }
  return true;
}

function argmax(values: Float64Array, start: number, n: number): number {
  let best = 0;
  for (let k = 1; k < n; k++) if (values[start + k]! > values[start + best]!) best = k;
  return best;
}

/** What createPredictService returns: PredictService's methods plus the lean REST and OIP entries. */
export type PredictServiceImpl = ReturnType<typeof createPredictService>;

/** A typed array's values as a plain array, by index: Array.from goes through the iterator protocol. */
function numbers(values: ArrayLike<number>): number[] {
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i] as number;
  return out;
}
