// Classifies what node-postgres throws. SQLSTATEs arrive in `code` (5 characters); socket failures
// carry Node's errno names there; a few pool and client failures carry only a message.

const codeOf = (error: unknown): string =>
  typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "string"
    ? (error as { code: string }).code
    : "";

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** serialization_failure, deadlock_detected: the transaction may simply run again. */
export const isPgTransient = (error: unknown): boolean => ["40001", "40P01"].includes(codeOf(error));

/** unique_violation: a concurrent writer won a race. */
export const isPgUniqueViolation = (error: unknown): boolean => codeOf(error) === "23505";

const SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

// Messages node-postgres and pg-pool use for a lost or unobtainable connection (they set no code).
const LOST =
  /Connection terminated|timeout exceeded when trying to connect|Connection ended|Client has encountered a connection error|not queryable/i;

/**
 * The database cannot be reached or went away: refused or reset sockets, no connection within the
 * connect timeout, the server shutting down or starting up (SQLSTATE class 08, 57P01-57P03), too
 * many connections (53300), a statement cancelled by statement_timeout (57014).
 */
export function isPgUnavailable(error: unknown): boolean {
  const code = codeOf(error);
  if (SOCKET_CODES.has(code)) return true;
  if (code.startsWith("08") || ["57P01", "57P02", "57P03", "53300", "57014"].includes(code)) return true;
  if (code === "" && LOST.test(messageOf(error))) return true;
  // AggregateError from a dual-stack connect: every address refused.
  if (error instanceof AggregateError) return error.errors.some(isPgUnavailable);
  return false;
}
