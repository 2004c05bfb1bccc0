// Kysely's SQLite dialect with one change: write transactions start with
// BEGIN IMMEDIATE. A plain (deferred) BEGIN takes the write lock only at the
// first write, so two processes that both read max(version) first would
// deadlock-upgrade or collide; IMMEDIATE makes the read-then-write atomic
// across processes. Read-only transactions keep the deferred BEGIN, which in
// WAL mode never blocks writers.
import type BetterSqlite3 from "better-sqlite3";
import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  SqliteAdapter,
  SqliteDriver,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type TransactionSettings,
} from "kysely";

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(
    connection: DatabaseConnection,
    settings?: TransactionSettings,
  ): Promise<void> {
    const begin = settings?.accessMode === "read only" ? "begin" : "begin immediate";
    await connection.executeQuery(CompiledQuery.raw(begin));
  }
}

/** A Kysely dialect over an open better-sqlite3 handle, which the dialect then owns. */
export function immediateSqliteDialect(database: BetterSqlite3.Database): Dialect {
  return {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new ImmediateSqliteDriver({ database }),
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  };
}
