import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as heatmap from "@grafana/grafana-foundation-sdk/heatmap";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import * as stat from "@grafana/grafana-foundation-sdk/stat";
import * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";
import { EXPR } from "./exprs.js";

/** Grid sizes (Grafana's grid is 24 columns wide). */
const STAT_H = 4;
const GRAPH_H = 8;
const HALF = 12;

interface Query {
  expr: string;
  legend: string;
  /** Instant queries feed stats that show only the latest value. Default false (a range query). */
  instant?: boolean;
  format?: prometheus.PromQueryFormat;
}

/** Builds the Panel type shared by every visualization builder. */
type AnyPanelBuilder = timeseries.PanelBuilder | stat.PanelBuilder | heatmap.PanelBuilder;

function withQueries<T extends AnyPanelBuilder>(
  panel: T,
  datasource: common.DataSourceRef,
  queries: Query[],
): T {
  panel.datasource(datasource);
  queries.forEach((q, i) => {
    const target = new prometheus.DataqueryBuilder()
      .datasource(datasource)
      .refId(String.fromCharCode(65 + i))
      .editorMode(prometheus.QueryEditorMode.Code)
      .expr(q.expr)
      .legendFormat(q.legend);
    if (q.instant) target.instant();
    else target.range();
    if (q.format) target.format(q.format);
    panel.withTarget(target);
  });
  return panel;
}

function graph(title: string, description: string, unit: string): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title(title)
    .description(description)
    .unit(unit)
    .min(0)
    .height(GRAPH_H)
    .span(HALF)
    .fillOpacity(10)
    .lineWidth(1)
    .spanNulls(false)
    .legend(
      new common.VizLegendOptionsBuilder()
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom)
        .showLegend(true),
    )
    .tooltip(
      new common.VizTooltipOptionsBuilder()
        .mode(common.TooltipDisplayMode.Multi)
        .sort(common.SortOrder.Descending),
    );
}

function singleStat(title: string, description: string, width: number): stat.PanelBuilder {
  return new stat.PanelBuilder()
    .title(title)
    .description(description)
    .height(STAT_H)
    .span(width)
    .graphMode(common.BigValueGraphMode.None)
    .colorMode(common.BigValueColorMode.Value)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false));
}

function thresholds(steps: dashboard.Threshold[]): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(steps);
}

/** A 0/1 gauge shown as a coloured word. */
function booleanMapping(zero: string, one: string): dashboard.ValueMapping[] {
  return [
    {
      type: dashboard.MappingType.ValueToText,
      options: {
        "0": { text: zero, color: "red", index: 0 },
        "1": { text: one, color: "green", index: 1 },
      },
    },
  ];
}

export function modelLoadedPanel(ds: common.DataSourceRef): stat.PanelBuilder {
  return withQueries(
    singleStat(
      "Model loaded",
      "mlops_model_loaded: LOADED while every API process has a model and PredictService is SERVING. NO MODEL means every Predict fails with 503 / UNAVAILABLE (alert MlopsNoModelLoaded).",
      3,
    )
      .colorMode(common.BigValueColorMode.Background)
      .mappings(booleanMapping("NO MODEL", "LOADED"))
      .noValue("unknown"),
    ds,
    [{ expr: EXPR.modelLoaded, legend: "loaded", instant: true }],
  );
}

export function targetUpPanel(ds: common.DataSourceRef): stat.PanelBuilder {
  return withQueries(
    singleStat(
      "API scrape target",
      'up{job="mlops-api"}: UP while Prometheus can scrape the API\'s /metrics. DOWN means the API is down or unreachable (alert MlopsApiTargetDown); every other panel then freezes.',
      3,
    )
      .colorMode(common.BigValueColorMode.Background)
      .mappings(booleanMapping("DOWN", "UP"))
      .noValue("no target"),
    ds,
    [{ expr: EXPR.targetUp, legend: "up", instant: true }],
  );
}

