// Modules a serving process rarely runs, loaded on their first call: the importers, the ONNX
// writer and the MLmodel reader with its YAML parser. Every `--workers` process holds what it has loaded, and these cost each one ~1 MiB of
// its V8 heap (docs/decisions/0030) for requests that a registry sees a few times a day.
export const loadImporters = () => import("../models/import/index.js");
export const loadOnnxExport = () => import("../models/export/onnx.js");
export const loadMlmodel = () => import("../models/mlflow/mlmodel.js");
