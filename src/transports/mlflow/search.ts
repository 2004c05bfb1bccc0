// What MLflow's search endpoints share: page sizes, view types, and the few filters and orders that
// map onto the house's search fields.
import { Stage } from "../../gen/mlops/v1/model_pb.js";
import { ViewType } from "../../gen/mlops/v1/tracking_pb.js";
import { invalidArgument } from "../../rpc/service-error.js";
import { stageOf } from "./json.js";

/** MLflow's max_results → page_size (the house caps pages at 1000, and pages on with a token). */
export function pageSizeOf(maxResults: number | undefined): number {
  if (maxResults === undefined) return 0;
  if (maxResults < 1) throw invalidArgument("max_results", "a positive integer", String(maxResults));
  return Math.min(maxResults, 1000);
}

const VIEWS: Record<string, ViewType> = {
  "": ViewType.UNSPECIFIED,
  ACTIVE_ONLY: ViewType.ACTIVE_ONLY,
  DELETED_ONLY: ViewType.DELETED_ONLY,
  ALL: ViewType.ALL,
  "1": ViewType.ACTIVE_ONLY,
  "2": ViewType.DELETED_ONLY,
  "3": ViewType.ALL,
};

export function viewTypeOf(name: string, field = "view_type"): ViewType {
  const view = VIEWS[name];
  if (view === undefined)
    throw invalidArgument(field, "ACTIVE_ONLY, DELETED_ONLY or ALL", JSON.stringify(name));
  return view;
}

/** MLflow's run order keys → SearchRuns' ("metrics.acc DESC", "attributes.start_time"). */
export function runOrderOf(orderBy: string, i: number): string {
  const m = /^\s*(?:`([^`]+)`|(\S+))(?:\s+(ASC|DESC))?\s*$/i.exec(orderBy);
  const key = m?.[1] ?? m?.[2];
  if (!key) throw invalidArgument(`order_by[${i}]`, '"<key> [ASC|DESC]"', JSON.stringify(orderBy));
  const dir = (m?.[3] ?? "ASC").toUpperCase();
  const bare = key.replace(/^(attributes?|attr|run)\./, "");
  const attribute: Record<string, string> = {
    start_time: "start_time_ms",
    end_time: "end_time_ms",
    run_name: "run_name",
    "tags.mlflow.runName": "run_name",
  };
  const mapped =
    attribute[bare] ??
    (/^(metrics?|params?|tags?)\./.test(key)
      ? key.replace(/^(metric|param|tag)s?\./, (_, kind: string) => `${kind}s.`)
      : undefined);
  if (mapped === undefined) {
    throw invalidArgument(
      `order_by[${i}]`,
      "attributes.start_time, attributes.end_time, attributes.run_name, metrics.<key>, params.<key> or tags.<key>",
      JSON.stringify(orderBy),
    );
  }
  return `${mapped} ${dir}`;
}

/** The clauses of `a = 'x' AND b = 'y'` over the keys allowed; anything else is INVALID_ARGUMENT. */
export function equalityFilter(filter: string, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (filter.trim() === "") return out;
  for (const clause of filter.split(/\s+AND\s+/i)) {
    const m = /^\s*`?([A-Za-z_.]+)`?\s*=\s*(?:'((?:[^']|'')*)'|"((?:[^"]|"")*)")\s*$/.exec(clause);
    const key = m?.[1];
    if (!m || key === undefined || !keys.includes(key)) {
      throw invalidArgument(
        "filter",
        `clauses "<key> = '<value>'" joined by AND, key one of ${keys.join(", ")}`,
        JSON.stringify(filter),
      );
    }
    out[key] = m[2] !== undefined ? m[2].replaceAll("''", "'") : (m[3] ?? "").replaceAll('""', '"');
  }
  return out;
}

/** A stage filter's value as the enum. */
export function stageFilter(value: string | undefined): Stage {
  if (value === undefined) return Stage.UNSPECIFIED;
  const stage = stageOf(value);
  if (stage === undefined)
    throw invalidArgument("filter", "a stage None, Staging, Production or Archived", value);
  return stage;
}
