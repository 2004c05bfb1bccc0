// What the onnxruntime comparison scores: the served models' own trees when the native model
// exports them (`ClassifierModel#exportTrees()`), else the anchors' benchmark-shaped random models
// (100 trees × depth 10 forest, 300 × depth 6 GBDT, from test/helpers) loaded into the same native
// core through the artifact format. The report names which one was used.
import { ClassifierModel } from "../../src/core/model.js";
import type { ModelSpec } from "../../src/core/reference-scorer.js";
import { writeArtifact } from "../../test/helpers/artifact-writer.js";
import { randomRows } from "../../test/helpers/random-model.js";
import { benchmarkForest, benchmarkGbdt } from "../../test/helpers/random-model-presets.js";
import { flattenTrees, type TreeEnsembleExport } from "./onnx-export.js";

export interface OnnxSubject {
  name: string;
  /** "served": the trained artifact's own trees; "preset": a random model of the same shape. */
  source: "served" | "preset";
  model: ClassifierModel;
  trees: TreeEnsembleExport;
  rows: Float64Array;
  nRows: number;
}

/** The model's tree export, or undefined when the model has no `exportTrees()` (or no trees). */
export function treeExportOf(model: object): TreeEnsembleExport | undefined {
  const fn = (model as { exportTrees?: () => TreeEnsembleExport | undefined }).exportTrees;
  if (typeof fn !== "function") return undefined;
  const trees = fn.call(model);
  return trees && trees.treeNodeOffsets.length > 1 ? trees : undefined;
}

/** A spec's trees flattened, with the header fields the exporter reads. */
export function specTrees(spec: ModelSpec): TreeEnsembleExport {
  return flattenTrees(
    {
      family: spec.family,
      nClasses: spec.nClasses,
      nOutputs: spec.nOutputs,
      leafWidth: spec.leafWidth,
      aggregation: spec.aggregation,
      postTransform: spec.postTransform,
      decision: spec.decision,
      baseScore: spec.baseScore,
    },
    spec.trees,
  );
}

/**
 * The subject for one trained model: its own trees on the held-out rows, or (without a tree export)
 * the preset of its family on random rows with NaNs and values exactly on thresholds.
 */
export function onnxSubject(
  name: string,
  family: "rf" | "gbdt",
  artifact: Uint8Array,
  testRows: Float64Array,
  nTest: number,
): OnnxSubject {
  const served = ClassifierModel.fromBytes(artifact);
  const trees = treeExportOf(served);
  if (trees) return { name, source: "served", model: served, trees, rows: testRows, nRows: nTest };
  served.dispose();
  const spec = family === "rf" ? benchmarkForest() : benchmarkGbdt();
  return {
    name: `${name} (preset)`,
    source: "preset",
    model: ClassifierModel.fromBytes(writeArtifact(spec)),
    trees: specTrees(spec),
    rows: randomRows(spec, nTest),
    nRows: nTest,
  };
}
