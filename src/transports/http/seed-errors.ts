// The seed's REST contract includes its statuses: FastAPI answers a body that fails validation with
// 422 and FastAPI's `detail` list, and a body over the limit with 413 (docs/decisions/0015). Only the
// seed's routes answer so; the mlops.v1 routes keep the gRPC status mapping.
import { type FieldViolation, ServiceError } from "../../rpc/service-error.js";
import { BodyTooLarge } from "./body.js";

/** One item of FastAPI's `detail`, as pydantic v2 writes it. */
export interface SeedDetail {
  loc: Array<string | number>;
  msg: string;
  type: string;
}

/** pydantic's own words, where the check is one of its built-in kinds. */
const MESSAGES: Record<string, string> = {
  missing: "Field required",
  json_invalid: "JSON decode error",
  model_attributes_type: "Input should be a valid dictionary or object to extract fields from",
  extra_forbidden: "Extra inputs are not permitted",
  list_type: "Input should be a valid list",
  float_type: "Input should be a valid number",
  finite_number: "Input should be a finite number",
};

/** `rows[2].features[0]` → ["body", "rows", 2, "features", 0]; `body` → ["body"]. */
function locOf(field: string): Array<string | number> {
  const loc: Array<string | number> = ["body"];
  if (field === "body") return loc;
  for (const part of field.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    loc.push(part[2] === undefined ? (part[1] as string) : Number(part[2]));
  }
  return loc;
}

function detailOf(violation: FieldViolation): SeedDetail {
  const type = violation.type ?? "value_error";
  return {
    loc: locOf(violation.field),
    msg: MESSAGES[type] ?? `Input should be ${violation.expected}`,
    type,
  };
}

/** INVALID_ARGUMENT on a seed route: FastAPI's status and `detail` beside the house's error JSON. */
export class SeedValidationError extends ServiceError {
  readonly status: 413 | 422;

  constructor(readonly original: ServiceError) {
    super(original.code, original.message, { violation: original.violation, cause: original });
    this.status = original instanceof BodyTooLarge ? 413 : 422;
  }

  override get httpStatus(): number {
    return this.status;
  }

  override toJSON(): Record<string, unknown> {
    const violation = this.violation ?? { field: "body", expected: this.message };
    return { ...super.toJSON(), detail: [detailOf(violation)] };
  }
}

/** For a seed route's failure path: INVALID_ARGUMENT becomes FastAPI's answer, anything else is rethrown. */
export function seedError(e: unknown): never {
  if (e instanceof ServiceError && e.code === "INVALID_ARGUMENT" && !(e instanceof SeedValidationError)) {
    throw new SeedValidationError(e);
  }
  throw e;
}
