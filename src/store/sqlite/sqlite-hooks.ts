import { sql } from "kysely";
import type { DialectHooks } from "../kysely/dialect-hooks.js";
import { withFileWriteLock } from "./file-write-lock.js";

// better-sqlite3 raises SqliteError with the extended result code name in `code`.
const codeOf = (error: unknown): string =>
  typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "string"
    ? (error as { code: string }).code
    : "";

// SQLITE_BUSY*: another connection holds the lock; SQLITE_LOCKED*: a conflict inside a shared cache.
export const isSqliteTransient = (error: unknown): boolean => /^SQLITE_(BUSY|LOCKED)/.test(codeOf(error));

/** Hooks for one database file (`file` keys the in-process write queue). */
export const sqliteHooks = (file: string): DialectHooks => ({
  isTransient: (error) => isSqliteTransient(error),
  isUniqueViolation: (error) =>
    ["SQLITE_CONSTRAINT_PRIMARYKEY", "SQLITE_CONSTRAINT_UNIQUE"].includes(codeOf(error)),
  // The migration runs in a BEGIN IMMEDIATE transaction, which already excludes every other writer.
  lockForMigration: async () => {},
  serializeWrite: (fn) => withFileWriteLock(file, fn),
  caseSensitiveLike: (value, pattern) => sql<boolean>`${value} glob ${likeToGlob(pattern)}`,
});

/** A LIKE pattern as the GLOB pattern that matches the same strings, case-sensitively. */
export function likeToGlob(pattern: string): string {
  let out = "";
  for (const c of pattern) {
    if (c === "%") out += "*";
    else if (c === "_") out += "?";
    else if (c === "*" || c === "?" || c === "[") out += `[${c}]`;
    else out += c;
  }
  return out;
}
