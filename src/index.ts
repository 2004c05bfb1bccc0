// Public API of the `mlops` package. Everything a library user needs is exported here; deeper
// paths are internal, and package.json's `exports` map makes Node refuse them.
export { type App, type AppOptions, createApp } from "./app/create-app.js";
export {
  CLUSTER_DEFAULTS,
  type Cluster,
  type ClusterOptions,
  createCluster,
} from "./cluster/create-cluster.js";
export { type BatchingConfig, type Config, type ConfigOverrides, loadConfig } from "./config/config.js";
export * from "./core/index.js";
export { exportOnnxModel, type OnnxExportOptions } from "./models/export/onnx.js";
export {
  detectFormat,
  type ImportedModel,
  type ImportFormatOption,
  type ImportOptions,
  importModel,
} from "./models/import/index.js";
export { createLogger, type Logger, type LoggerOptions } from "./observability/logger.js";
export { createMetrics, type Metrics, type MetricsOptions } from "./observability/metrics.js";
export { Code, type CodeName } from "./rpc/code.js";
export { ERROR_CODES, type ErrorCode, type ErrorCodeSource } from "./rpc/error-codes.js";
export { ServiceError } from "./rpc/service-error.js";
export {
  type ArtifactStore,
  type ArtifactStoreOptions,
  createArtifactStore,
  createStore,
  type Store,
  StoreError,
  type StoreOptions,
} from "./store/index.js";
export {
  type ImportAndRegisterOptions,
  importAndRegisterFile,
} from "./workflows/import-and-register.js";
export { type TrainAndRegisterOptions, trainAndRegister } from "./workflows/train-and-register.js";
