import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import type { ErrorCode } from "../rpc/error-codes.js";

/** Dynamic batching of concurrent Predict calls into one native scoring call. */
export interface BatchingConfig {
  /** Coalesce concurrent single-row predictions. Default true (env MLOPS_BATCHING=0 turns it off). */
  enabled: boolean;
  /** Rows per native call at most. Default 64. */
  maxBatchSize: number;
  /** How long a queued row may wait for company while a scoring slot is free, in µs. Default 0 (one event-loop turn). */
  maxDelayUs: number;
  /** Rows waiting at most; beyond it calls fail with RESOURCE_EXHAUSTED / 429 + Retry-After. Default 4096. */
  maxQueue: number;
  /** Native batch calls in flight at once (each off the JS thread). Default 1. */
  maxInFlight: number;
  /** Batches of at most this many rows are scored on the JS thread (cheaper than a thread hop). Default 8. */
  syncMaxRows: number;
  /** Larger batches too, while their estimated scoring time is at most this many µs. Default 200; 0 turns it off. */
  syncMaxUs: number;
}

/** Everything the server and CLI read from the environment and flags, validated once. */
export interface Config {
  /** Registry, tracking and artifacts. Env MLOPS_DATA_DIR; default `./.mlops`. */
  dataDir: string;
  /**
   * Where model artifacts live instead of `<dataDir>/artifacts`: `s3://bucket/prefix` (an
   * S3-compatible bucket shared by replicas; endpoint and credentials from the AWS environment
   * variables) or `file:///dir`. Env MLOPS_ARTIFACT_URL; default none.
   */
  artifactUrl?: string;
  /**
   * The registry and tracking database: a `postgres://user:password@host:port/db` URL selects
   * PostgreSQL, shared by every replica. Env MLOPS_DATABASE_URL (flag `--database-url`); default
   * unset: SQLite in `dataDir`.
   */
  databaseUrl?: string;
  /** PostgreSQL connections per process at most. Env MLOPS_DATABASE_POOL_SIZE; default 10. */
  databasePoolSize: number;
  /** Interface both servers bind. Env MLOPS_HOST; default `0.0.0.0`. */
  host: string;
  /** HTTP port (REST, Connect, gRPC-Web, /metrics). Env MLOPS_HTTP_PORT; default 8000. */
  httpPort: number;
  /** grpc-js port. Env MLOPS_GRPC_PORT; default 50051. */
  grpcPort: number;
  /** The registered model served and trained into. Env MLOPS_MODEL_NAME; default `ml_classifier`. */
  modelName: string;
  /** When set, mutating Registry/Tracking calls need `authorization: Bearer <token>`. Env MLOPS_API_TOKEN. */
  apiToken?: string;
  /** pino level. Env MLOPS_LOG_LEVEL; default `info`. */
  logLevel: string;
  /** Server processes sharing the ports. Env MLOPS_WORKERS; default 1 (`--workers` on serve defaults to the core count). */
  workers: number;
  /**
   * V8 semi-space size of each `--workers` process, MiB (`--max-semi-space-size`); 0 keeps V8's
   * default (16). Env MLOPS_WORKER_SEMI_SPACE_MB; default 4: about 17 MiB less per worker.
   */
  workerSemiSpaceMiB: number;
  /** Largest accepted HTTP request body in bytes (a 10k-row JSON batch is ~4 MB). Env MLOPS_MAX_BODY_BYTES; default 8 MiB. */
  maxBodyBytes: number;
  /** Largest gRPC message in bytes, both directions. Env MLOPS_MAX_MESSAGE_BYTES; default 4 MiB. */
  maxMessageBytes: number;
  /**
   * Largest model file ImportModelVersion takes, in bytes, on every transport (REST: the JSON body,
   * whose base64 content is 4/3 of the file). Env MLOPS_MAX_IMPORT_BYTES; default 512 MiB.
   */
  maxImportBytes: number;
  /** Batches with at least this many rows are scored off the JS thread. Env MLOPS_ASYNC_ROWS; default 256. */
  asyncRowThreshold: number;
  /** Native threads per off-thread scoring call. Env MLOPS_SCORING_THREADS; default the core count. */
  scoringThreads: number;
  /**
   * Accept NaN features as missing values (trees route them by the learned default direction).
   * JSON cannot carry NaN except as Connect's "NaN" string, so this matters for gRPC and Connect.
   * Env MLOPS_ALLOW_MISSING; default false: NaN is INVALID_ARGUMENT.
   */
  allowMissing: boolean;
  /**
   * Seconds from SIGTERM (or SIGINT) to exit at most: the grace period, then the calls in flight
   * finish; what is left at the deadline is cut. Env MLOPS_SHUTDOWN_TIMEOUT_S; default 30.
   */
  shutdownTimeoutS: number;
  /**
   * Seconds after SIGTERM during which health reports NOT_SERVING while the listeners still accept,
   * so that load balancers (a Kubernetes Service's endpoints) stop sending before they close: the
   * preStop-sleep pattern, built in. Counted within shutdownTimeoutS. SIGINT (Ctrl-C) skips it.
   * Env MLOPS_DRAIN_GRACE_S; default 5.
   */
  drainGraceS: number;
  batching: BatchingConfig;
}

