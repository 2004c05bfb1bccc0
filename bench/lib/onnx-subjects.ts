// What the onnxruntime comparison scores: a trained artifact loaded into the native core, and that
// same model's trees as flat typed arrays (`ClassifierModel#exportTrees()`) for the ONNX export.

import type { TreeEnsemble } from "../../src/core/index.js";
import { ClassifierModel } from "../../src/core/model.js";

export interface OnnxSubject {
  name: string;
  model: ClassifierModel;
  trees: TreeEnsemble;
}

/** Loads `artifact` and exports its trees; throws (code ERR_BENCH_NO_TREES) for a linear model. */
export function onnxSubject(name: string, artifact: Uint8Array): OnnxSubject {
  const model = ClassifierModel.fromBytes(artifact);
  const trees = model.exportTrees();
  if (!trees || trees.treeNodeOffsets.length < 2) {
    model.dispose();
    throw Object.assign(new Error(`${name}: the model has no trees to export`), {
      code: "ERR_BENCH_NO_TREES",
    });
  }
  return { name, model, trees };
}
