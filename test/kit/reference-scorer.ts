/**
 * A plain TypeScript scorer with the native core's exact semantics (docs/model-format.md, "Scoring"),
 * working on a plain description of a model. Tests use it as the oracle for the native scorer, and
 * the benchmark as the "plain TS" baseline, so it stays straightforward: one row at a time, one tree
 * at a time, a pointer walk per tree.
 */
import type { TreeEnsemble } from "../../src/core/index.js";
import type { ModelSpec } from "./model-spec.js";

export interface ReferenceScorer {
  readonly nFeatures: number;
  readonly nClasses: number;
  /** Same contract as the native predict: rows are `nRows × nFeatures`, the result `nRows × nClasses`. */
  predict(rows: Float64Array, nRows: number, out?: Float64Array): Float64Array;
}

/** A copy of one tree's slice of the spec's arrays; child ids are local to the tree. */
type CompiledTree = Pick<
  TreeEnsemble,
  "left" | "right" | "feature" | "threshold" | "defaultLeft" | "value" | "kind" | "catOffset" | "catCount"
> & {
  outputIndex: number;
};

/** LightGBM's kZeroThreshold (1e-35f) as a double. */
const ZERO_MISSING_BOUND = Math.fround(1e-35);
/** Doubles at or above this round to ±Infinity as float32. */
const FLOAT32_OVERFLOW = 3.4028235677973366e38;

/** Category trunc(x) is in the set `words[offset .. offset + count)`; values below `lower` never are. */
function inSet(x: number, lower: number, words: Uint32Array, offset: number, count: number): boolean {
  if (!(x >= lower)) return false;
  const c = Math.trunc(x);
  if (!(c >= 0) || c >= 32 * count) return false;
  return (((words[offset + (c >>> 5)] ?? 0) >>> (c & 31)) & 1) === 1;
}

/** Maps nOutputs margins to nClasses probabilities, as the core does. */
export function applyPostTransform(
  post: TreeEnsemble["postTransform"],
  m: Float64Array,
  out: Float64Array,
  at: number,
): void {
  if (post === "sigmoid") {
    const p1 = 1 / (1 + Math.exp(-m[0]!));
    out[at] = 1 - p1;
    out[at + 1] = p1;
  } else if (post === "complement") {
    out[at] = 1 - m[0]!;
    out[at + 1] = m[0]!;
  } else if (post === "sigmoid_each") {
    for (let k = 0; k < m.length; k++) out[at + k] = 1 / (1 + Math.exp(-m[k]!));
  } else if (post === "softmax_zero") {
    const near = Math.fround(0.0000001);
    let mx = m[0]!;
    // biome-ignore lint/complexity/useMathMinMax: mirrors the core's comparison
    for (let k = 1; k < m.length; k++) mx = m[k]! > mx ? m[k]! : mx;
    const scale = Math.exp(-mx);
    let sum = 0;
    for (let k = 0; k < m.length; k++) {
      if (m[k]! > near || m[k]! < -near) {
        out[at + k] = Math.exp(m[k]! - mx);
        sum += out[at + k]!;
      } else {
        out[at + k] = m[k]! * scale;
      }
    }
    for (let k = 0; k < m.length; k++) out[at + k] = out[at + k]! / sum;
  } else if (post === "softmax") {
    let mx = m[0]!;
    // biome-ignore lint/complexity/useMathMinMax: mirrors the core's comparison, which Math.max's NaN rule would not
    for (let k = 1; k < m.length; k++) mx = m[k]! > mx ? m[k]! : mx;
    let sum = 0;
    for (let k = 0; k < m.length; k++) {
      out[at + k] = Math.exp(m[k]! - mx);
      sum += out[at + k]!;
    }
    for (let k = 0; k < m.length; k++) out[at + k] = out[at + k]! / sum;
  } else {
    for (let k = 0; k < m.length; k++) out[at + k] = m[k]!;
  }
}