export function servingModelPanel(ds: common.DataSourceRef): stat.PanelBuilder {
  return withQueries(
    singleStat(
      "Serving model",
      "mlops_model_info: the registered model name, version and registry stage being served. Two lines mean two versions are live at once (processes mid-swap or on different versions).",
      6,
    )
      .textMode(common.BigValueTextMode.Name)
      .colorMode(common.BigValueColorMode.None)
      .noValue("no model"),
    ds,
    [{ expr: EXPR.modelInfo, legend: "{{name}} v{{version}} ({{stage}})", instant: true }],
  );
}

export function totalPredictionsPanel(ds: common.DataSourceRef): stat.PanelBuilder {
  return withQueries(
    singleStat(
      "Total predictions",
      "predictions_total: rows scored since the API processes started (a batch of n rows counts n). Resets when the API restarts.",
      4,
    )
      .unit("short")
      .graphMode(common.BigValueGraphMode.Area),
    ds,
    [{ expr: EXPR.predictionsTotal, legend: "rows" }],
  );
}

export function apiRequestRatePanel(ds: common.DataSourceRef): stat.PanelBuilder {
  return withQueries(
    singleStat(
      "API request rate",
      "api_requests_total: requests per second over every transport, leaving out Prometheus scrapes (/metrics) and health probes (/health).",
      4,
    )
      .unit("reqps")
      .graphMode(common.BigValueGraphMode.Area),
    ds,
    [{ expr: EXPR.apiRequestRate, legend: "req/s" }],
  );
}

export function errorRateStatPanel(ds: common.DataSourceRef): stat.PanelBuilder {
  return withQueries(
    singleStat(
      "Error rate",
      "api_errors_total / api_requests_total: failed requests (client and server errors alike) as a percentage of all requests. Orange from 1%, red from 5%.",
      4,
    )
      .unit("percent")
      .decimals(2)
      .graphMode(common.BigValueGraphMode.Area)
      .thresholds(
        thresholds([
          { value: null, color: "green" },
          { value: 1, color: "orange" },
          { value: 5, color: "red" },
        ]),
      ),
    ds,
    [{ expr: EXPR.errorRatePercent, legend: "errors %" }],
  );
}

export function requestRatePanel(ds: common.DataSourceRef): timeseries.PanelBuilder {
  return withQueries(
    graph(
      "Request rate by endpoint and transport",
      "api_requests_total: requests per second, one line per endpoint (REST path or RPC path) and transport (rest, grpc, connect, grpc-web, oip-rest, oip-grpc). Includes Prometheus's own /metrics scrapes.",
      "reqps",
    ),
    ds,
    [{ expr: EXPR.requestRateByEndpoint, legend: "{{transport}} {{endpoint}}" }],
  );
}

export function predictionRatePanel(ds: common.DataSourceRef): timeseries.PanelBuilder {
  return withQueries(
    graph(
      "Predictions per second",
      "predictions_total: rows scored per second, over every transport and both single and batch Predict calls.",
      "short",
    ).axisLabel("rows/s"),
    ds,
    [{ expr: EXPR.predictionsRate, legend: "rows/s" }],
  );
}

export function errorRatePanel(ds: common.DataSourceRef): timeseries.PanelBuilder {
  return withQueries(
    graph(
      "Error rate %",
      "api_errors_total / api_requests_total in percent: all transports together, then per transport. Client errors (400 / INVALID_ARGUMENT) count here; the MlopsApiHighErrorRatio alert counts server-side failures only.",
      "percent",
    ).thresholdsStyle(
      new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Line),
    ),
    ds,
    [
      { expr: EXPR.errorRatePercent, legend: "all transports" },
      { expr: EXPR.errorRatePercentByTransport, legend: "{{transport}}" },
    ],
  ).thresholds(
    thresholds([
      { value: null, color: "green" },
      { value: 5, color: "red" },
    ]),
  );
}

