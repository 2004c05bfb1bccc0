import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";

/** Where the generated dashboard is committed, relative to the repository root. */
export const DASHBOARD_JSON_PATH = "monitoring/grafana/dashboards/mlops-api.json";

/**
 * The dashboard as Grafana's file provisioning reads it: the bare dashboard model, two-space
 * indented, with a trailing newline. Deterministic, so the committed file can be compared byte
 * for byte with a fresh rendering.
 */
export function renderDashboardJson(model: Dashboard): string {
  return `${JSON.stringify(model, null, 2)}\n`;
}
