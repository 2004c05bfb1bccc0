// Request-shape checks shared by the services. Each failure is INVALID_ARGUMENT naming the
// proto field (snake_case, as clients see it) and what was expected of it. Content rules
// (name patterns, key lengths) stay in the store, the one place that enforces them.
import { invalidArgument } from "../../rpc/service-error.js";

const VERSION = /^[1-9][0-9]*$/;

/** A required string field: empty means the client left it out. */
export function required(value: string, field: string, expected = "a non-empty string"): string {
  if (value === "") throw invalidArgument(field, expected, "an empty value");
  return value;
}

/** proto3 has no "unset" for strings: empty means "not given". */
export function optional(value: string): string | undefined {
  return value === "" ? undefined : value;
}

/** A version number as the proto spells it ("3") → the store's integer. "0", "abc" and "" are rejected. */
export function parseVersion(value: string, field = "version"): number {
  const n = VERSION.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n)) {
    throw invalidArgument(field, 'a version number such as "1"', JSON.stringify(value));
  }
  return n;
}

/** An int64 of epoch milliseconds → number; 0 means "not given" (the server picks now). */
export function optionalMs(value: bigint, field: string): number | undefined {
  if (value === 0n) return undefined;
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw invalidArgument(field, "Unix epoch milliseconds, >= 0", String(value));
  }
  return Number(value);
}

/** An int64 that must fit a JS number exactly (metric steps). */
export function safeInt(value: bigint, field: string): number {
  if (value < BigInt(Number.MIN_SAFE_INTEGER) || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw invalidArgument(field, `an integer within ±${Number.MAX_SAFE_INTEGER}`, String(value));
  }
  return Number(value);
}

const RUN_ID = /^[0-9a-f]{32}$/;
const EXPERIMENT_ID = /^(0|[1-9][0-9]{0,14})$/;

/** A run id filter: 32 lowercase hex digits. */
export function parseRunId(value: string, field = "run_id"): string {
  if (!RUN_ID.test(value))
    throw invalidArgument(field, "a run id (32 lowercase hex digits)", JSON.stringify(value));
  return value;
}

/** An experiment id filter: a decimal integer ("0", "12"). */
export function parseExperimentId(value: string, field = "experiment_id"): string {
  if (!EXPERIMENT_ID.test(value))
    throw invalidArgument(field, 'an experiment id such as "1"', JSON.stringify(value));
  return value;
}

const SHA256 = /^[0-9a-fA-F]{64}$/;

/** 64 hex digits, normalised to the lowercase the content-addressed store keys on. */
export function parseSha256(value: string, field = "artifact_sha256"): string {
  if (!SHA256.test(value)) throw invalidArgument(field, "64 hex digits (SHA-256)", JSON.stringify(value));
  return value.toLowerCase();
}
