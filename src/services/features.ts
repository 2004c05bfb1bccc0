import { invalidArgument } from "../rpc/service-error.js";

/**
 * Checks one row and copies it into a typed array. JSON and protobuf both deliver plain numbers;
 * anything else, a wrong length, or a non-finite value (unless missing values are allowed, when
 * NaN means "missing" and follows the trees' learned default direction) is INVALID_ARGUMENT naming
 * the offending field. With missing values allowed, `null` (what JSON has instead of NaN) is one too.
 */
export function toRow(
  values: ArrayLike<unknown> | undefined,
  nFeatures: number,
  field: string,
  allowMissing: boolean,
  into?: Float64Array,
): Float64Array {
  if (values === undefined || values === null) {
    throw invalidArgument(field, `an array of ${nFeatures} numbers`, "nothing", "missing");
  }
  if (values.length !== nFeatures) {
    const list = Array.isArray(values) || ArrayBuffer.isView(values);
    const type = !list ? "list_type" : values.length < nFeatures ? "too_short" : "too_long";
    throw invalidArgument(field, `an array of ${nFeatures} numbers`, `${values.length}`, type);
  }
  const row = into ?? new Float64Array(nFeatures);
  for (let i = 0; i < nFeatures; i++) {
    const v = values[i];
    if (v === null && allowMissing) {
      row[i] = Number.NaN;
      continue;
    }
    if (typeof v !== "number") {
      throw invalidArgument(`${field}[${i}]`, "a number", v === null ? "null" : typeof v, "float_type");
    }
    if (!Number.isFinite(v) && !(allowMissing && Number.isNaN(v))) {
      throw invalidArgument(
        `${field}[${i}]`,
        allowMissing ? "a number, or NaN / null for a missing value" : "a finite number",
        String(v),
        "finite_number",
      );
    }
    row[i] = v;
  }
  return row;
}
