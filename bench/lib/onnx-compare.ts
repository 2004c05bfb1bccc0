// The native core beside onnxruntime-node, in one process, on the same trees: probabilities must
// agree on the test rows, then rows/s are compared at several batch sizes and thread counts.
import { availableParallelism } from "node:os";
import * as ort from "onnxruntime-node";
import type { TreeEnsemble } from "../../src/core/index.js";
import { exportOnnxModel, specFromTrees } from "../../src/models/export/onnx.js";
import { bestCallsPerSecond } from "./best-slice.js";

/** What the comparison needs of a model: the serving model's scoring calls. */
export interface ScoringModel {
  readonly nFeatures: number;
  readonly nClasses: number;
  predictProba(
    rows: Float64Array,
    nRows: number,
    out?: Float64Array,
    options?: { threads?: number },
  ): Float64Array;
  predictProbaAsync(rows: Float64Array, nRows: number, options?: { threads?: number }): Promise<Float64Array>;
}

export interface OnnxCompareOptions {
  /** Label for the report ("rf", "gbdt"). Required. */
  name: string;
  model: ScoringModel;
  trees: TreeEnsemble;
  /** Held-out rows, row-major, for the agreement check; also tiled into the timing batches. Required. */
  rows: Float64Array;
  nRows: number;
  /** Largest allowed |ours − ORT| over all probabilities. Default 1e-5. */
  tolerance?: number;
  /** Batch sizes timed. Default [1, 64, 10000]. */
  batches?: number[];
  /** Thread counts timed (ours and ORT's intraOpNumThreads alike). Default [1, all cores]. */
  threads?: number[];
  /** Time spent per (engine, batch, threads) cell, ms. Default 1000. */
  cellMs?: number;
  /**
   * Batches at or above this are scored by ours off-thread (predictProbaAsync), as the server does;
   * smaller ones on the calling thread with the cell's thread count (predictProba's `threads`: the
   * JS thread and the core's pool), as ORT's run() uses its intra-op pool. Default 256.
   */
  asyncRows?: number;
  /**
   * Which export ORT is timed on: "float" (float32 input and thresholds, what converters usually
   * emit and what anchors.md timed) or "double" (the exactly-agreeing float64 export). Default "float".
   */
  ortTiming?: "float" | "double";
  /** Cells to leave out, e.g. to keep a quick run short. Default none. */
  skip?: (batch: number, threads: number) => boolean;
}

export interface Agreement {
  rows: number;
  maxAbsDiff: number;
  /** Rows whose argmax differs. */
  labelMismatches: number;
}

export interface OnnxCell {
  batch: number;
  threads: number;
  oursRowsPerS: number;
  ortRowsPerS: number;
  /** ours / ORT. */
  ratio: number;
  /** How ours was called in this cell. */
  oursPath: "sync" | "async";
}

export interface OnnxComparison {
  name: string;
  nTrees: number;
  nNodes: number;
  /** float64 input, double thresholds: decisions identical by construction. */
  agreement: Agreement;
  /** float32 input and thresholds (the common export), against our float64 scores: for information. */
  agreementFloat: Agreement;
  tolerance: number;
  agreed: boolean;
  cells: OnnxCell[];
  /** The export ORT was timed on. */
  ortTiming: "float" | "double";
  ortVersion: string;
}

function agreement(
  ours: Float64Array,
  theirs: ArrayLike<number>,
  nRows: number,
  nClasses: number,
): Agreement {
  let maxAbsDiff = 0;
  let labelMismatches = 0;
  for (let i = 0; i < nRows; i++) {
    let a = 0;
    let b = 0;
    for (let k = 0; k < nClasses; k++) {
      const j = i * nClasses + k;
      const d = Math.abs(ours[j]! - theirs[j]!);
      if (!(d <= maxAbsDiff)) maxAbsDiff = d; // NaN propagates
      if (ours[j]! > ours[i * nClasses + a]!) a = k;
      if (theirs[j]! > theirs[i * nClasses + b]!) b = k;
    }
    if (a !== b) labelMismatches++;
  }
  return { rows: nRows, maxAbsDiff, labelMismatches };
}