export type ConfigOverrides = Partial<Omit<Config, "batching">> & { batching?: Partial<BatchingConfig> };

export class ConfigError extends Error {
  readonly code = "ERR_CONFIG" satisfies ErrorCode;
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name}: expected an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`);
  }
  return n;
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name}: expected a boolean (1/0, true/false), got ${JSON.stringify(raw)}`);
}

/** The documented defaults, read from `env` (process.env by default), then `overrides` (CLI flags). */
export function loadConfig(overrides: ConfigOverrides = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const cores = availableParallelism();
  const base: Config = {
    dataDir: env.MLOPS_DATA_DIR || ".mlops",
    artifactUrl: env.MLOPS_ARTIFACT_URL || undefined,
    databaseUrl: env.MLOPS_DATABASE_URL || undefined,
    databasePoolSize: int(env, "MLOPS_DATABASE_POOL_SIZE", 10, 1, 1000),
    host: env.MLOPS_HOST || "0.0.0.0",
    httpPort: int(env, "MLOPS_HTTP_PORT", 8000, 0, 65535),
    grpcPort: int(env, "MLOPS_GRPC_PORT", 50051, 0, 65535),
    modelName: env.MLOPS_MODEL_NAME || "ml_classifier",
    apiToken: env.MLOPS_API_TOKEN || undefined,
    logLevel: env.MLOPS_LOG_LEVEL || "info",
    workers: int(env, "MLOPS_WORKERS", 1, 1, 1024),
    workerSemiSpaceMiB: int(env, "MLOPS_WORKER_SEMI_SPACE_MB", 4, 0, 1024),
    maxBodyBytes: int(env, "MLOPS_MAX_BODY_BYTES", 8 * 1024 * 1024, 64, 1024 ** 3),
    maxMessageBytes: int(env, "MLOPS_MAX_MESSAGE_BYTES", 4 * 1024 * 1024, 1024, 1024 ** 3),
    maxImportBytes: int(env, "MLOPS_MAX_IMPORT_BYTES", 512 * 1024 * 1024, 1024, 4 * 1024 ** 3),
    asyncRowThreshold: int(env, "MLOPS_ASYNC_ROWS", 256, 1, 1e9),
    scoringThreads: int(env, "MLOPS_SCORING_THREADS", cores, 1, 1024),
    allowMissing: flag(env, "MLOPS_ALLOW_MISSING", false),
    shutdownTimeoutS: int(env, "MLOPS_SHUTDOWN_TIMEOUT_S", 30, 0, 3600),
    drainGraceS: int(env, "MLOPS_DRAIN_GRACE_S", 5, 0, 3600),
    batching: {
      enabled: flag(env, "MLOPS_BATCHING", true),
      maxBatchSize: int(env, "MLOPS_BATCH_MAX_SIZE", 64, 1, 65536),
      maxDelayUs: int(env, "MLOPS_BATCH_MAX_DELAY_US", 0, 0, 1e7),
      maxQueue: int(env, "MLOPS_BATCH_MAX_QUEUE", 4096, 1, 1e7),
      maxInFlight: int(env, "MLOPS_BATCH_MAX_IN_FLIGHT", 1, 1, 1024),
      syncMaxRows: int(env, "MLOPS_BATCH_SYNC_MAX_ROWS", 8, 0, 65536),
      syncMaxUs: int(env, "MLOPS_BATCH_SYNC_MAX_US", 200, 0, 1e7),
    },
  };
  const { batching, ...rest } = overrides;
  const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  const config: Config = {
    ...base,
    ...defined,
    batching: { ...base.batching, ...(batching ?? {}) },
  };
  config.dataDir = resolve(config.dataDir);
  if (config.databaseUrl === "") config.databaseUrl = undefined;
  if (config.databaseUrl !== undefined && !/^postgres(ql)?:\/\//i.test(config.databaseUrl)) {
    // The URL may hold a password: name the variable, not the value.
    throw new ConfigError("MLOPS_DATABASE_URL / --database-url: expected a postgres:// or postgresql:// URL");
  }
  return config;
}

/** What createStore needs from the configuration (SQLite in dataDir unless a database URL is set). */
export function storeOptionsOf(config: Config): { dataDir: string; url?: string; poolSize: number } {
  return { dataDir: config.dataDir, url: config.databaseUrl, poolSize: config.databasePoolSize };
}

/** The database for logs and messages: its URL without the password, or the SQLite file's directory. */
export function describeDatabase(config: Config): string {
  if (config.databaseUrl === undefined) return `sqlite:${config.dataDir}`;
  try {
    const u = new URL(config.databaseUrl);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "postgres://(unparsable URL)";
  }
}
