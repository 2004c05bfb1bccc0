import { isPostgresUrl, type StoreOptions } from "./options.js";
import { openSqliteStore } from "./sqlite/open-sqlite-store.js";
import type { Store } from "./store.js";

/**
 * The one way the rest of the house gets a Store: PostgreSQL when `options.url` is a
 * `postgres://` URL, else the embedded SQLite store in `options.dataDir`.
 */
export function createStore(options: StoreOptions): Promise<Store> {
  // Loaded only when asked for: `pg` is ~10 MB of every server process's memory otherwise.
  if (options?.url && isPostgresUrl(options.url)) {
    return import("./postgres/open-postgres-store.js").then((m) => m.openPostgresStore(options));
  }
  return openSqliteStore(options);
}
