// The TypeScript face of the native core: the only way the rest of the house reaches the addon.
export { type LoadCsvOptions, loadCsv, parseCsv } from "./data/csv.js";
export { DataError, type Dataset } from "./data/dataset.js";
export { type SplitOptions, selectRows, splitRows } from "./data/split.js";
export { type MakeClassificationOptions, makeClassification } from "./data/synthetic.js";
export {
  CoreError,
  type CoreErrorCode,
  ERR_TRAIN_CANCELLED,
  ERR_TRAIN_INTERNAL,
  ERR_TRAIN_INVALID,
  TrainError,
  type TrainErrorCode,
} from "./errors.js";
export { trimNativeHeap } from "./memory.js";
export * as metrics from "./metrics.js";
export {
  ClassifierModel,
  type ModelFamilyName,
  type ModelInfo,
  type PredictAsyncOptions,
  type PredictOptions,
} from "./model.js";
export { type ClassLabels, NODE_KIND, type PostTransformName, type TreeEnsemble } from "./native.js";
export { type TrainDataset, type TrainHooks, train } from "./train.js";
export {
  type MaxFeatures,
  type ModelFamily,
  type ResolvedTrainOptions,
  resolveTrainOptions,
  type TrainOptions,
} from "./train-options.js";
