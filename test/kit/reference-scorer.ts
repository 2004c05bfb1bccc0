/**
 * A plain TypeScript scorer with the native core's exact semantics (docs/model-format.md, "Scoring"),
 * working on a plain description of a model. Tests use it as the oracle for the native scorer, and
 * the benchmark as the "plain TS" baseline, so it stays straightforward: one row at a time, one tree
 * at a time, a pointer walk per tree.
 */

export type FamilyName = "gbdt" | "random_forest" | "logistic";
export type AggregationName = "sum" | "mean";
export type PostTransformName = "identity" | "sigmoid" | "softmax";
export type DecisionName = "less" | "less_equal";

/** One tree as parallel arrays indexed by node id; node 0 is the root, a leaf has both children -1. */
export interface TreeSpec {
  left: ArrayLike<number>;
  right: ArrayLike<number>;
  /** -1 on leaves. */
  feature: ArrayLike<number>;
  threshold: ArrayLike<number>;
  /** 1: NaN goes left. */
  defaultLeft: ArrayLike<number>;
  /** leafWidth values per node. */
  value: ArrayLike<number>;
  /** First output this tree adds to (0 when leafWidth == nOutputs). */
  outputIndex: number;
}

/** A model in the shape of native/core/model.h, field for field. */
export interface ModelSpec {
  family: FamilyName;
  nFeatures: number;
  nClasses: number;
  nOutputs: number;
  leafWidth: number;
  aggregation: AggregationName;
  postTransform: PostTransformName;
  decision: DecisionName;
  featureNames: string[];
  paramsJson: string;
  /** nOutputs margins (tree families), empty for logistic. */
  baseScore: ArrayLike<number>;
  trees: TreeSpec[];
  /** nOutputs × nFeatures, row-major (logistic), else empty. */
  coef: ArrayLike<number>;
  /** nOutputs (logistic), else empty. */
  intercept: ArrayLike<number>;
}

export interface ReferenceScorer {
  readonly nFeatures: number;
  readonly nClasses: number;
  /** Same contract as the native predict: rows are `nRows × nFeatures`, the result `nRows × nClasses`. */
  predict(rows: Float64Array, nRows: number, out?: Float64Array): Float64Array;
}

interface CompiledTree {
  left: Int32Array;
  right: Int32Array;
  feature: Int32Array;
  threshold: Float64Array;
  defaultLeft: Uint8Array;
  value: Float64Array;
  outputIndex: number;
}

/** Maps nOutputs margins to nClasses probabilities, as the core does. */
export function applyPostTransform(
  post: PostTransformName,
  m: Float64Array,
  out: Float64Array,
  at: number,
): void {
  if (post === "sigmoid") {
    const p1 = 1 / (1 + Math.exp(-m[0]));
    out[at] = 1 - p1;
    out[at + 1] = p1;
  } else if (post === "softmax") {
    let mx = m[0];
    // biome-ignore lint/complexity/useMathMinMax: mirrors the core's comparison, which Math.max's NaN rule would not
    for (let k = 1; k < m.length; k++) mx = m[k] > mx ? m[k] : mx;
    let sum = 0;
    for (let k = 0; k < m.length; k++) {
      out[at + k] = Math.exp(m[k] - mx);
      sum += out[at + k];
    }
    for (let k = 0; k < m.length; k++) out[at + k] /= sum;
  } else {
    for (let k = 0; k < m.length; k++) out[at + k] = m[k];
  }
}

/** Builds a scorer for `spec`. The spec is assumed valid (the native loader is what validates). */
export function createReferenceScorer(spec: ModelSpec): ReferenceScorer {
  const nf = spec.nFeatures;
  const nc = spec.nClasses;
  const nOut = spec.nOutputs;
  const lw = spec.leafWidth;
  const lessEqual = spec.decision === "less_equal";
  const trees: CompiledTree[] = spec.trees.map((t) => ({
    left: Int32Array.from(t.left),
    right: Int32Array.from(t.right),
    feature: Int32Array.from(t.feature),
    threshold: Float64Array.from(t.threshold),
    defaultLeft: Uint8Array.from(t.defaultLeft),
    value: Float64Array.from(t.value),
    outputIndex: t.outputIndex,
  }));
  const base = Float64Array.from(spec.baseScore);
  const coef = Float64Array.from(spec.coef);
  const intercept = Float64Array.from(spec.intercept);
  const count = new Float64Array(nOut);
  for (const t of trees) for (let k = 0; k < lw; k++) count[t.outputIndex + k] += 1;
  const margins = new Float64Array(nOut);

  function treeMargins(rows: Float64Array, at: number): void {
    // Same order as the core: start from base (sum) or 0 (mean), add trees in index order.
    for (let k = 0; k < nOut; k++) margins[k] = spec.aggregation === "sum" ? base[k] : 0;
    for (const t of trees) {
      let i = 0;
      while (t.left[i] !== -1) {
        const x = rows[at + t.feature[i]];
        const goLeft = Number.isNaN(x)
          ? t.defaultLeft[i] === 1
          : lessEqual
            ? x <= t.threshold[i]
            : x < t.threshold[i];
        i = goLeft ? t.left[i] : t.right[i];
      }
      for (let k = 0; k < lw; k++) margins[t.outputIndex + k] += t.value[i * lw + k];
    }
    if (spec.aggregation === "mean") {
      for (let k = 0; k < nOut; k++) margins[k] = base[k] + margins[k] / count[k];
    }
  }

  function linearMargins(rows: Float64Array, at: number): void {
    for (let k = 0; k < nOut; k++) {
      let acc = intercept[k];
      for (let j = 0; j < nf; j++) {
        const v = rows[at + j];
        acc += coef[k * nf + j] * (Number.isNaN(v) ? 0 : v);
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
