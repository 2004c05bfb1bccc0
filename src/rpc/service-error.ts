import { Code, type CodeName, httpStatusOf, isCodeName } from "./code.js";

/** Machine-readable detail for bad input: which field, and what was expected of it. */
export interface FieldViolation {
  field: string;
  expected: string;
  /**
   * The kind of violation in pydantic v2's words (`missing`, `json_invalid`, `float_type`, …), which
   * the seed's `/predict` reports in FastAPI's `detail`; unset means `value_error`.
   */
  type?: string;
}

export interface ServiceErrorOptions {
  violation?: FieldViolation;
  /** Seconds a client should wait before retrying (load shedding). */
  retryAfterSeconds?: number;
  cause?: unknown;
}

/**
 * The one error type of every call: services, serving and transports throw it, each transport only
 * translates it. Clients test `code`, never the wording.
 */
export class ServiceError extends Error {
  readonly code: CodeName;
  readonly violation?: FieldViolation;
  readonly retryAfterSeconds?: number;

  constructor(code: CodeName, message: string, options: ServiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ServiceError";
    this.code = code;
    this.violation = options.violation;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  get grpcCode(): number {
    return Code[this.code];
  }

  get httpStatus(): number {
    return httpStatusOf(this.code);
  }

  /** What RPC transports send beside the status (trailers / headers): the field, Retry-After. */
  get metadata(): Record<string, string> {
    const md: Record<string, string> = {};
    if (this.violation) md["x-mlops-field"] = this.violation.field;
    if (this.retryAfterSeconds !== undefined) md["retry-after"] = String(this.retryAfterSeconds);
    return md;
  }

  /** The JSON body REST clients get. `code` is lower-case, as in Connect's error JSON. */
  toJSON(): Record<string, unknown> {
    const body: Record<string, unknown> = { code: this.code.toLowerCase(), message: this.message };
    if (this.violation) body.field = this.violation.field;
    if (this.violation) body.expected = this.violation.expected;
    return body;
  }
}

export function invalidArgument(field: string, expected: string, got?: string, type?: string): ServiceError {
  const suffix = got === undefined ? "" : `, got ${got}`;
  return new ServiceError("INVALID_ARGUMENT", `${field}: expected ${expected}${suffix}`, {
    violation: type === undefined ? { field, expected } : { field, expected, type },
  });
}

/** Any thrown value → ServiceError; unknown errors become INTERNAL without leaking internals. */
export function toServiceError(err: unknown): ServiceError {
  if (err instanceof ServiceError) return err;
  const code = (err as { code?: unknown })?.code;
  if (isCodeName(code)) return new ServiceError(code, (err as Error).message, { cause: err });
  return new ServiceError("INTERNAL", "internal error", { cause: err });
}
