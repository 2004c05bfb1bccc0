import { Kysely, PostgresDialect } from "kysely";
import { openKyselyStore } from "../kysely/kysely-store.js";
import type { Database } from "../kysely/schema.js";
import { resolveStoreOptions, type StoreOptions } from "../options.js";
import type { Store } from "../store.js";
import { connectionConfig, createPool } from "./pg-pool.js";
import { createPgServingChannel } from "./pg-serving-channel.js";
import { postgresHooks } from "./postgres-hooks.js";

/**
 * Opens the store in the PostgreSQL database at `options.url`, migrating it first (once, under an
 * advisory lock, however many processes start together).
 */
export async function openPostgresStore(options: StoreOptions): Promise<Store> {
  const o = resolveStoreOptions(options);
  if (!o.url) throw new TypeError("openPostgresStore needs StoreOptions.url");
  const pool = createPool(o.url, o);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return openKyselyStore(db, postgresHooks, {
    writeTimeoutMs: o.writeTimeoutMs,
    now: o.now,
    onMigrated: o.onMigrated,
    channel: createPgServingChannel(connectionConfig(o.url, o)),
  });
}
