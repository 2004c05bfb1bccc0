// How a version's class labels are written down in the registry, beside the artifact that holds them.
import type { ClassifierModel } from "../core/model.js";

/** The version tag holding the class labels: a JSON array in probability-column order. */
export const CLASS_LABELS_TAG = "mlops.class_labels";

/** The store's limit on a tag value; labels past it are left to the artifact alone. */
const MAX_TAG_VALUE = 5000;

/** The model's classes as JSON: its labels, or the ids 0…K−1 when it stores none. */
export function classLabelsJson(model: ClassifierModel): string {
  return JSON.stringify(Array.from({ length: model.nClasses }, (_, k) => model.classLabel(k)));
}

/** `{ "mlops.class_labels": "[…]" }`, or nothing when the list is too long for a tag. */
export function classLabelTags(model: ClassifierModel): Record<string, string> {
  const json = classLabelsJson(model);
  return json.length <= MAX_TAG_VALUE ? { [CLASS_LABELS_TAG]: json } : {};
}
