import type { Transaction } from "kysely";
import type { DialectHooks } from "./dialect-hooks.js";
import type { Database } from "./schema.js";
import type { TransactionRunner } from "./transactions.js";

/** What every query module needs: transactions, the clock that stamps data, the dialect's hooks. */
export interface StoreContext {
  tx: TransactionRunner;
  now: () => number;
  hooks: DialectHooks;
  /**
   * Records, inside the write transaction that makes it, a change that may alter what `name`
   * serves (a stage, an alias, a delete); Store.onServingChange listeners hear of it after commit.
   */
  servingChanged(trx: Transaction<Database>, name: string): Promise<void>;
}
