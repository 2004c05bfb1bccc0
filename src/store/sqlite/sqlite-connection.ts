// Opens <dataDir>/mlops.db with the pragmas the store relies on.
import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3";
import { StoreError } from "../errors.js";
import { isSqliteTransient } from "./sqlite-hooks.js";

export const SQLITE_FILE = "mlops.db";

/**
 * WAL (readers never wait for the writer), foreign keys on, synchronous FULL
 * (a committed promotion survives power loss). Switching a fresh file to WAL
 * needs a brief exclusive lock, so a concurrent opener retries until `timeoutMs`.
 */
export async function openSqliteDatabase(
  file: string,
  busyTimeoutMs: number,
  timeoutMs: number,
): Promise<Database.Database> {
  const deadline = Date.now() + timeoutMs;
  let backoff = 2;
  for (;;) {
    let db: Database.Database | undefined;
    try {
      db = new Database(file, { timeout: busyTimeoutMs });
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = FULL");
      db.pragma("foreign_keys = ON");
      return db;
    } catch (error) {
      db?.close();
      if (!isSqliteTransient(error)) throw error;
      if (Date.now() >= deadline) {
        throw new StoreError("UNAVAILABLE", `could not open ${file}: database stayed locked`, {
          cause: error,
        });
      }
      await sleep(backoff + Math.random() * backoff);
      backoff = Math.min(backoff * 2, 50);
    }
  }
}
