import type { StoreOptions } from "./options.js";
import { openSqliteStore } from "./sqlite/open-sqlite-store.js";
import type { Store } from "./store.js";

/**
 * The one way the rest of the house gets a Store. Today always the embedded
 * SQLite store in `options.dataDir`; a PostgreSQL `url` will select that backend.
 */
export function createStore(options: StoreOptions): Promise<Store> {
  return openSqliteStore(options);
}
