// How the CLI reports failure: one line on stderr, `error: CODE: message`, and a distinct exit code.
import { constants as osConstants } from "node:os";
import type { ErrorCode } from "../rpc/error-codes.js";

/** Process exit codes of every `mlops` command. */
export const EXIT = Object.freeze({
  ok: 0,
  /** The operation failed (store, service, data or training error). */
  failure: 1,
  /** Bad flags or arguments (commander's parse errors and our own usage checks). */
  usage: 2,
  /** Cancelled with Ctrl-C (128 + SIGINT). */
  interrupted: 130,
});

/** The exit code after a signal, as a shell reports it: 128 + its number (SIGHUP 129, SIGTERM 143). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (osConstants.signals[signal] ?? 2);
}

/** A failure the CLI itself detects, with a stable code (src/rpc/error-codes.ts), like the services. */
export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
  }
}

/** The stable code of any error that has one: StoreError, ServiceError, DataError, Node's ENOENT… */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code !== "" ? code : undefined;
}

/** `error: NOT_FOUND: registered model "x" not found` — without repeating a code the message starts with. */
export function formatError(error: unknown): string {
  const code = errorCode(error);
  let message = error instanceof Error ? error.message : String(error);
  if (code !== undefined && message.startsWith(`${code}: `)) message = message.slice(code.length + 2);
  message = message.replace(/\s*\n\s*/g, " ").trim();
  return code === undefined ? `error: ${message}` : `error: ${code}: ${message}`;
}
