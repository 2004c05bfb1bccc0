import { mkdir, realpath } from "node:fs/promises";
import { join } from "node:path";
import { Kysely } from "kysely";
import { openKyselyStore } from "../kysely/kysely-store.js";
import type { Database } from "../kysely/schema.js";
import { resolveStoreOptions, type StoreOptions } from "../options.js";
import type { Store } from "../store.js";
import { openSqliteDatabase, SQLITE_FILE } from "./sqlite-connection.js";
import { immediateSqliteDialect } from "./sqlite-dialect.js";
import { sqliteHooks } from "./sqlite-hooks.js";

/** Opens (creating and migrating as needed) the embedded store at `<dataDir>/mlops.db`. */
export async function openSqliteStore(options: StoreOptions): Promise<Store> {
  const o = resolveStoreOptions(options);
  await mkdir(o.dataDir, { recursive: true });
  const file = join(o.dataDir, SQLITE_FILE);
  const handle = await openSqliteDatabase(file, o.busyTimeoutMs, o.writeTimeoutMs);
  const db = new Kysely<Database>({ dialect: immediateSqliteDialect(handle) });
  // The real path, so two spellings of one data dir share the in-process write queue.
  const hooks = sqliteHooks(await realpath(file));
  return openKyselyStore(db, hooks, {
    writeTimeoutMs: o.writeTimeoutMs,
    now: o.now,
    onMigrated: o.onMigrated,
  });
}
