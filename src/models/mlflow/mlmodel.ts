// MLflow's model directory: the MLmodel file (YAML) names the flavors the model was saved with and,
// per flavor, the file that holds it. mlops reads three flavors with its importers; any other
// (a pickled scikit-learn model, a PyTorch state dict) is named, never unpickled.
import { parse } from "yaml";
import { ServiceError } from "../../rpc/service-error.js";
import type { IMPORT_FORMATS } from "../import/index.js";

export interface MlflowModelFile {
  /** Every flavor the MLmodel file lists, by name ("python_function", "xgboost", "sklearn"). */
  flavors: Record<string, Record<string, unknown>>;
  /** `run_id`, `model_id` (MLflow 3), `mlflow_version`, as written. */
  runId?: string;
  modelId?: string;
  mlflowVersion?: string;
}

/** The flavor mlops loads, and the file (relative to the model folder) that holds it. */
export interface LoadableFlavor {
  flavor: "xgboost" | "lightgbm" | "onnx";
  format: (typeof IMPORT_FORMATS)[number];
  dataPath: string;
}

/** The flavors the importers read, in the order they are preferred. */
export const LOADABLE_FLAVORS = ["xgboost", "lightgbm", "onnx"] as const;

const invalidMlmodel = (why: string): ServiceError =>
  new ServiceError("INVALID_ARGUMENT", `MLmodel: ${why}`, {
    violation: { field: "source", expected: "an MLflow model folder with a valid MLmodel file" },
  });

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Parses an MLmodel file; INVALID_ARGUMENT on malformed YAML or a missing `flavors` map. */
export function parseMlmodel(text: string): MlflowModelFile {
  let doc: unknown;
  try {
    // An MLmodel is a small flat document: no aliases or custom tags are needed to read it.
    doc = parse(text, { maxAliasCount: 0, uniqueKeys: false });
  } catch (error) {
    throw invalidMlmodel(`not valid YAML (${(error as Error).message.split("\n")[0]})`);
  }
  if (!isObject(doc) || !isObject(doc.flavors)) throw invalidMlmodel("no `flavors` map");
  const flavors: Record<string, Record<string, unknown>> = {};
  for (const [name, conf] of Object.entries(doc.flavors)) flavors[name] = isObject(conf) ? conf : {};
  const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
  return {
    flavors,
    runId: str(doc.run_id),
    modelId: str(doc.model_id),
    mlflowVersion: str(doc.mlflow_version),
  };
}

/** A data path inside the model folder: relative, no "..". */
function dataPath(flavor: string, conf: Record<string, unknown>, fallback: string): string {
  const data = conf.data ?? fallback;
  if (typeof data !== "string" || data === "" || data.startsWith("/") || data.split("/").includes("..")) {
    throw invalidMlmodel(`the ${flavor} flavor's \`data\` must be a file inside the model folder`);
  }
  return data.replace(/^\.\//, "");
}

/** The first flavor the importers read, or undefined when the model has none of them. */
export function loadableFlavor(model: MlflowModelFile): LoadableFlavor | undefined {
  const xgb = model.flavors.xgboost;
  if (xgb) return { flavor: "xgboost", format: "xgboost", dataPath: dataPath("xgboost", xgb, "model.xgb") };
  const lgb = model.flavors.lightgbm;
  if (lgb)
    return { flavor: "lightgbm", format: "lightgbm", dataPath: dataPath("lightgbm", lgb, "model.lgb") };
  const onnx = model.flavors.onnx;
  if (onnx) return { flavor: "onnx", format: "onnx", dataPath: dataPath("onnx", onnx, "model.onnx") };
  return undefined;
}

/** Why a model without a loadable flavor cannot be served, and what to do instead. */
export function unservableReason(model: MlflowModelFile): string {
  const names = Object.keys(model.flavors).filter((f) => f !== "python_function");
  const what = names.length === 0 ? "no flavor but python_function" : `the flavor(s) ${names.join(", ")}`;
  const pickle = names.includes("sklearn") ? " (a pickle, which mlops never loads)" : "";
  return (
    `the MLflow model has ${what}${pickle}; mlops serves the xgboost, lightgbm and onnx flavors. ` +
    "Log it as ONNX instead (mlflow.onnx.log_model(skl2onnx.to_onnx(model, X[:1]), ...)) " +
    "or with mlflow.xgboost / mlflow.lightgbm, and register that version"
  );
}