/** Builds a scorer for `spec`. The spec is assumed valid (the native loader is what validates). */
export function createReferenceScorer(spec: ModelSpec): ReferenceScorer {
  const nf = spec.nFeatures;
  const nc = spec.nClasses;
  const nOut = spec.nOutputs;
  const lw = spec.leafWidth;
  const lessEqual = spec.decision === "less_equal";
  const trees: CompiledTree[] = [];
  for (let t = 0; t + 1 < spec.treeNodeOffsets.length; t++) {
    const [from, to] = [spec.treeNodeOffsets[t]!, spec.treeNodeOffsets[t + 1]!];
    trees.push({
      left: spec.left.slice(from, to),
      right: spec.right.slice(from, to),
      feature: spec.feature.slice(from, to),
      threshold: spec.threshold.slice(from, to),
      defaultLeft: spec.defaultLeft.slice(from, to),
      value: spec.value.slice(from * lw, to * lw),
      kind: spec.kind.slice(from, to),
      catOffset: spec.catOffset.slice(from, to),
      catCount: spec.catCount.slice(from, to),
      outputIndex: spec.outputIndex[t]!,
    });
  }
  const base = spec.baseScore.slice();
  const words = spec.catWords.slice();
  const coef = spec.coef.slice();
  const intercept = spec.intercept.slice();
  const count = new Float64Array(nOut);
  for (const t of trees)
    for (let k = 0; k < lw; k++) count[t.outputIndex + k] = count[t.outputIndex + k]! + 1;
  const margins = new Float64Array(nOut);

  function treeMargins(rows: Float64Array, at: number): void {
    // Same order as the core: start from base (sum) or 0 (mean), add trees in index order.
    for (let k = 0; k < nOut; k++) margins[k] = spec.aggregation === "sum" ? base[k]! : 0;
    for (const t of trees) {
      let i = 0;
      while (t.left[i]! !== -1) {
        const x = rows[at + t.feature[i]!]!;
        const th = t.threshold[i]!;
        const kind = t.kind[i]!;
        let goLeft: boolean;
        if (Number.isNaN(x)) goLeft = t.defaultLeft[i]! === 1;
        else if (kind === 1 && x >= -ZERO_MISSING_BOUND && x <= ZERO_MISSING_BOUND)
          goLeft = t.defaultLeft[i]! === 1;
        else if (kind === 2 || kind === 3) {
          const member = inSet(x, th, words, t.catOffset[i]!, t.catCount[i]!);
          goLeft = kind === 2 ? member : !member;
        } else if (kind === 4) goLeft = x === th;
        else if (kind === 5) goLeft = Math.abs(x) < FLOAT32_OVERFLOW && Math.fround(x) === th;
        else goLeft = lessEqual ? x <= th : x < th;
        i = goLeft ? t.left[i]! : t.right[i]!;
      }
      for (let k = 0; k < lw; k++)
        margins[t.outputIndex + k] = margins[t.outputIndex + k]! + t.value[i * lw + k]!;
    }
    if (spec.aggregation === "mean") {
      for (let k = 0; k < nOut; k++) margins[k] = base[k]! + margins[k]! / count[k]!;
    }
  }

  function linearMargins(rows: Float64Array, at: number): void {
    for (let k = 0; k < nOut; k++) {
      let acc = intercept[k]!;
      for (let j = 0; j < nf; j++) {
        const v = rows[at + j]!;
        acc += coef[k * nf + j]! * (Number.isNaN(v) ? 0 : v);
      }
      margins[k] = acc;
    }
  }

  return {
    nFeatures: nf,
    nClasses: nc,
    predict(rows, nRows, out = new Float64Array(nRows * nc)) {
      if (rows.length !== nRows * nf)
        throw new RangeError(`rows has ${rows.length} values, expected ${nRows * nf}`);
      for (let r = 0; r < nRows; r++) {
        if (spec.family === "logistic") linearMargins(rows, r * nf);
        else treeMargins(rows, r * nf);
        applyPostTransform(spec.postTransform, margins, out, r * nc);
      }
      return out;
    },
  };
}
