import { isPostgresUrl, type StoreOptions } from "./options.js";
import { openPostgresStore } from "./postgres/open-postgres-store.js";
import { openSqliteStore } from "./sqlite/open-sqlite-store.js";
import type { Store } from "./store.js";

/**
 * The one way the rest of the house gets a Store: PostgreSQL when `options.url` is a
 * `postgres://` URL, else the embedded SQLite store in `options.dataDir`.
 */
export function createStore(options: StoreOptions): Promise<Store> {
  if (options?.url && isPostgresUrl(options.url)) return openPostgresStore(options);
  return openSqliteStore(options);
}