export function errorsByTypePanel(ds: common.DataSourceRef): timeseries.PanelBuilder {
  return withQueries(
    graph(
      "Errors by type",
      "api_errors_total: failed requests per second by stable error code (invalid_argument, unavailable, resource_exhausted, ...) and transport.",
      "reqps",
    ),
    ds,
    [{ expr: EXPR.errorsByType, legend: "{{type}} ({{transport}})" }],
  );
}

export function latencyPercentilesPanel(ds: common.DataSourceRef): timeseries.PanelBuilder {
  return withQueries(
    graph(
      "Request latency P50 / P95 / P99",
      "histogram_quantile over api_request_duration_seconds_bucket, all endpoints and transports except /metrics and /health. The MlopsApiHighLatencyP95 alert fires when p95 stays above 0.5 s.",
      "s",
    ),
    ds,
    [
      { expr: EXPR.latencyQuantile(0.5), legend: "p50" },
      { expr: EXPR.latencyQuantile(0.95), legend: "p95" },
      { expr: EXPR.latencyQuantile(0.99), legend: "p99" },
    ],
  );
}

export function latencyByEndpointPanel(ds: common.DataSourceRef): timeseries.PanelBuilder {
  return withQueries(
    graph(
      "P95 latency by endpoint and transport",
      "histogram_quantile(0.95) of api_request_duration_seconds per endpoint and transport: which route is slow.",
      "s",
    ),
    ds,
    [{ expr: EXPR.latencyP95ByEndpoint, legend: "{{transport}} {{endpoint}}" }],
  );
}

export function inferenceTimePanel(ds: common.DataSourceRef): timeseries.PanelBuilder {
  return withQueries(
    graph(
      "Inference time (native core)",
      "prediction_duration_seconds: time spent in the C++ core per scoring call (one call scores a whole batch). Average and p95.",
      "s",
    ),
    ds,
    [
      { expr: EXPR.inferenceAvg, legend: "avg" },
      { expr: EXPR.inferenceP95, legend: "p95" },
    ],
  );
}

export function batchSizeHeatmapPanel(ds: common.DataSourceRef): heatmap.PanelBuilder {
  return withQueries(
    new heatmap.PanelBuilder()
      .title("Batch size distribution")
      .description(
        "mlops_batch_size: how many rows each native scoring call made by the batcher carried. Cells count scoring calls per bucket; mass at 1 means requests arrive too far apart to be coalesced.",
      )
      .height(GRAPH_H)
      .span(HALF)
      .calculate(false)
      .rowsFrame(new heatmap.RowsHeatmapOptionsBuilder().layout(common.HeatmapCellLayout.Le))
      .yAxis(new heatmap.YAxisConfigBuilder().unit("short").axisLabel("rows per call"))
      .color(
        new heatmap.HeatmapColorOptionsBuilder()
          .mode(heatmap.HeatmapColorMode.Scheme)
          .scheme("Oranges")
          .scale(heatmap.HeatmapColorScale.Exponential)
          .exponent(0.5)
          .steps(64),
      )
      .cellValues(new heatmap.CellValuesBuilder().unit("short"))
      .showValue(common.VisibilityMode.Never)
      .showLegend(),
    ds,
    [{ expr: EXPR.batchSizeBuckets, legend: "{{le}}", format: prometheus.PromQueryFormat.Heatmap }],
  );
}

export function batchSizeAvgPanel(ds: common.DataSourceRef): timeseries.PanelBuilder {
  return withQueries(
    graph(
      "Average batch size",
      "mlops_batch_size_sum / mlops_batch_size_count: mean rows per native scoring call.",
      "short",
    ),
    ds,
    [{ expr: EXPR.batchSizeAvg, legend: "rows per call" }],
  );
}

export function queueDepthPanel(ds: common.DataSourceRef): timeseries.PanelBuilder {
  return withQueries(
    graph(
      "Batch queue depth",
      "mlops_batch_queue_depth: requests waiting in the batcher's queue. A queue that keeps growing means the core cannot keep up; at the queue limit calls fail with RESOURCE_EXHAUSTED / 429.",
      "short",
    ),
    ds,
    [{ expr: EXPR.queueDepth, legend: "queued" }],
  );
}
