// The TypeScript face of the native core: the only way the rest of the house reaches the addon.
export { type LoadCsvOptions, loadCsv, parseCsv } from "./data/csv.js";
export { DataError, type Dataset } from "./data/dataset.js";
export { type SplitOptions, selectRows, splitRows } from "./data/split.js";
export { type MakeClassificationOptions, makeClassification } from "./data/synthetic.js";
export * as metrics from "./metrics.js";
export {
  ClassifierModel,
  CoreError,
  type CoreErrorCode,
  type ModelFamilyName,
  type ModelInfo,
  type PredictAsyncOptions,
} from "./model.js";
export {
  ERR_TRAIN_CANCELLED,
  ERR_TRAIN_INVALID,
  type ResolvedTrainOptions,
  resolveTrainOptions,
  TrainError,
  type TrainHooks,
  type TrainOptions,
  train,
} from "./train.js";
