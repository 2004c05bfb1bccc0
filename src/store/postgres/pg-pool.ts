// The connection pool, with the timeouts that make a lost database fail fast.
import pg from "pg";
import type { ResolvedStoreOptions } from "../options.js";

export type PoolSettings = Pick<
  ResolvedStoreOptions,
  "poolSize" | "connectTimeoutMs" | "statementTimeoutMs" | "idleTimeoutMs"
>;

/** What every connection of ours is: the URL's settings plus our timeouts and name. */
export function connectionConfig(url: string, settings: PoolSettings): pg.ClientConfig {
  return {
    connectionString: url,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    // The server cancels a longer statement; the client gives up a little later if it never answers.
    statement_timeout: settings.statementTimeoutMs,
    query_timeout: settings.statementTimeoutMs + settings.connectTimeoutMs,
    // A dead peer (a cable pulled, not a refused port) is noticed by TCP keepalive.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    application_name: "mlops",
  };
}

/**
 * A pg.Pool of `poolSize` connections. A connection that breaks (the server restarted) is dropped
 * and replaced on demand, so the pool recovers by itself when the database is back.
 */
export function createPool(url: string, settings: PoolSettings): pg.Pool {
  const pool = new pg.Pool({
    ...connectionConfig(url, settings),
    max: settings.poolSize,
    idleTimeoutMillis: settings.idleTimeoutMs,
  });
  // An idle connection that the server closes is reported here; pg-pool has already removed it, and
  // without a listener the event would end the process.
  pool.on("error", () => {});
  // A checked-out connection has no pool listener: when the server ends it between two queries (a
  // restart ends every session), node-postgres emits "error" on the client, which would end the
  // process. Its next query fails instead, and release() drops it since it is no longer queryable.
  pool.on("connect", (client) => client.on("error", () => {}));
  return pool;
}
