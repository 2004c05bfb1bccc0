// What every importer returns, and the last step they share: write the converted model with the one
// artifact writer and load it through the one validator, so nothing unvalidated leaves an importer.
import { CoreError } from "../../core/errors.js";
import { ClassifierModel } from "../../core/model.js";
import type { ClassLabels, ModelSpec } from "../artifact/spec.js";
import { writeArtifact } from "../artifact/write.js";
import { type ImportFormat, malformed } from "./errors.js";

export interface ImportedModel {
  format: ImportFormat;
  /** The origin's own version where the file says it ("1.7.4", "v4", "ONNX IR 8 / ai.onnx.ml 3"). */
  formatVersion: string;
  /** The origin's objective or operator ("binary:logistic", "multiclass", "TreeEnsembleClassifier"). */
  objective: string;
  nTrees: number;
  nFeatures: number;
  /** The class labels, in probability-column order. */
  classes: (string | number)[];
  featureNames: string[];
  /** The model's own hyper-parameters as the origin file records them, for the run's params. */
  params: Record<string, string>;
  /** The converted artifact, validated by the native loader. */
  artifact: Uint8Array;
  /** The loaded model (callers that only want the bytes may dispose it). */
  model: ClassifierModel;
}

export interface ImportOptions {
  /** Replaces (or supplies) the feature names: one per feature. */
  featureNames?: readonly string[];
  /**
   * Class labels where the file has none (XGBoost, LightGBM): one per class, in class-index order.
   * Numbers (all of them integers, or all finite) or strings. A file's own labels (ONNX) win, and
   * giving different ones is INVALID_ARGUMENT.
   */
  classes?: readonly (string | number)[];
}

/** Labels from `--classes`, typed as the artifact stores them. */
export function labelsFrom(
  format: ImportFormat,
  classes: readonly (string | number)[] | undefined,
  nClasses: number,
): ClassLabels {
  if (classes === undefined) return { kind: "none", values: [] };
  if (classes.length !== nClasses) {
    throw malformed(
      format,
      "classes",
      `${nClasses} class labels (the model has ${nClasses} classes)`,
      String(classes.length),
    );
  }
  const unique = new Set(classes.map((c) => (typeof c === "number" ? `n${c === 0 ? 0 : c}` : `s${c}`)));
  if (unique.size !== classes.length) throw malformed(format, "classes", "distinct labels");
  if (classes.every((c) => typeof c === "number")) {
    const values = classes as number[];
    if (values.every((v) => Number.isSafeInteger(v))) return { kind: "int64", values };
    if (values.every((v) => Number.isFinite(v))) return { kind: "float64", values };
    throw malformed(format, "classes", "finite numbers");
  }
  return { kind: "string", values: classes.map(String) };
}

/** Feature names: the option's, else the file's, else none; checked against the feature count. */
export function featureNamesFrom(
  format: ImportFormat,
  fromFile: readonly string[],
  option: readonly string[] | undefined,
  nFeatures: number,
): string[] {
  const names = option ?? fromFile;
  if (names.length !== 0 && names.length !== nFeatures) {
    throw malformed(
      format,
      option ? "feature_names (--feature-names)" : "feature_names",
      `${nFeatures} names`,
      String(names.length),
    );
  }
  return [...names];
}

/** Writes and validates; a converted model the loader refuses is the file's fault (or ours). */
export function finish(
  format: ImportFormat,
  spec: ModelSpec,
  meta: Omit<
    ImportedModel,
    "artifact" | "model" | "format" | "nTrees" | "nFeatures" | "classes" | "featureNames"
  >,
): ImportedModel {
  const artifact = writeArtifact(spec);
  let model: ClassifierModel;
  try {
    model = ClassifierModel.fromBytes(artifact);
  } catch (error) {
    if (error instanceof CoreError && error.code === "ERR_MODEL_FORMAT") {
      throw malformed(
        format,
        "model",
        "a model the artifact validator accepts",
        `${error.reason}: ${error.message}`,
      );
    }
    throw error;
  }
  return {
    format,
    ...meta,
    nTrees: spec.treeNodeOffsets.length - 1,
    nFeatures: spec.nFeatures,
    classes: Array.from({ length: spec.nClasses }, (_, k) => model.classLabel(k)),
    featureNames: spec.featureNames,
    artifact,
    model,
  };
}
