import type { Transaction } from "kysely";
import type { Database } from "./schema.js";

/**
 * What the dialect-neutral store needs to know about one SQL engine. The SQLite hooks live in
 * ../sqlite/, PostgreSQL's in ../postgres/.
 */
export interface DialectHooks {
  /** Lock contention or serialization failure: the whole transaction may be retried. */
  isTransient(error: unknown): boolean;
  /** A UNIQUE/PRIMARY KEY violation: a concurrent writer won a race; retrying re-runs the pre-checks. */
  isUniqueViolation(error: unknown): boolean;
  /**
   * The database cannot be reached (refused, gone away, no connection in time): the call fails at
   * once with StoreError("UNAVAILABLE") instead of surfacing the driver's error. Optional: an
   * embedded file has no such failure.
   */
  isUnavailable?(error: unknown): boolean;
  /**
   * Serializes migrations across processes inside the migration transaction. SQLite's
   * write transactions already are exclusive (BEGIN IMMEDIATE); PostgreSQL takes an
   * advisory transaction lock.
   */
  lockForMigration(trx: Transaction<Database>): Promise<void>;
  /**
   * Taken before audit ids are assigned (max+1), held to commit, so that ids stay dense and in
   * commit order when writers run concurrently. Optional: SQLite's writers are already serial.
   */
  lockForAudit?(trx: Transaction<Database>): Promise<void>;
  /**
   * Tells every process on this database, once the transaction commits, that what `name` serves may
   * have changed (PostgreSQL: NOTIFY). Optional: without it only this process's listeners hear of it.
   */
  notifyServing?(trx: Transaction<Database>, name: string): Promise<void>;
  /**
   * Reads run their queries on one connection without BEGIN/COMMIT. Right for PostgreSQL at READ
   * COMMITTED, where a transaction gives a read no common snapshot anyway (each statement takes its
   * own) and costs two round trips. Default false: SQLite reads share one snapshot.
   */
  plainReads?: boolean;
  /**
   * Wraps each write transaction attempt, e.g. to queue writers of this process before they
   * reach the database lock. Optional: without it, writes go straight to the database.
   */
  serializeWrite?<T>(fn: () => Promise<T>): Promise<T>;
}

/** Hears the serving changes other processes announce (PostgreSQL: LISTEN). */
export interface ServingChannel {
  /**
   * `listener(name)` per announced change; `listener(null)` when announcements may have been missed
   * (the channel reconnected). Returns the unsubscribe function.
   */
  subscribe(listener: (name: string | null) => void): () => void;
  close(): Promise<void>;
}
