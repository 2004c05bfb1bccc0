// SearchRuns order_by: the clauses parsed into the store's sort keys (the store sorts and pages).
import { invalidArgument } from "../../rpc/service-error.js";
import { parseRunOrderClause, type RunOrderKey } from "../../store/index.js";

const EXPECTED =
  'an attribute ("start_time_ms", "end_time_ms", "run_name", "status", "run_id"), "metrics.<key>", "params.<key>" or "tags.<key>", optionally followed by ASC or DESC';

/** Parses order_by; empty means the store's default, start_time_ms DESC. */
export function parseRunOrder(orderBy: readonly string[], field = "order_by"): RunOrderKey[] {
  return orderBy.map((clause, i) => {
    const key = parseRunOrderClause(clause);
    if (!key) throw invalidArgument(`${field}[${i}]`, EXPECTED, JSON.stringify(clause));
    return key;
  });
}
