import cluster from "node:cluster";
import type { App, AppOptions } from "../app/create-app.js";
import { drainOnSignal, graceFor } from "../app/drain-on-signal.js";
import { startApp } from "../app/start-app.js";
import type { Config } from "../config/config.js";
import { createLogger } from "../observability/logger.js";
import {
  type ClusterMessage,
  MSG_METRICS_JSON,
  MSG_METRICS_JSON_REQ,
  MSG_METRICS_REQ,
  MSG_METRICS_RES,
  MSG_READY,
  MSG_REFRESH,
  MSG_SERVING_CHANGED,
  WORKER_SLOT_ENV,
} from "./messages.js";

/** How long a worker's /metrics waits for the primary's aggregated text. */
const PRIMARY_METRICS_TIMEOUT_MS = 5000;

export interface WorkerOptions {
  config: Config;
  app?: Partial<Pick<AppOptions, "pollIntervalMs">>;
}

/**
 * One worker: the app on the shared ports, its /metrics answered by the primary for the whole
 * cluster, promotions told to the primary (which tells every worker to refresh). It drains on
 * SIGTERM (how the primary stops it) and SIGINT. When the app cannot start, the worker logs why and
 * exits 1: its IPC channel would keep it alive, and the primary decides what happens next.
 *
 * Resolves with the app once it listens and the primary has been told.
 */
export async function runWorker(options: WorkerOptions): Promise<App> {
  const { config } = options;
  const slot = Number(process.env[WORKER_SLOT_ENV] ?? cluster.worker?.id ?? 0);
  const logger = createLogger({ level: config.logLevel, base: { worker: slot } });
  let nextId = 0;
  let app: App | undefined;
  const pending = new Map<number, { resolve: (t: string) => void; reject: (e: Error) => void }>();
  process.on("message", (msg: ClusterMessage) => {
    if (msg?.type === MSG_METRICS_RES && msg.id !== undefined) {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(msg.error));
      else p?.resolve(msg.text ?? "");
    } else if (msg?.type === MSG_REFRESH) {
      void app?.models.refresh();
    } else if (msg?.type === MSG_METRICS_JSON_REQ && app) {
      app.metrics.registry.getMetricsAsJSON().then(
        (metrics) => process.send?.({ type: MSG_METRICS_JSON, id: msg.id, metrics }),
        () => process.send?.({ type: MSG_METRICS_JSON, id: msg.id, metrics: [] }),
      );
    }
  });
  const metricsText = () =>
    new Promise<string>((resolve, reject) => {
      const reqId = nextId++;
      const timer = setTimeout(() => {
        pending.delete(reqId);
        reject(
          new Error(
            `the cluster primary did not answer the metrics request in ${PRIMARY_METRICS_TIMEOUT_MS / 1000} s`,
          ),
        );
      }, PRIMARY_METRICS_TIMEOUT_MS);
      pending.set(reqId, {
        resolve: (t) => {
          clearTimeout(timer);
          resolve(t);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      process.send?.({ type: MSG_METRICS_REQ, id: reqId });
    });
  try {
    app = await startApp({
      ...options.app,
      config,
      logger,
      metricLabels: { worker: String(slot) },
      metricsText,
      onServingChange: () => process.send?.({ type: MSG_SERVING_CHANGED }),
    });
  } catch (err) {
    logger.fatal({ err }, (err as Error).message);
    logger.flush(() => process.exit(1));
    // Never settles: the process is exiting.
    return new Promise<App>(() => undefined);
  }
  const started = app;
  drainOnSignal(logger, (signal) => started.shutdown({ graceS: graceFor(signal, config.drainGraceS) }));
  process.send?.({ type: MSG_READY });
  return started;
}
