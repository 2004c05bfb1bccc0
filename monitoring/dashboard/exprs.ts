/**
 * Every PromQL expression of the MLOps API dashboard, in one place so that docs/monitoring.md, the
 * panels and the alert rules speak about the same series. Metric names: docs/metrics.md.
 *
 * Rates use Grafana's `$__rate_interval` (at least four scrape intervals, derived from the
 * datasource's timeInterval), so a panel never asks rate() for a window holding a single sample.
 */

/** Prometheus scrapes and Docker health probes: steady background traffic left out of API latency. */
export const PROBE_ENDPOINTS = "/metrics|/health";

const API = `endpoint!~"${PROBE_ENDPOINTS}"`;
const W = "[$__rate_interval]";

export const EXPR = {
  /** 1 while Prometheus can scrape the API. */
  targetUp: `min(up{job="mlops-api"})`,
  /** 1 when every scraped process has a model loaded (PredictService SERVING). */
  modelLoaded: "min(mlops_model_loaded)",
  /** One series per served model version; the labels carry name, version and stage. */
  modelInfo: "max by (name, version, stage) (mlops_model_info == 1)",
  /** Rows scored since the processes started (a batch of n rows counts n). */
  predictionsTotal: "sum(predictions_total)",
  predictionsRate: `sum(rate(predictions_total${W}))`,
  apiRequestRate: `sum(rate(api_requests_total{${API}}${W}))`,
  requestRateByEndpoint: `sum by (endpoint, transport) (rate(api_requests_total${W}))`,
  /** Every failed request (client and server errors alike) as a percentage of all requests. */
  errorRatePercent: `100 * (sum(rate(api_errors_total${W})) or vector(0)) / sum(rate(api_requests_total${W}))`,
  errorRatePercentByTransport: `100 * sum by (transport) (rate(api_errors_total${W})) / sum by (transport) (rate(api_requests_total${W}))`,
  errorsByType: `sum by (type, transport) (rate(api_errors_total${W}))`,
  latencyQuantile: (q: number) =>
    `histogram_quantile(${q}, sum by (le) (rate(api_request_duration_seconds_bucket{${API}}${W})))`,
  latencyP95ByEndpoint: `histogram_quantile(0.95, sum by (le, endpoint, transport) (rate(api_request_duration_seconds_bucket${W})))`,
  inferenceAvg: `sum(rate(prediction_duration_seconds_sum${W})) / sum(rate(prediction_duration_seconds_count${W}))`,
  inferenceP95: `histogram_quantile(0.95, sum by (le) (rate(prediction_duration_seconds_bucket${W})))`,
  /** Scoring calls per batch-size bucket in each interval: the heatmap's cells. */
  batchSizeBuckets: `sum by (le) (increase(mlops_batch_size_bucket${W}))`,
  batchSizeAvg: `sum(rate(mlops_batch_size_sum${W})) / sum(rate(mlops_batch_size_count${W}))`,
  queueDepth: "sum(mlops_batch_queue_depth)",
} as const;
