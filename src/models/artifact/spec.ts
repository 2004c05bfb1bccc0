/**
 * A whole model as plain data, field for field as the artifact stores it (docs/model-format.md). Its
 * trees take the core's one tree shape, {@link TreeEnsemble}, so the artifact writer and reader, the
 * importers, the ONNX exporter, the core's `exportTrees()` and the test kit's random models and
 * reference scorer all use one set of arrays.
 */
import type { ClassLabels, ModelFamilyName, TreeEnsemble } from "../../core/index.js";

export type { ClassLabels } from "../../core/index.js";

/** A model; a logistic one has no trees (`treeNodeOffsets` is [0], the node arrays are empty). */
export interface ModelSpec extends Omit<TreeEnsemble, "family"> {
  family: ModelFamilyName;
  nFeatures: number;
  /** Empty, or one name per feature. */
  featureNames: string[];
  /** Opaque JSON text, possibly empty. */
  paramsJson: string;
  /** The class values in probability-column order, or kind "none" (the classes are 0..K−1). */
  classLabels: ClassLabels;
  /** nOutputs × nFeatures, row-major (logistic), else empty. */
  coef: Float64Array;
  /** nOutputs (logistic), else empty. */
  intercept: Float64Array;
}

/** Class ids 0..K−1 as the labels: nothing is stored. */
export const NO_LABELS: ClassLabels = Object.freeze({ kind: "none", values: [] }) as ClassLabels;

type NodeArray = "left" | "right" | "feature" | "threshold" | "defaultLeft" | "value";
type TreeArrays = Pick<
  TreeEnsemble,
  NodeArray | "treeNodeOffsets" | "outputIndex" | "kind" | "catOffset" | "catCount" | "catWords"
>;

/**
 * One tree's node arrays as plain numbers (written by hand, by a generator or an importer), for
 * {@link joinTrees}. `kind` (default all 0, numeric) and, for categorical nodes, `catOffset` and
 * `catCount` into the tree's own `catWords`.
 */
export type TreeInput = { [K in NodeArray]: ArrayLike<number> } & {
  outputIndex?: number;
  kind?: ArrayLike<number>;
  catOffset?: ArrayLike<number>;
  catCount?: ArrayLike<number>;
  catWords?: ArrayLike<number>;
};

/** Kinds 2 and 3: a category set decides (docs/model-format.md). */
export const isCategoricalKind = (kind: number): boolean => kind === 2 || kind === 3;

/** Packs trees, in order, into the flat arrays of a {@link TreeEnsemble}. */
export function joinTrees(trees: readonly TreeInput[]): TreeArrays {
  const treeNodeOffsets = new Uint32Array(trees.length + 1);
  let nValues = 0;
  let nWords = 0;
  trees.forEach((t, i) => {
    treeNodeOffsets[i + 1] = (treeNodeOffsets[i] ?? 0) + t.left.length;
    nValues += t.value.length;
    nWords += t.catWords?.length ?? 0;
  });
  const n = treeNodeOffsets[trees.length] ?? 0;
  const out: TreeArrays = {
    treeNodeOffsets,
    outputIndex: Uint32Array.from(trees, (t) => t.outputIndex ?? 0),
    left: new Int32Array(n),
    right: new Int32Array(n),
    feature: new Int32Array(n),
    threshold: new Float64Array(n),
    defaultLeft: new Uint8Array(n),
    value: new Float64Array(nValues),
    kind: new Uint8Array(n),
    catOffset: new Uint32Array(n),
    catCount: new Uint32Array(n),
    catWords: new Uint32Array(nWords),
  };
  let v = 0;
  let w = 0;
  trees.forEach((t, i) => {
    const at = treeNodeOffsets[i] ?? 0;
    out.left.set(Array.from(t.left), at);
    out.right.set(Array.from(t.right), at);
    out.feature.set(Array.from(t.feature), at);
    out.threshold.set(Array.from(t.threshold), at);
    out.defaultLeft.set(Array.from(t.defaultLeft), at);
    out.value.set(Array.from(t.value), v);
    if (t.kind) out.kind.set(Array.from(t.kind), at);
    if (t.catCount) out.catCount.set(Array.from(t.catCount), at);
    // Categorical nodes' offsets become offsets into the flat array; other nodes keep 0.
    if (t.catOffset) {
      const kinds = t.kind;
      out.catOffset.set(
        Array.from(t.catOffset, (o, j) => (kinds && isCategoricalKind(kinds[j] ?? 0) ? o + w : 0)),
        at,
      );
    }
    if (t.catWords) out.catWords.set(Array.from(t.catWords), w);
    v += t.value.length;
    w += t.catWords?.length ?? 0;
  });
  return out;
}

/** The trees of a tree model, as the core's `exportTrees()` gives them. Throws for a logistic model. */
export function treesOf(spec: ModelSpec): TreeEnsemble {
  const { family } = spec;
  if (family === "logistic") throw new RangeError("a logistic model has no trees");
  return {
    family,
    nClasses: spec.nClasses,
    nOutputs: spec.nOutputs,
    leafWidth: spec.leafWidth,
    aggregation: spec.aggregation,
    postTransform: spec.postTransform,
    decision: spec.decision,
    baseScore: spec.baseScore,
    treeNodeOffsets: spec.treeNodeOffsets,
    outputIndex: spec.outputIndex,
    left: spec.left,
    right: spec.right,
    feature: spec.feature,
    threshold: spec.threshold,
    defaultLeft: spec.defaultLeft,
    value: spec.value,
    kind: spec.kind,
    catOffset: spec.catOffset,
    catCount: spec.catCount,
    catWords: spec.catWords,
  };
}
