// The store's one error type. Codes are spelled like gRPC status names so the
// service layer maps them 1:1; messages name the entity for humans.

export const STORE_ERROR_CODES = [
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "INVALID_ARGUMENT",
  "FAILED_PRECONDITION",
  /** Stored bytes no longer match their content hash. */
  "DATA_LOSS",
  /** The database stayed locked past the write timeout, or the store is closed. */
  "UNAVAILABLE",
] as const;

export type StoreErrorCode = (typeof STORE_ERROR_CODES)[number];

export class StoreError extends Error {
  override readonly name = "StoreError";
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function isStoreError(error: unknown, code?: StoreErrorCode): error is StoreError {
  return error instanceof StoreError && (code === undefined || error.code === code);
}

export const notFound = (what: string): StoreError => new StoreError("NOT_FOUND", `${what} not found`);
export const invalid = (message: string): StoreError => new StoreError("INVALID_ARGUMENT", message);
