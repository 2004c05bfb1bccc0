import type { TransactionRunner } from "./transactions.js";

/** What every query module needs: transactions and the clock that stamps data. */
export interface StoreContext {
  tx: TransactionRunner;
  now: () => number;
}
