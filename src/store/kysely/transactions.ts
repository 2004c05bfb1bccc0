// Runs store operations as transactions and retries the ones a concurrent
// writer (another process, or another connection) got in the way of.
import { setTimeout as sleep } from "node:timers/promises";
import type { Kysely, Transaction } from "kysely";
import { StoreError } from "../errors.js";
import type { DialectHooks } from "./dialect-hooks.js";
import type { Database, Db } from "./schema.js";

// A unique violation is only a lost race (pre-checks run inside the transaction), so a
// few re-runs settle it; more means a bug, which should surface as itself.
const MAX_UNIQUE_RETRIES = 5;
const MAX_BACKOFF_MS = 50;

export interface TransactionRunner {
  /** A write transaction (BEGIN IMMEDIATE on SQLite), retried on contention until the write timeout. */
  write<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T>;
  /**
   * A read: a read-only transaction (SQLite: one snapshot across its queries), or, where the
   * dialect says so, its queries on one connection without BEGIN/COMMIT.
   */
  read<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` once the write transaction `trx` has committed (not when it rolls back, nor for an
   * attempt that is retried).
   */
  afterCommit(trx: Transaction<Database>, fn: () => void): void;
  close(): Promise<void>;
  readonly closed: boolean;
}

export function createTransactionRunner(
  db: Kysely<Database>,
  hooks: DialectHooks,
  writeTimeoutMs: number,
): TransactionRunner {
  let closed = false;
  // Operations in flight finish before close() tears the connection down.
  const inFlight = new Set<Promise<unknown>>();
  const committed = new WeakMap<Transaction<Database>, (() => void)[]>();

  function track<T>(p: Promise<T>): Promise<T> {
    inFlight.add(p);
    const forget = () => inFlight.delete(p);
    p.then(forget, forget);
    return p;
  }

  async function attempt<T>(run: () => Promise<T>): Promise<T> {
    if (closed) throw new StoreError("UNAVAILABLE", "store is closed");
    // Real time on purpose: the injectable clock only stamps data.
    const deadline = Date.now() + writeTimeoutMs;
    let uniqueRetries = 0;
    let backoff = 1;
    for (;;) {
      try {
        return await run();
      } catch (error) {
        if (error instanceof StoreError) throw error;
        if (hooks.isUnavailable?.(error)) {
          throw new StoreError("UNAVAILABLE", `database unreachable: ${(error as Error)?.message ?? error}`, {
            cause: error,
          });
        }
        if (hooks.isUniqueViolation(error) && uniqueRetries++ < MAX_UNIQUE_RETRIES) continue;
        if (!hooks.isTransient(error)) throw error;
        if (Date.now() >= deadline) {
          throw new StoreError("UNAVAILABLE", `database stayed locked for ${writeTimeoutMs} ms`, {
            cause: error,
          });
        }
        // Jitter keeps competing processes from retrying in lockstep.
        await sleep(backoff + Math.random() * backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
      if (closed) throw new StoreError("UNAVAILABLE", "store is closed");
    }
  }

  return {
    write: (fn) => {
      const run = async () => {
        const callbacks: (() => void)[] = [];
        const result = await db.transaction().execute((trx) => {
          committed.set(trx, callbacks);
          return fn(trx);
        });
        for (const cb of callbacks) cb();
        return result;
      };
      const serialize = hooks.serializeWrite?.bind(hooks);
      return track(attempt(serialize ? () => serialize(run) : run));
    },
    read: (fn) =>
      track(
        attempt(() =>
          hooks.plainReads
            ? db.connection().execute(fn)
            : db.transaction().setAccessMode("read only").execute(fn),
        ),
      ),
    afterCommit(trx, fn) {
      const callbacks = committed.get(trx);
      if (!callbacks) throw new Error("afterCommit needs a write transaction of this runner");
      callbacks.push(fn);
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled([...inFlight]);
      await db.destroy();
    },
    get closed() {
      return closed;
    },
  };
}
