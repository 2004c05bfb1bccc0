import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildMlopsApiDashboard } from "../../monitoring/dashboard/mlops-api.js";
import { listPanelQueries } from "../../monitoring/dashboard/queries.js";

// A dashboard or alert that names a metric the server does not export shows "No data" or never
// fires, silently. The contract is docs/metrics.md; every name used here must be in it.

const root = fileURLToPath(new URL("../../", import.meta.url));
const read = (path: string) => readFileSync(join(root, path), "utf8");

/** Metric families in docs/metrics.md's table, plus Prometheus's own `up`. */
function documentedFamilies(): Set<string> {
  const names = [...read("docs/metrics.md").matchAll(/^\|\s*`([a-z_:][a-z0-9_:]*)`\s*\|/gm)].map(
    (m) => m[1]!,
  );
  return new Set([...names, "up"]);
}

const KEYWORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset"]);
const SET_OPERATORS = new Set(["or", "and", "unless"]);

/** Metric names in a PromQL expression: identifiers that are not functions, keywords or labels. */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, " ");
  const out: string[] = [];
  for (const m of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const name = m[0];
    const next = stripped.slice((m.index ?? 0) + name.length).trimStart();
    if (next.startsWith("(")) continue; // a function call
    if (KEYWORDS.has(name) || SET_OPERATORS.has(name)) continue;
    out.push(name);
  }
  return out;
}

function family(name: string): string {
  return name.replace(/_(bucket|sum|count)$/, "");
}

describe("metric names used by monitoring", () => {
  const documented = documentedFamilies();

  it("reads the contract's nine metric families (plus up)", () => {
    expect(documented.size).toBe(10);
    expect(documented).toContain("api_request_duration_seconds");
  });

  it("extracts metric names, not functions, labels or keywords", () => {
    expect(
      metricNames(
        'histogram_quantile(0.95, sum by (le, transport) (rate(a_bucket{endpoint!~"/x|y"}[5m]))) / (sum(b) or vector(0)) > 0.5',
      ),
    ).toEqual(["a_bucket", "b"]);
  });

  it("dashboard panels use only documented metrics", () => {
    const used = listPanelQueries(buildMlopsApiDashboard()).flatMap((q) => metricNames(q.expr));
    expect(used.length).toBeGreaterThan(15);
    for (const name of used) expect(documented, name).toContain(family(name));
    // And every documented family shows up somewhere on the dashboard.
    expect(new Set(used.map(family))).toEqual(documented);
  });

  it("alert rules use only documented metrics", () => {
    const rules = parse(read("monitoring/alerts.yml")).groups.flatMap((g: { rules: { expr: string }[] }) =>
      g.rules.map((r) => r.expr),
    );
    const used = rules.flatMap(metricNames);
    expect(used.length).toBeGreaterThanOrEqual(4);
    for (const name of used) expect(documented, name).toContain(family(name));
  });
});
