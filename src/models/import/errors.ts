// The two ways an import fails: a file that is malformed or hostile (INVALID_ARGUMENT, naming the
// format and the field), and a valid file using something we do not convert (UNIMPLEMENTED, naming
// the feature and where it is used). Nothing else leaves an importer.
import { ServiceError } from "../../rpc/service-error.js";

export type ImportFormat = "xgboost" | "lightgbm" | "onnx";

/** `<format>: <field>: expected <expected>[, got <got>]`, INVALID_ARGUMENT. */
export function malformed(format: ImportFormat, field: string, expected: string, got?: string): ServiceError {
  const suffix = got === undefined ? "" : `, got ${got}`;
  return new ServiceError("INVALID_ARGUMENT", `${format}: ${field}: expected ${expected}${suffix}`, {
    violation: { field: `${format}:${field}`, expected },
  });
}

/** `<format>: <feature> is not supported (<where>)`, UNIMPLEMENTED. */
export function unsupported(format: ImportFormat, feature: string, where: string): ServiceError {
  return new ServiceError("UNIMPLEMENTED", `${format}: ${feature} is not supported (${where})`, {
    violation: { field: `${format}:${where}`, expected: "a supported feature" },
  });
}

/** Short text of a value for a message: never the whole of a hostile string or array. */
export function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null) return "null";
  if (typeof value === "object") return "an object";
  return String(value);
}
