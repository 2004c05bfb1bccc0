/**
 * The one error type of the service layer. Codes are gRPC status names and numbers, so grpc-js and
 * Connect carry them unchanged; REST maps them to HTTP once, here.
 */
export const Code = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

export type CodeName = keyof typeof Code;

/** HTTP statuses per code; the grpc-gateway / Connect convention. */
const HTTP_STATUS: Record<CodeName, number> = {
  OK: 200,
  CANCELLED: 499,
  UNKNOWN: 500,
  INVALID_ARGUMENT: 400,
  DEADLINE_EXCEEDED: 504,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  PERMISSION_DENIED: 403,
  RESOURCE_EXHAUSTED: 429,
  FAILED_PRECONDITION: 400,
  ABORTED: 409,
  OUT_OF_RANGE: 400,
  UNIMPLEMENTED: 501,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DATA_LOSS: 500,
  UNAUTHENTICATED: 401,
};

/** Machine-readable detail for bad input: which field, and what was expected of it. */
export interface FieldViolation {
  field: string;
  expected: string;
}

export interface ServiceErrorOptions {
  violation?: FieldViolation;
  /** Seconds a client should wait before retrying (load shedding). */
  retryAfterSeconds?: number;
  cause?: unknown;
}

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
    return HTTP_STATUS[this.code];
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

export function invalidArgument(field: string, expected: string, got?: string): ServiceError {
  const suffix = got === undefined ? "" : `, got ${got}`;
  return new ServiceError("INVALID_ARGUMENT", `${field}: expected ${expected}${suffix}`, {
    violation: { field, expected },
  });
}

/** The code a bare HTTP status stands for (for failures a library answered before our handler ran). */
export function codeOfHttpStatus(status: number): CodeName {
  switch (status) {
    case 400:
    case 405:
    case 411:
    case 415:
      return "INVALID_ARGUMENT";
    case 401:
      return "UNAUTHENTICATED";
    case 403:
      return "PERMISSION_DENIED";
    case 404:
      return "NOT_FOUND";
    case 408:
    case 504:
      return "DEADLINE_EXCEEDED";
    case 409:
      return "ABORTED";
    case 413:
    case 429:
      return "RESOURCE_EXHAUSTED";
    case 499:
      return "CANCELLED";
    case 501:
      return "UNIMPLEMENTED";
    case 503:
      return "UNAVAILABLE";
    default:
      return status >= 500 ? "INTERNAL" : "UNKNOWN";
  }
}

export function httpStatusOf(code: CodeName): number {
  return HTTP_STATUS[code];
}

/** Any thrown value → ServiceError; unknown errors become INTERNAL without leaking internals. */
export function toServiceError(err: unknown): ServiceError {
  if (err instanceof ServiceError) return err;
  const code = (err as { code?: unknown })?.code;
  if (typeof code === "string" && code in Code) {
    return new ServiceError(code as CodeName, (err as Error).message, { cause: err });
  }
  return new ServiceError("INTERNAL", "internal error", { cause: err });
}
