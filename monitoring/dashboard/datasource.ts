import type { DataSourceRef } from "@grafana/grafana-foundation-sdk/common";

/**
 * The uid of the Prometheus datasource that Grafana provisions from
 * monitoring/grafana/provisioning/datasources/prometheus.yml. Panels refer to it by uid, so the two
 * must agree; test/monitoring/dashboard.test.ts checks that they do.
 */
export const PROMETHEUS_DATASOURCE_UID = "prometheus";

/** A datasource reference to a Prometheus datasource with the given uid. */
export function prometheusDatasource(uid: string = PROMETHEUS_DATASOURCE_UID): DataSourceRef {
  return { type: "prometheus", uid };
}
