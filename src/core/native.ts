/**
 * The compiled addon: the one place that loads it (`build/Release/mlops_core.node`, else
 * `build/Debug/...`) and the one description of what it exports (`Binding`, after
 * onnxruntime-node's). Everything else reaches the addon through this module. Whatever the addon
 * throws or rejects with goes through `toCoreError` (errors.ts) before it leaves src/core.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { CoreError } from "./errors.js";
import type { ResolvedTrainOptions } from "./train-options.js";

/**
 * A tree ensemble as flat typed arrays, in the artifact's semantics (docs/model-format.md): the one
 * shape trees take outside the core. What `ClassifierModel#exportTrees()` returns, what the ONNX
 * exporter reads, and (with the rest of a model) what the test kit's writer, reader and reference
 * scorer work on.
 */
/** Maps the margins to probabilities (docs/model-format.md, "Enums"). */
export type PostTransformName =
  | "identity"
  | "sigmoid"
  | "softmax"
  | "softmax_zero"
  | "sigmoid_each"
  | "complement";

/**
 * The class values of a model, in probability-column order (format version 2). Kind "none": the
 * classes are the ids 0..K−1 and the artifact stores nothing. int64 labels lie within ±2^53.
 */
export type ClassLabels =
  | { kind: "none"; values: readonly never[] }
  | { kind: "int64"; values: readonly number[] }
  | { kind: "float64"; values: readonly number[] }
  | { kind: "string"; values: readonly string[] };

/** Node kinds of format version 2 (docs/model-format.md, "Enums"). */
export const NODE_KIND = {
  numeric: 0,
  numeric_zero_missing: 1,
  categorical_left: 2,
  categorical_right: 3,
  equal: 4,
  equal_float32: 5,
} as const;

export interface TreeEnsemble {
  family: "gbdt" | "random_forest";
  nClasses: number;
  nOutputs: number;
  /** Values per leaf: 1 (a GBDT tree adds to output `outputIndex[t]`) or nOutputs (RF distributions). */
  leafWidth: number;
  /** "sum": base + sum of trees (GBDT); "mean": base + mean of trees per output (RF). */
  aggregation: "sum" | "mean";
  postTransform: PostTransformName;
  /** A node sends a row left iff `x < threshold` ("less") or `x <= threshold`; NaN follows `defaultLeft`. */
  decision: "less" | "less_equal";
  /** nOutputs margins. */
  baseScore: Float64Array;
  /** nTrees + 1 offsets: tree t owns nodes [treeNodeOffsets[t], treeNodeOffsets[t + 1]). */
  treeNodeOffsets: Uint32Array;
  /** Per tree: the first output it adds to (0 when leafWidth == nOutputs). */
  outputIndex: Uint32Array;
  /** Child ids are local to their tree (node 0 is its root); a leaf has both children −1. */
  left: Int32Array;
  right: Int32Array;
  /** −1 on leaves. */
  feature: Int32Array;
  threshold: Float64Array;
  /** 1: NaN goes left. */
  defaultLeft: Uint8Array;
  /** leafWidth values per node. */
  value: Float64Array;
  /** Per node: what it tests ({@link NODE_KIND}; 0 = numeric, also on leaves). */
  kind: Uint8Array;
  /** Per categorical node: its set is `catWords[catOffset .. catOffset + catCount)` (0 elsewhere). */
  catOffset: Uint32Array;
  catCount: Uint32Array;
  /** Every tree's category bitset words, tree after tree. */
  catWords: Uint32Array;
}

/** What the addon exports, as native/addon/*.cc define it. */
export declare namespace Binding {
  /** What `Model#info()` returns. */
  interface ModelInfo {
    family: "gbdt" | "random_forest" | "logistic";
    /** The numeric mlops::Family (1, 2, 3), equal to the proto's ModelFamily. */
    familyId: number;
    nFeatures: number;
    nClasses: number;
    nOutputs: number;
    nTrees: number;
    nNodes: number;
    featureNames: string[];
    paramsJson: string;
    classLabels: ClassLabels;
    /** The scoring engine for batches: "generic", "heap", "predicated", "binned" or "linear" (native/core/engines). */
    engine: string;
    /** The engine for calls of fewer than 8 rows (often the same). */
    rowEngine: string;
    /** Instruction set of the batch engine's kernels: "scalar" or "avx512". */
    engineIsa: string;
    /** Bytes of the engines' own layouts (beyond the canonical model). */
    engineBytes: number;
  }

  /** A loaded, validated, compiled model (native/addon/model-wrap.cc). */
  interface Model {
    serialize(): Uint8Array;
    predict(rows: Float64Array, nRows: number, out?: Float64Array, threads?: number): Float64Array;
    predictAsync(rows: Float64Array, nRows: number, threads?: number): Promise<Float64Array>;
    info(): ModelInfo;
    exportTrees(): TreeEnsemble | undefined;
    dispose(): void;
  }

  interface ModelConstructor {
    load(bytes: Uint8Array): Model;
  }

  /** What train() reads (native/addon/train-worker.cc): the resolved hyperparameters, and these. */
  type TrainOptions = ResolvedTrainOptions & {
    /** 0 = every core. */
    threads: number;
    featureNames?: string[];
    /** Stored in the artifact as given. */
    paramsJson: string;
    /** The original class values, one per class id; absent means the ids themselves. */
    classLabels?: { kind: "int64" | "float64" | "string"; values: readonly (number | string)[] };
  };

  /** A training run in flight (native/addon/train-worker.cc). */
  interface TrainHandle {
    /** Resolves with the serialized artifact. */
    readonly promise: Promise<Uint8Array>;
    /** Stops training at the next check; the promise then rejects with ERR_TRAIN_CANCELLED. */
    cancel(): void;
  }

  interface Addon {
    readonly Model: ModelConstructor;
    /** malloc_trim(0) where the C library is glibc (native/addon/memory.cc); false elsewhere. */
    trimNativeHeap(): boolean;
    /** Copies x and y, then trains off the JS thread; onProgress runs on the JS thread. */
    train(
      x: Float64Array,
      y: Float64Array,
      nRows: number,
      nFeatures: number,
      options: TrainOptions,
      onProgress?: (done: number, total: number) => void,
    ): TrainHandle;
  }
}

const ADDON_NAME = "mlops_core.node";
let cached: Binding.Addon | undefined;

/**
 * Loads the addon once per process (per worker thread) and returns it: the file named by
 * MLOPS_NATIVE_ADDON when set, else the package's own build. This file sits two levels
 * below the package root both as source (src/core) and compiled (dist/core), so `../../build` is
 * the same place either way.
 */
export function loadAddon(): Binding.Addon {
  if (cached) return cached;
  // MLOPS_NATIVE_ADDON: another build of the same addon, e.g. the sanitizer build of `npm run test:asan`.
  const override = process.env.MLOPS_NATIVE_ADDON;
  const candidates = override
    ? [override]
    : ["Release", "Debug"].map((dir) =>
        fileURLToPath(new URL(`../../build/${dir}/${ADDON_NAME}`, import.meta.url)),
      );
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new CoreError(
      "ERR_NATIVE_MISSING",
      `native addon not built: none of ${candidates.join(", ")} exists. Run \`npm run build:native\`.`,
    );
  }
  const require = createRequire(import.meta.url);
  cached = require(found) as Binding.Addon;
  return cached;
}
