/**
 * A whole model as plain data, field for field as the artifact stores it (docs/model-format.md). Its
 * trees take the core's one tree shape, {@link TreeEnsemble}, so the kit's writer, reader, random
 * models and reference scorer, the core's `exportTrees()` and the ONNX exporter all use one set of
 * arrays.
 */
import type { ModelFamilyName, TreeEnsemble } from "../../src/core/index.js";

/** A model; a logistic one has no trees (`treeNodeOffsets` is [0], the node arrays are empty). */
export interface ModelSpec extends Omit<TreeEnsemble, "family"> {
  family: ModelFamilyName;
  nFeatures: number;
  /** Empty, or one name per feature. */
  featureNames: string[];
  /** Opaque JSON text, possibly empty. */
  paramsJson: string;
  /** nOutputs × nFeatures, row-major (logistic), else empty. */
  coef: Float64Array;
  /** nOutputs (logistic), else empty. */
  intercept: Float64Array;
}

type NodeArray = "left" | "right" | "feature" | "threshold" | "defaultLeft" | "value";
type TreeArrays = Pick<TreeEnsemble, NodeArray | "treeNodeOffsets" | "outputIndex">;

/** One tree's node arrays as plain numbers (written by hand or by a generator), for {@link joinTrees}. */
export type TreeInput = { [K in NodeArray]: ArrayLike<number> } & { outputIndex?: number };

/** Packs trees, in order, into the flat arrays of a {@link TreeEnsemble}. */
export function joinTrees(trees: readonly TreeInput[]): TreeArrays {
  const treeNodeOffsets = new Uint32Array(trees.length + 1);
  let nValues = 0;
  trees.forEach((t, i) => {
    treeNodeOffsets[i + 1] = treeNodeOffsets[i]! + t.left.length;
    nValues += t.value.length;
  });
  const n = treeNodeOffsets[trees.length]!;
  const out: TreeArrays = {
    treeNodeOffsets,
    outputIndex: Uint32Array.from(trees, (t) => t.outputIndex ?? 0),
    left: new Int32Array(n),
    right: new Int32Array(n),
    feature: new Int32Array(n),
    threshold: new Float64Array(n),
    defaultLeft: new Uint8Array(n),
    value: new Float64Array(nValues),
  };
  let v = 0;
  trees.forEach((t, i) => {
    const at = treeNodeOffsets[i]!;
    out.left.set(Array.from(t.left), at);
    out.right.set(Array.from(t.right), at);
    out.feature.set(Array.from(t.feature), at);
    out.threshold.set(Array.from(t.threshold), at);
    out.defaultLeft.set(Array.from(t.defaultLeft), at);
    out.value.set(Array.from(t.value), v);
    v += t.value.length;
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
  };
}
