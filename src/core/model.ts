/**
 * A loaded classifier: the TypeScript face of the native Model (native/addon/model-wrap.cc).
 * Rows go in as one row-major Float64Array (`nRows × nFeatures`) and probabilities come out as one
 * Float64Array (`nRows × nClasses`); no per-row objects are made anywhere.
 */
import { availableParallelism } from "node:os";
import { CoreError, toCoreError } from "./errors.js";
import { type Binding, type ClassLabels, loadAddon, type TreeEnsemble } from "./native.js";

export type ModelFamilyName = Binding.ModelInfo["family"];

/** What a model is, as stored in its artifact. */
export interface ModelInfo {
  readonly family: ModelFamilyName;
  /** mlops::Family as a number (1 gbdt, 2 random_forest, 3 logistic), equal to the proto's ModelFamily. */
  readonly familyId: number;
  readonly nFeatures: number;
  readonly nClasses: number;
  /** Margins per row before the post transform (1 for binary GBDT/logistic, else nClasses). */
  readonly nOutputs: number;
  /** 0 for logistic models. */
  readonly nTrees: number;
  readonly nNodes: number;
  /** Empty when the artifact stores none, else one name per feature. */
  readonly featureNames: readonly string[];
  /** Training parameters as stored by the trainer (opaque JSON text, possibly empty). */
  readonly paramsJson: string;
  /** The class values in probability-column order; kind "none" when the classes are 0..K−1. */
  readonly classLabels: ClassLabels;
  /**
   * The engine scoring batches, picked at load from the model's shape (docs/model-format.md,
   * "Scoring engines"): "generic", "heap", "predicated", "binned" or "linear". Results never depend on it.
   */
  readonly engine: string;
  /** The engine for calls of fewer than 8 rows (often the same as `engine`). */
  readonly rowEngine: string;
  /** Instruction set of the batch engine's kernels: "scalar" or "avx512". */
  readonly engineIsa: string;
  /** Bytes of the engines' own layouts, built at load (beyond the canonical model). */
  readonly engineBytes: number;
}

/** Options of {@link ClassifierModel.predictProba}. */
export interface PredictOptions {
  /** Threads the batch is split across, the calling thread included; default 1. As in {@link PredictAsyncOptions}. */
  threads?: number;
}

export interface PredictAsyncOptions {
  /**
   * Threads the batch is split across, the calling libuv thread included. Default
   * `os.availableParallelism()`. The extra threads come from the core's persistent pool (at most one
   * per core, shared by every call and by training; a busy pool means the call scores more of its
   * rows itself). A thread gets a chunk only when it holds ~15 µs of work, in whole 32-row groups
   * (decision 0023), so small batches use fewer threads than asked. Results are bit-identical for
   * every thread count.
   */
  threads?: number;
}

function call<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw toCoreError(error);
  }
}

/**
 * Calls of fewer than SCRATCH_ROWS rows and at most SCRATCH_VALUES probabilities without an `out`
 * are scored into a per-model scratch buffer and copied out with `slice()`: a small typed array made
 * in JS costs ~0.25 µs less than one the addon creates (decision 0025), most of a single-row call's
 * fixed cost.
 */
const SCRATCH_ROWS = 8;
const SCRATCH_VALUES = 64;

/**
 * A validated, compiled model. Create one with {@link ClassifierModel.fromBytes}. Scoring calls are
 * safe to overlap (async calls run off the JS thread on an immutable snapshot); `dispose()` frees the
 * native memory early instead of waiting for GC, and an async call already running finishes first.
 */
export class ClassifierModel {
  readonly info: ModelInfo;
  #native: Binding.Model;
  /**
   * Index n (1 ≤ n < SCRATCH_ROWS, n × nClasses ≤ SCRATCH_VALUES): a view of n × nClasses doubles
   * of one off-heap buffer, filled and copied out within one synchronous call (nothing else sees it).
   */
  readonly #scratch: (Float64Array | undefined)[];

