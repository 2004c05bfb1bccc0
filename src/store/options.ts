import { invalid } from "./errors.js";

export interface StoreOptions {
  /** Directory holding `mlops.db` and `artifacts/`; created when missing. Required. */
  dataDir: string;
  /**
   * How long one SQLite statement waits on another connection's lock before SQLITE_BUSY.
   * Default 100 ms. Kept short on purpose: better-sqlite3 blocks the event loop while it
   * waits, so longer waits happen as async retries (see `writeTimeoutMs`).
   */
  busyTimeoutMs?: number;
  /**
   * How long a write keeps retrying on lock contention before failing with
   * StoreError("UNAVAILABLE"). Default 10 000 ms.
   */
  writeTimeoutMs?: number;
  /** Clock for stored timestamps, in ms since the epoch. Default `Date.now`. */
  now?: () => number;
  // future: `url` for PostgreSQL (see docs/store.md)
}

export type ResolvedStoreOptions = Required<StoreOptions>;

export const STORE_DEFAULTS = Object.freeze({ busyTimeoutMs: 100, writeTimeoutMs: 10_000 });

/** Fills in the documented defaults and rejects nonsense early. */
export function resolveStoreOptions(options: StoreOptions): ResolvedStoreOptions {
  if (typeof options?.dataDir !== "string" || options.dataDir === "") {
    throw invalid("StoreOptions.dataDir must be a non-empty path");
  }
  const resolved = {
    dataDir: options.dataDir,
    busyTimeoutMs: options.busyTimeoutMs ?? STORE_DEFAULTS.busyTimeoutMs,
    writeTimeoutMs: options.writeTimeoutMs ?? STORE_DEFAULTS.writeTimeoutMs,
    now: options.now ?? Date.now,
  };
  for (const key of ["busyTimeoutMs", "writeTimeoutMs"] as const) {
    const v = resolved[key];
    if (!Number.isSafeInteger(v) || v < 0) throw invalid(`StoreOptions.${key} must be an integer >= 0`);
  }
  return resolved;
}
