/**
 * The one place that loads the compiled addon (`build/Release/mlops_core.node`, else
 * `build/Debug/...`), plus the error type native calls are converted to. Everything else reaches the
 * addon through this module.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/** Stable codes of errors raised by the core. `ERR_TRAIN_*` codes are reserved for training. */
export type CoreErrorCode =
  | "ERR_MODEL_FORMAT"
  | "ERR_MODEL_DISPOSED"
  | "ERR_SHAPE"
  | "ERR_INVALID_ARG"
  | "ERR_INTERNAL"
  | "ERR_NATIVE_MISSING"
  | `ERR_TRAIN_${string}`;

/**
 * An error from the native core. `code` is stable; `reason` refines it where there is more to say
 * (for `ERR_MODEL_FORMAT`, the artifact check that failed, e.g. `"checksum_mismatch"`).
 */
export class CoreError extends Error {
  readonly code: CoreErrorCode;
  readonly reason?: string;

  constructor(code: CoreErrorCode, message: string, options: { reason?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CoreError";
    this.code = code;
    if (options.reason !== undefined) this.reason = options.reason;
  }
}

const CORE_CODE =
  /^ERR_(MODEL_FORMAT|MODEL_DISPOSED|SHAPE|INVALID_ARG|INTERNAL|NATIVE_MISSING|TRAIN_[A-Z_]+)$/;

/** Wraps an error thrown by the addon in a CoreError; anything else is returned unchanged. */
export function toCoreError(error: unknown): unknown {
  if (error instanceof CoreError || !(error instanceof Error)) return error;
  const { code, reason } = error as Error & { code?: unknown; reason?: unknown };
  if (typeof code !== "string" || !CORE_CODE.test(code)) return error;
  return new CoreError(code as CoreErrorCode, error.message, {
    reason: typeof reason === "string" ? reason : undefined,
    cause: error,
  });
}

/** What `Model#info()` returns. */
export interface NativeModelInfo {
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
  /** The scoring engine for batches: "generic", "heap" or "linear" (native/core/engines). */
  engine: string;
  /** The engine for calls of fewer than 8 rows (often the same). */
  rowEngine: string;
  /** Instruction set of the batch engine's kernels: "scalar" or "avx512". */
  engineIsa: string;
  /** Bytes of the engines' own layouts (beyond the canonical model). */
  engineBytes: number;
}

/** What `Model#exportTrees()` returns: every tree as flat typed arrays. */
export interface NativeTreeExport {
  family: "gbdt" | "random_forest";
  nClasses: number;
  nOutputs: number;
  leafWidth: number;
  aggregation: "sum" | "mean";
  postTransform: "identity" | "sigmoid" | "softmax";
  decision: "less" | "less_equal";
  baseScore: Float64Array;
  /** nTrees + 1 offsets: tree t owns nodes [treeNodeOffsets[t], treeNodeOffsets[t + 1]). */
  treeNodeOffsets: Uint32Array;
  outputIndex: Uint32Array;
  /** Child ids are local to their tree (node 0 is its root); −1 on leaves. */
  left: Int32Array;
  right: Int32Array;
  feature: Int32Array;
  threshold: Float64Array;
  defaultLeft: Uint8Array;
  /** leafWidth values per node. */
  value: Float64Array;
}

/** The addon's `Model` object (native/addon/model-wrap.cc). */
export interface NativeModel {
  serialize(): Uint8Array;
  predict(rows: Float64Array, nRows: number, out?: Float64Array): Float64Array;
  predictAsync(rows: Float64Array, nRows: number, threads?: number): Promise<Float64Array>;
  info(): NativeModelInfo;
  exportTrees(): NativeTreeExport | undefined;
  dispose(): void;
}

export interface NativeModelClass {
  load(bytes: Uint8Array): NativeModel;
}

/** The addon's exports. Other concerns (training) add their own members. */
export interface NativeAddon {
  readonly Model: NativeModelClass;
  readonly [name: string]: unknown;
}

const ADDON_NAME = "mlops_core.node";
let cached: NativeAddon | undefined;

/**
 * Loads the addon once per process (per worker thread) and returns it. This file sits two levels
 * below the package root both as source (src/core) and compiled (dist/core), so `../../build` is
 * the same place either way.
 */
export function loadAddon(): NativeAddon {
  if (cached) return cached;
  const candidates = ["Release", "Debug"].map((dir) =>
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
  cached = require(found) as NativeAddon;
  return cached;
}
