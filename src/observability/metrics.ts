import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { counterBinder, histogramBinder } from "./bound-series.js";

export interface MetricsOptions {
  /** Registry to register into. Default: a new one, so several servers can live in one process. */
  registry?: Registry;
  /** Collect prom-client's process and Node.js metrics. Default true. */
  defaultMetrics?: boolean;
  /** Labels added to every series (e.g. `{worker: "2"}`). Default none. */
  defaultLabels?: Record<string, string>;
}

/** Request latency buckets in seconds: sub-millisecond resolution where this server lives. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** Native scoring is microseconds per row; batches of 10k rows take tens of milliseconds. */
const INFERENCE_BUCKETS = [
  1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025, 0.05, 0.1, 0.5,
];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096, 16384];

/** The seed's metric names, kept exactly, plus mlops_* additions; see docs/metrics.md. */
export function createMetrics(options: MetricsOptions = {}) {
  const registry = options.registry ?? new Registry();
  if (options.defaultLabels) registry.setDefaultLabels(options.defaultLabels);
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  // The series every request or batch records are bound once (bound-series.ts); the rest go
  // through prom-client's own calls.
  const requestsBinder = counterBinder<"method" | "endpoint" | "status" | "transport">();
  const durationBinder = histogramBinder<"method" | "endpoint" | "transport">(LATENCY_BUCKETS);
  const predictionsBinder = counterBinder();
  const predictionDurationBinder = histogramBinder(INFERENCE_BUCKETS);
  const batchSizeBinder = histogramBinder(BATCH_BUCKETS);
  let queueDepth: () => number = () => 0;
  const requests = new Counter({
    name: "api_requests_total",
    help: "Total API requests",
    labelNames: ["method", "endpoint", "status", "transport"] as const,
    registers,
    collect: requestsBinder.collect,
  });
  const requestDuration = new Histogram({
    name: "api_request_duration_seconds",
    help: "API request latency in seconds",
    labelNames: ["method", "endpoint", "transport"] as const,
    buckets: LATENCY_BUCKETS,
    registers,
    collect: durationBinder.collect,
  });
  const predictions = new Counter({
    name: "predictions_total",
    help: "Total rows scored",
    registers,
    collect: predictionsBinder.collect,
  });
  const predictionDuration = new Histogram({
    name: "prediction_duration_seconds",
    help: "Time spent in the native core per scoring call, in seconds",
    buckets: INFERENCE_BUCKETS,
    registers,
    collect: predictionDurationBinder.collect,
  });
  const batchSize = new Histogram({
    name: "mlops_batch_size",
    help: "Rows per native scoring call made by the batcher",
    buckets: BATCH_BUCKETS,
    registers,
    collect: batchSizeBinder.collect,
  });
  return {
    registry,
    requests,
    requestDuration,
    predictions,
    predictionDuration,
    /** A bound `api_requests_total` series (one per route and status: a small, fixed set). */
    bindRequests: (labels: { method: string; endpoint: string; status: string; transport: string }) =>
      requestsBinder.bind(requests, labels),
    /** A bound `api_request_duration_seconds` series (one per route). */
    bindRequestDuration: (labels: { method: string; endpoint: string; transport: string }) =>
      durationBinder.bind(requestDuration, labels),
    /** The unlabeled series every native scoring call records. */
    scored: {
      predictions: predictionsBinder.bind(predictions, {}),
      duration: predictionDurationBinder.bind(predictionDuration, {}),
      batchSize: batchSizeBinder.bind(batchSize, {}),
    },
    /** Where `mlops_batch_queue_depth` reads the depth at each scrape (no per-request update). */
    watchQueueDepth(depth: () => number): void {
      queueDepth = depth;
    },
    errors: new Counter({
      name: "api_errors_total",
      help: "Failed API requests by error type",
      labelNames: ["type", "transport"] as const,
      registers,
    }),
    modelInfo: new Gauge({
      name: "mlops_model_info",
      help: "1 for the model version being served",
      labelNames: ["name", "version", "stage"] as const,
      // Across cluster workers: 1 if any worker serves that version (not the worker count).
      aggregator: "max",
      registers,
    }),
    modelLoaded: new Gauge({
      name: "mlops_model_loaded",
      help: "1 while a model is loaded and PredictService is SERVING",
      // Across cluster workers: 1 only when every worker serves.
      aggregator: "min",
      registers,
    }),
    batchSize,
    queueDepth: new Gauge({
      name: "mlops_batch_queue_depth",
      help: "Requests waiting in the batcher's queue",
      registers,
      collect() {
        this.set(queueDepth());
      },
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
