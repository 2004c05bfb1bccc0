// What the AWS SDK throws, as the store's codes: absent is NOT_FOUND, a configuration the server
// refuses is FAILED_PRECONDITION, and everything else (refused or timed-out connections, 5xx,
// throttling) is UNAVAILABLE, which callers may retry.
import { StoreError } from "../../errors.js";

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const MISCONFIGURED = new Set([
  "NoSuchBucket",
  "AccessDenied",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "InvalidToken",
  "CredentialsProviderError",
  "PermanentRedirect",
  "AuthorizationHeaderMalformed",
]);

/** HeadObject has no body, so a 404 there is only a status. */
export function isNotFound(error: unknown): boolean {
  const e = error as SdkError;
  return e?.name === "NoSuchKey" || e?.name === "NotFound" || e?.$metadata?.httpStatusCode === 404;
}

export function toStoreError(error: unknown, where: string): StoreError {
  if (error instanceof StoreError) return error;
  const e = error as SdkError;
  const status = e?.$metadata?.httpStatusCode;
  const what = e?.name && e.name !== "Error" ? `${e.name}: ${e?.message}` : String(e?.message ?? error);
  if (e?.name === "NoSuchBucket") {
    return new StoreError("FAILED_PRECONDITION", `artifact store ${where}: the bucket does not exist`, {
      cause: error,
    });
  }
  if (MISCONFIGURED.has(e?.name ?? "") || status === 401 || status === 403) {
    return new StoreError("FAILED_PRECONDITION", `artifact store ${where} refused the request (${what})`, {
      cause: error,
    });
  }
  return new StoreError("UNAVAILABLE", `artifact store ${where} is unavailable (${e?.code ?? what})`, {
    cause: error,
  });
}
