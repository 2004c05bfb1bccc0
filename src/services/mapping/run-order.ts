// SearchRuns order_by: parsing, and the comparator for orders the store cannot sort by itself.

import { invalidArgument } from "../../rpc/service-error.js";
import type { Run } from "../../store/index.js";

export type RunSortField =
  | { kind: "start_time_ms" }
  | { kind: "end_time_ms" }
  | { kind: "run_name" }
  | { kind: "metric"; key: string };

export interface RunSortKey {
  field: RunSortField;
  descending: boolean;
}

const EXPECTED =
  '"start_time_ms", "end_time_ms", "run_name" or "metrics.<key>", optionally followed by ASC or DESC';
const CLAUSE = /^(\S+)(?:\s+(asc|desc))?$/i;

/** Parses order_by; empty means the documented default, start_time_ms DESC. */
export function parseRunOrder(orderBy: readonly string[], field = "order_by"): RunSortKey[] {
  if (orderBy.length === 0) return [{ field: { kind: "start_time_ms" }, descending: true }];
  return orderBy.map((clause, i) => {
    const m = CLAUSE.exec(clause.trim());
    const name = m?.[1] ?? "";
    let sortField: RunSortField | undefined;
    if (name === "start_time_ms" || name === "end_time_ms" || name === "run_name") sortField = { kind: name };
    else if (name.startsWith("metrics.") && name.length > "metrics.".length) {
      sortField = { kind: "metric", key: name.slice("metrics.".length) };
    }
    if (!m || !sortField) throw invalidArgument(`${field}[${i}]`, EXPECTED, JSON.stringify(clause));
    return { field: sortField, descending: m[2]?.toLowerCase() === "desc" };
  });
}

/** The single start-time order the store pages natively, or undefined when the service must sort. */
export function storeNativeOrder(keys: readonly RunSortKey[]): "asc" | "desc" | undefined {
  const only = keys.length === 1 ? keys[0] : undefined;
  if (only?.field.kind !== "start_time_ms") return undefined;
  return only.descending ? "desc" : "asc";
}

/** A stable encoding of the order, so a page token is only honoured for the order that made it. */
export function orderSignature(keys: readonly RunSortKey[]): string {
  return keys
    .map(
      (k) =>
        `${k.field.kind === "metric" ? `metrics.${k.field.key}` : k.field.kind} ${k.descending ? "desc" : "asc"}`,
    )
    .join(",");
}

function sortValue(run: Run, field: RunSortField): number | string | undefined {
  switch (field.kind) {
    case "start_time_ms":
      return run.startTimeMs;
    case "end_time_ms":
      return run.endTimeMs ?? undefined;
    case "run_name":
      return run.name;
    case "metric": {
      const value = run.metrics.find((m) => m.key === field.key)?.value;
      // NaN has no place in an order: treat it like a missing value.
      return value === undefined || Number.isNaN(value) ? undefined : value;
    }
  }
}

const cmp = (a: number | string, b: number | string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Compares runs by the keys; a missing value (no such metric, no end time yet) sorts last in
 * either direction. Ties break by run id, in the direction of the first key, which matches how
 * the store orders its native start-time pages.
 */
export function compareRuns(keys: readonly RunSortKey[]): (a: Run, b: Run) => number {
  return (a, b) => {
    for (const { field, descending } of keys) {
      const va = sortValue(a, field);
      const vb = sortValue(b, field);
      if (va === undefined || vb === undefined) {
        if (va !== vb) return va === undefined ? 1 : -1;
        continue;
      }
      const c = cmp(va, vb);
      if (c !== 0) return descending ? -c : c;
    }
    const c = cmp(a.id, b.id);
    return keys[0]?.descending ? -c : c;
  };
}
