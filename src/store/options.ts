import { invalid } from "./errors.js";

export interface StoreOptions {
  /**
   * Directory holding `mlops.db` (the SQLite store) and `artifacts/`; created when missing. Required.
   * With a PostgreSQL `url` the registry lives in that database and the directory only holds
   * local artifacts.
   */
  dataDir: string;
  /**
   * `postgres://user:password@host:port/database` (or `postgresql://`) selects the PostgreSQL
   * backend; unset, the embedded SQLite file in `dataDir` is used. Default unset.
   */
  url?: string;
  /**
   * How long one SQLite statement waits on another connection's lock before SQLITE_BUSY.
   * Default 100 ms. Kept short on purpose: better-sqlite3 blocks the event loop while it
   * waits, so longer waits happen as async retries (see `writeTimeoutMs`).
   */
  busyTimeoutMs?: number;
  /**
   * How long a write keeps retrying on lock contention (SQLite) or serialization failures and
   * deadlocks (PostgreSQL) before failing with StoreError("UNAVAILABLE"). Default 10 000 ms.
   */
  writeTimeoutMs?: number;
  /** PostgreSQL: connections in the pool at most (per Store, i.e. per process). Default 10. */
  poolSize?: number;
  /**
   * PostgreSQL: how long a call waits for a connection (a new one, or a free one from a full pool)
   * before StoreError("UNAVAILABLE"). A database that is down refuses at once; this bounds the wait
   * when it does not answer at all. Default 2000 ms.
   */
  connectTimeoutMs?: number;
  /** PostgreSQL: `statement_timeout` of every connection; a longer statement is UNAVAILABLE. Default 10 000 ms. */
  statementTimeoutMs?: number;
  /** PostgreSQL: an idle pooled connection is closed after this long. Default 30 000 ms. */
  idleTimeoutMs?: number;
  /** Clock for stored timestamps, in ms since the epoch. Default `Date.now`. */
  now?: () => number;
  /** Called once the schema is current, with the migrations this open applied (often none). */
  onMigrated?: (applied: readonly string[]) => void;
}

export type ResolvedStoreOptions = Required<Omit<StoreOptions, "url" | "onMigrated">> &
  Pick<StoreOptions, "url" | "onMigrated">;

export const STORE_DEFAULTS = Object.freeze({
  busyTimeoutMs: 100,
  writeTimeoutMs: 10_000,
  poolSize: 10,
  connectTimeoutMs: 2000,
  statementTimeoutMs: 10_000,
  idleTimeoutMs: 30_000,
});

/** `postgres://` and `postgresql://` URLs select PostgreSQL. */
export const isPostgresUrl = (url: string): boolean => /^postgres(ql)?:\/\//i.test(url);

/** Fills in the documented defaults and rejects nonsense early. */
export function resolveStoreOptions(options: StoreOptions): ResolvedStoreOptions {
  if (typeof options?.dataDir !== "string" || options.dataDir === "") {
    throw invalid("StoreOptions.dataDir must be a non-empty path");
  }
  const resolved: ResolvedStoreOptions = {
    dataDir: options.dataDir,
    busyTimeoutMs: options.busyTimeoutMs ?? STORE_DEFAULTS.busyTimeoutMs,
    writeTimeoutMs: options.writeTimeoutMs ?? STORE_DEFAULTS.writeTimeoutMs,
    poolSize: options.poolSize ?? STORE_DEFAULTS.poolSize,
    connectTimeoutMs: options.connectTimeoutMs ?? STORE_DEFAULTS.connectTimeoutMs,
    statementTimeoutMs: options.statementTimeoutMs ?? STORE_DEFAULTS.statementTimeoutMs,
    idleTimeoutMs: options.idleTimeoutMs ?? STORE_DEFAULTS.idleTimeoutMs,
    now: options.now ?? Date.now,
  };
  if (options.onMigrated) resolved.onMigrated = options.onMigrated;
  if (options.url !== undefined && options.url !== "") {
    if (!isPostgresUrl(options.url)) {
      throw invalid("StoreOptions.url must be a postgres:// or postgresql:// URL");
    }
    resolved.url = options.url;
  }
  for (const key of [
    "busyTimeoutMs",
    "writeTimeoutMs",
    "connectTimeoutMs",
    "statementTimeoutMs",
    "idleTimeoutMs",
  ] as const) {
    const v = resolved[key];
    if (!Number.isSafeInteger(v) || v < 0) throw invalid(`StoreOptions.${key} must be an integer >= 0`);
  }
  if (!Number.isSafeInteger(resolved.poolSize) || resolved.poolSize < 1) {
    throw invalid("StoreOptions.poolSize must be an integer >= 1");
  }
  return resolved;
}
