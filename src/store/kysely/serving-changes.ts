// Store.onServingChange: listeners in this process hear of every serving change this store commits;
// with a ServingChannel (PostgreSQL's LISTEN) they also hear of those of every other process.
import type { Transaction } from "kysely";
import type { DialectHooks, ServingChannel } from "./dialect-hooks.js";
import type { Database } from "./schema.js";
import type { TransactionRunner } from "./transactions.js";

export type ServingListener = (name: string | null) => void;

export interface ServingChanges {
  /** The StoreContext's servingChanged. */
  record(trx: Transaction<Database>, name: string): Promise<void>;
  subscribe(listener: ServingListener): () => void;
  close(): Promise<void>;
}

export function createServingChanges(
  tx: TransactionRunner,
  hooks: DialectHooks,
  channel: ServingChannel | undefined,
): ServingChanges {
  const listeners = new Set<ServingListener>();
  const emit = (name: string | null) => {
    for (const l of [...listeners]) {
      try {
        l(name);
      } catch (error) {
        process.emitWarning(`onServingChange listener threw: ${String(error)}`, "StoreWarning");
      }
    }
  };
  let unsubscribeChannel: (() => void) | undefined;
  return {
    async record(trx, name) {
      await hooks.notifyServing?.(trx, name);
      // A channel brings this process's own announcements back; without one, tell it directly.
      if (!channel) tx.afterCommit(trx, () => emit(name));
    },
    subscribe(listener) {
      listeners.add(listener);
      unsubscribeChannel ??= channel?.subscribe(emit);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && unsubscribeChannel) {
          unsubscribeChannel();
          unsubscribeChannel = undefined;
        }
      };
    },
    async close() {
      listeners.clear();
      unsubscribeChannel?.();
      unsubscribeChannel = undefined;
      await channel?.close();
    },
  };
}
