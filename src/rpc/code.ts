/**
 * The status codes of every call in the house: gRPC's names and numbers, so grpc-js and Connect carry
 * them unchanged. HTTP statuses are mapped here, once, both ways.
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

/**
 * HTTP statuses of the Open Inference Protocol's REST errors, as Triton maps its own error codes
 * (NOT_FOUND 404, UNAVAILABLE 503, UNIMPLEMENTED 501, INTERNAL 500, everything a caller got wrong
 * 400), keeping the house rule that overload is 429 (with Retry-After), never 503.
 */
export function oipHttpStatusOf(code: CodeName): number {
  switch (code) {
    case "OK":
      return 200;
    case "NOT_FOUND":
      return 404;
    case "UNAVAILABLE":
      return 503;
    case "UNIMPLEMENTED":
      return 501;
    case "INTERNAL":
    case "DATA_LOSS":
      return 500;
    case "RESOURCE_EXHAUSTED":
      return 429;
    case "UNAUTHENTICATED":
      return 401;
    case "PERMISSION_DENIED":
      return 403;
    case "DEADLINE_EXCEEDED":
      return 504;
    default:
      return 400;
  }
}

export function isCodeName(value: unknown): value is CodeName {
  return typeof value === "string" && Object.hasOwn(Code, value);
}

/** The name of a numeric code (gRPC's and Connect's numbers are these); undefined for an unknown one. */
export function codeNameOf(code: number): CodeName | undefined {
  return CODE_NAMES[code];
}
const CODE_NAMES: Partial<Record<number, CodeName>> = Object.fromEntries(
  Object.entries(Code).map(([name, n]) => [n, name as CodeName]),
);

export function httpStatusOf(code: CodeName): number {
  return HTTP_STATUS[code];
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
