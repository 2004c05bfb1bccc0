import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { PROMETHEUS_DATASOURCE_UID, prometheusDatasource } from "./datasource.js";
import * as panels from "./panels.js";

export interface MlopsApiDashboardOptions {
  /** Dashboard uid, stable so that links and bookmarks survive regeneration. Default `mlops-api`. */
  uid?: string;
  /** Dashboard title. Default `MLOps API Dashboard` (the seed's name, which users look for). */
  title?: string;
  /** Uid of the Prometheus datasource every panel queries. Default {@link PROMETHEUS_DATASOURCE_UID}. */
  datasourceUid?: string;
  /** Auto-refresh period. Default `10s` (two scrapes at the compose stack's 5 s interval). */
  refresh?: string;
  /** Time range shown on open. Default the last 30 minutes. */
  from?: string;
}

export const DEFAULT_DASHBOARD_UID = "mlops-api";
export const DEFAULT_DASHBOARD_TITLE = "MLOps API Dashboard";

/**
 * The MLOps API dashboard: overview stats, traffic, errors, latency, inference and batching.
 * Panel ids follow their order on the page, so the generated JSON is stable.
 */
export function buildMlopsApiDashboard(options: MlopsApiDashboardOptions = {}): dashboard.Dashboard {
  const ds = prometheusDatasource(options.datasourceUid ?? PROMETHEUS_DATASOURCE_UID);
  const builder = new dashboard.DashboardBuilder(options.title ?? DEFAULT_DASHBOARD_TITLE)
    .uid(options.uid ?? DEFAULT_DASHBOARD_UID)
    .description(
      "Request rate, latency percentiles, errors, inference time and batching of the mlops API, from its /metrics (docs/metrics.md). Generated from monitoring/dashboard/*.ts: edit the code, not this dashboard.",
    )
    .tags(["mlops"])
    .readonly()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .timezone("browser")
    .refresh(options.refresh ?? "10s")
    .time({ from: options.from ?? "now-30m", to: "now" });

  let id = 0;
  const row = (title: string) => builder.withRow(new dashboard.RowBuilder(title).id(++id));
  const panel = (p: { id(id: number): unknown } & Parameters<typeof builder.withPanel>[0]) => {
    p.id(++id);
    builder.withPanel(p);
  };

  row("Overview");
  panel(panels.modelLoadedPanel(ds));
  panel(panels.targetUpPanel(ds));
  panel(panels.servingModelPanel(ds));
  panel(panels.totalPredictionsPanel(ds));
  panel(panels.apiRequestRatePanel(ds));
  panel(panels.errorRateStatPanel(ds));

  row("Traffic");
  panel(panels.requestRatePanel(ds));
  panel(panels.predictionRatePanel(ds));

  row("Errors");
  panel(panels.errorRatePanel(ds));
  panel(panels.errorsByTypePanel(ds));

  row("Latency");
  panel(panels.latencyPercentilesPanel(ds));
  panel(panels.latencyByEndpointPanel(ds));

  row("Inference and batching");
  panel(panels.inferenceTimePanel(ds));
  panel(panels.batchSizeHeatmapPanel(ds));
  panel(panels.batchSizeAvgPanel(ds));
  panel(panels.queueDepthPanel(ds));

  return builder.build();
}
