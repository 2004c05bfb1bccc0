// Where the ONNX exporter gets a served model's trees: the native model's typed-array tree export
// (`ClassifierModel#exportTrees()`). Until the model offers it, the ONNX comparison is skipped and
// the report says why.
import type { TreeEnsembleExport } from "./onnx-export.js";

/** The model's tree export, or undefined when the model has no `exportTrees()` (or no trees). */
export function treeExportOf(model: object): TreeEnsembleExport | undefined {
  const fn = (model as { exportTrees?: () => TreeEnsembleExport | undefined }).exportTrees;
  if (typeof fn !== "function") return undefined;
  const trees = fn.call(model);
  return trees && trees.treeNodeOffsets.length > 1 ? trees : undefined;
}