  private constructor(native: Binding.Model) {
    this.#native = native;
    const info = call(() => native.info());
    const rows = Math.min(SCRATCH_ROWS - 1, Math.floor(SCRATCH_VALUES / info.nClasses));
    const buffer = new ArrayBuffer(rows * info.nClasses * Float64Array.BYTES_PER_ELEMENT);
    this.#scratch = [undefined];
    for (let n = 1; n <= rows; n++) this.#scratch.push(new Float64Array(buffer, 0, n * info.nClasses));
    const labels = Object.freeze({
      kind: info.classLabels.kind,
      values: Object.freeze([...info.classLabels.values]),
    }) as ClassLabels;
    this.info = Object.freeze({
      ...info,
      featureNames: Object.freeze([...info.featureNames]),
      classLabels: labels,
    });
  }

  /**
   * Parses, validates and compiles an artifact (docs/model-format.md). Throws a CoreError with code
   * `ERR_MODEL_FORMAT` and the failed check as `reason` when the bytes are not a valid model.
   */
  static fromBytes(bytes: Uint8Array): ClassifierModel {
    if (!(bytes instanceof Uint8Array)) {
      throw new CoreError("ERR_INVALID_ARG", "bytes must be a Uint8Array");
    }
    const { Model } = loadAddon();
    return new ClassifierModel(call(() => Model.load(bytes)));
  }

  get nFeatures(): number {
    return this.info.nFeatures;
  }

  get nClasses(): number {
    return this.info.nClasses;
  }

  /**
   * The label of class `k` as the model's origin wrote it: the stored value (a string or a number),
   * or `k` itself when the model stores none.
   */
  classLabel(k: number): string | number {
    const { classLabels } = this.info;
    return classLabels.kind === "none" ? k : (classLabels.values[k] ?? k);
  }

  /** The artifact bytes; `fromBytes(toBytes())` scores identically. */
  toBytes(): Uint8Array {
    return call(() => this.#native.serialize());
  }

  /**
   * Class probabilities on the calling thread. `rows.length` must be `nRows × nFeatures`
   * (`ERR_SHAPE` otherwise). Pass `out` (exactly `nRows × nClasses` long, not sharing memory with
   * `rows`) to reuse a buffer; it is filled and returned. With `threads` > 1 (default 1) the calling
   * thread scores a share of the rows and the core's thread pool the rest, as in
   * {@link predictProbaAsync}; the call still returns only when every row is scored.
   */
  predictProba(
    rows: Float64Array,
    nRows: number,
    out?: Float64Array,
    options?: PredictOptions,
  ): Float64Array {
    // No closure here: this is the serving hot path.
    try {
      const threads = options?.threads;
      if (out === undefined) {
        // Any nRows that is not a small positive integer finds no view and gets the addon's checks.
        const scratch = this.#scratch[nRows];
        if (scratch !== undefined) return this.#native.predict(rows, nRows, scratch, threads).slice();
      }
      return this.#native.predict(rows, nRows, out, threads);
    } catch (error) {
      throw toCoreError(error);
    }
  }

  /**
   * Class probabilities computed off the JS thread, the rows split across threads. The rows are
   * copied when the call starts, so the caller may reuse `rows` immediately.
   */
  async predictProbaAsync(
    rows: Float64Array,
    nRows: number,
    options: PredictAsyncOptions = {},
  ): Promise<Float64Array> {
    const threads = options.threads ?? availableParallelism();
    const pending = call(() => this.#native.predictAsync(rows, nRows, threads));
    try {
      return await pending;
    } catch (error) {
      throw toCoreError(error);
    }
  }

  /** Copies of every tree's arrays (for exporters, e.g. to ONNX); undefined for linear models. */
  exportTrees(): TreeEnsemble | undefined {
    return call(() => this.#native.exportTrees());
  }

  /** Frees the native model. Idempotent; any later scoring or toBytes() throws `ERR_MODEL_DISPOSED`. */
  dispose(): void {
    this.#native.dispose();
  }
}
