// Bring your own model: the one entry point of the importers. `format: "auto"` tells the formats
// apart by content (a protobuf ModelProto, XGBoost's JSON document, LightGBM's text header), never by
// the file name.
import { ServiceError } from "../../rpc/service-error.js";
import type { IMPORT_FORMATS, ImportFormatOption } from "./formats.js";
import { importLightgbm, looksLikeLightgbm } from "./lightgbm.js";
import { importOnnx, looksLikeOnnx } from "./onnx.js";
import type { ImportedModel, ImportOptions } from "./result.js";
import { importXgboost, looksLikeXgboostJson } from "./xgboost.js";

export type { ImportFormat } from "./errors.js";
export { IMPORT_FORMATS, type ImportFormatOption } from "./formats.js";
export type { ImportedModel, ImportOptions } from "./result.js";

/** Which importer reads `bytes`, by content; undefined when none recognises it. */
export function detectFormat(bytes: Uint8Array): (typeof IMPORT_FORMATS)[number] | undefined {
  if (looksLikeXgboostJson(bytes)) return "xgboost";
  if (looksLikeLightgbm(bytes)) return "lightgbm";
  if (looksLikeOnnx(bytes)) return "onnx";
  return undefined;
}

export function importModel(
  bytes: Uint8Array,
  options: ImportOptions & { format?: ImportFormatOption } = {},
): ImportedModel {
  const format =
    options.format === undefined || options.format === "auto" ? detectFormat(bytes) : options.format;
  switch (format) {
    case "xgboost":
      return importXgboost(bytes, options);
    case "lightgbm":
      return importLightgbm(bytes, options);
    case "onnx":
      return importOnnx(bytes, options);
    default:
      throw new ServiceError(
        "INVALID_ARGUMENT",
        `file: expected an XGBoost JSON or UBJSON model, a LightGBM text model or an ONNX model (pickles are not read), got ${bytes.length === 0 ? "an empty file" : "none of them"}`,
        { violation: { field: "file", expected: "an XGBoost, LightGBM or ONNX model" } },
      );
  }
}
