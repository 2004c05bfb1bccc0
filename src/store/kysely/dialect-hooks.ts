import type { RawBuilder, SqlBool, Transaction } from "kysely";
import type { Database } from "./schema.js";

/**
 * What the dialect-neutral store needs to know about one SQL engine. The SQLite
 * hooks live in ../sqlite/; PostgreSQL's will map SQLSTATE 40001/40P01 and 23505.
 */
export interface DialectHooks {
  /** Lock contention or serialization failure: the whole transaction may be retried. */
  isTransient(error: unknown): boolean;
  /** A UNIQUE/PRIMARY KEY violation: a concurrent writer won a race; retrying re-runs the pre-checks. */
  isUniqueViolation(error: unknown): boolean;
  /**
   * Serializes migrations across processes inside the migration transaction. SQLite's
   * write transactions already are exclusive (BEGIN IMMEDIATE); PostgreSQL will take an
   * advisory transaction lock.
   */
  lockForMigration(trx: Transaction<Database>): Promise<void>;
  /**
   * Wraps each write transaction attempt, e.g. to queue writers of this process before they
   * reach the database lock. Optional: without it, writes go straight to the database.
   */
  serializeWrite?<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * A case-sensitive SQL LIKE (`%` any run, `_` one character), as PostgreSQL's LIKE is; SQLite's
   * LIKE ignores ASCII case, so its hook uses GLOB. Optional: without it, plain LIKE.
   */
  caseSensitiveLike?(value: RawBuilder<unknown>, pattern: string): RawBuilder<SqlBool>;
}
