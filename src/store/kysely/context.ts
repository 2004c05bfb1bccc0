import type { DialectHooks } from "./dialect-hooks.js";
import type { TransactionRunner } from "./transactions.js";

/** What every query module needs: transactions, the clock that stamps data, the dialect's hooks. */
export interface StoreContext {
  tx: TransactionRunner;
  now: () => number;
  hooks: DialectHooks;
}
