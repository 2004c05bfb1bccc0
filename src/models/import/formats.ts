// The formats the importers read, apart from the importers themselves: what validates a request's
// `format` (the registry service, the CLI's choices) needs the names, not the converters.
export const IMPORT_FORMATS = ["xgboost", "lightgbm", "onnx"] as const;
export type ImportFormatOption = "auto" | (typeof IMPORT_FORMATS)[number];