/** `n` rows cycling through `rows` (so any batch size can be built from the test set). */
function tile(rows: Float64Array, nRows: number, nf: number, n: number): Float64Array {
  const out = new Float64Array(n * nf);
  for (let i = 0; i < n; i++) out.set(rows.subarray((i % nRows) * nf, ((i % nRows) + 1) * nf), i * nf);
  return out;
}

/** The exported graph's `probabilities` output; a clear error if the session did not produce it. */
function probabilities(out: ort.InferenceSession.OnnxValueMapType): Float32Array {
  const tensor = out.probabilities;
  if (!tensor)
    throw new Error(`onnxruntime returned no "probabilities" output (got ${Object.keys(out).join(", ")})`);
  return tensor.data as Float32Array;
}

function sessionOptions(threads: number): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
  };
}

/** Exports `trees` to ONNX, checks agreement with `model`, then times both engines. */
export async function compareWithOrt(options: OnnxCompareOptions): Promise<OnnxComparison> {
  const { model, trees, rows, nRows } = options;
  const nf = model.nFeatures;
  const nc = model.nClasses;
  const tolerance = options.tolerance ?? 1e-5;
  const cores = availableParallelism();
  const threadCounts = options.threads ?? [...new Set([1, cores])];
  const batches = options.batches ?? [1, 64, 10_000];
  const cellMs = options.cellMs ?? 1000;
  const asyncRows = options.asyncRows ?? 256;

  const ours = model.predictProba(rows, nRows);
  const doubleBytes = exportOnnxModel(specFromTrees(trees, nf), { precision: "double" });
  const floatBytes = exportOnnxModel(specFromTrees(trees, nf), { precision: "float" });
  const check = await ort.InferenceSession.create(doubleBytes, sessionOptions(1));
  const checkFloat = await ort.InferenceSession.create(floatBytes, sessionOptions(1));
  let agreeDouble: Agreement;
  let agreeFloat: Agreement;
  try {
    const out = await check.run({ input: new ort.Tensor("float64", rows, [nRows, nf]) });
    agreeDouble = agreement(ours, probabilities(out), nRows, nc);
    const outF = await checkFloat.run({
      input: new ort.Tensor("float32", Float32Array.from(rows), [nRows, nf]),
    });
    agreeFloat = agreement(ours, probabilities(outF), nRows, nc);
  } finally {
    await check.release();
    await checkFloat.release();
  }

  const ortTiming = options.ortTiming ?? "float";
  const cells: OnnxCell[] = [];
  for (const threads of threadCounts) {
    const session = await ort.InferenceSession.create(
      ortTiming === "float" ? floatBytes : doubleBytes,
      sessionOptions(threads),
    );
    try {
      for (const batch of batches) {
        if (options.skip?.(batch, threads)) continue;
        const input = tile(rows, nRows, nf, batch);
        const tensor =
          ortTiming === "float"
            ? new ort.Tensor("float32", Float32Array.from(input), [batch, nf])
            : new ort.Tensor("float64", input, [batch, nf]);
        const out = new Float64Array(batch * nc);
        const useAsync = threads > 1 && batch >= asyncRows;
        const oursCalls = useAsync
          ? await bestCallsPerSecond(() => model.predictProbaAsync(input, batch, { threads }), cellMs)
          : await bestCallsPerSecond(() => model.predictProba(input, batch, out, { threads }), cellMs);
        const ortCalls = await bestCallsPerSecond(() => session.run({ input: tensor }), cellMs);
        cells.push({
          batch,
          threads,
          oursRowsPerS: oursCalls * batch,
          ortRowsPerS: ortCalls * batch,
          ratio: oursCalls / ortCalls,
          oursPath: useAsync ? "async" : "sync",
        });
      }
    } finally {
      await session.release();
    }
  }
  const nTrees = trees.treeNodeOffsets.length - 1;
  return {
    name: options.name,
    nTrees,
    nNodes: trees.treeNodeOffsets[nTrees]!,
    agreement: agreeDouble,
    agreementFloat: agreeFloat,
    tolerance,
    // Argmax flips are reported, not judged: a row at p ≈ 0.5 may flip on float32 output rounding alone.
    agreed: agreeDouble.maxAbsDiff <= tolerance,
    cells,
    ortTiming,
    ortVersion: ort.env.versions?.common ?? "unknown",
  };
}
