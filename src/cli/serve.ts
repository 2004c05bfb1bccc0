import cluster, { type Worker } from "node:cluster";
import { availableParallelism } from "node:os";
import { type Command, InvalidArgumentError } from "commander";
import type { App, AppOptions } from "../app/create-app.js";
import { type Config, loadConfig } from "../config/config.js";
import { createLogger, type Logger } from "../observability/logger.js";
import { bootstrapIfEmpty } from "./serve-bootstrap.js";

// The server stack (grpc-js, connect, prom-client's cluster glue) loads only for `serve`, so the
// data commands start fast.
const loadApp = () => import("../app/create-app.js");
const loadAggregator = async () => (await import("prom-client")).AggregatorRegistry;

interface ServeFlags {
  host?: string;
  httpPort?: number;
  grpcPort?: number;
  workers?: number;
  modelName?: string;
  bootstrap: boolean;
  batching: boolean;
  dataDir?: string;
  logLevel?: string;
}

const MSG_METRICS_REQ = "mlops:metrics-req";
const MSG_METRICS_RES = "mlops:metrics-res";
const MSG_SERVING_CHANGED = "mlops:serving-changed";
const MSG_REFRESH = "mlops:refresh";
const MSG_READY = "mlops:ready";
const MSG_METRICS_JSON_REQ = "mlops:metrics-json-req";
const MSG_METRICS_JSON = "mlops:metrics-json";

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError(`expected a port number, got ${value}`);
  return n;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected a positive integer, got ${value}`);
  return n;
}

/** `mlops serve`: gRPC + HTTP servers on the Production model, optionally as a cluster of workers. */
export function registerServe(program: Command): void {
  program
    .command("serve")
    .description("serve the Production model over gRPC, Connect/gRPC-Web and REST")
    .option("--host <host>", "interface to bind (env MLOPS_HOST, default 0.0.0.0)")
    .option("--http-port <port>", "REST/Connect/metrics port (env MLOPS_HTTP_PORT, default 8000)", port)
    .option("--grpc-port <port>", "gRPC port (env MLOPS_GRPC_PORT, default 50051)", port)
    .option(
      "--workers <n>",
      "server processes sharing the ports (env MLOPS_WORKERS, default: the core count)",
      positive,
    )
    .option("--model-name <name>", "registered model to serve (env MLOPS_MODEL_NAME, default ml_classifier)")
    .option("--no-bootstrap", "do not train and promote a default model on an empty data directory")
    .option("--no-batching", "score each request on its own instead of coalescing concurrent ones")
    .action(async (_opts, cmd: Command) => {
      const flags = cmd.optsWithGlobals() as ServeFlags;
      const workersDefault = process.env.MLOPS_WORKERS ? undefined : availableParallelism();
      const config = loadConfig({
        dataDir: flags.dataDir,
        host: flags.host,
        httpPort: flags.httpPort,
        grpcPort: flags.grpcPort,
        modelName: flags.modelName,
        logLevel: flags.logLevel,
        workers: flags.workers ?? workersDefault,
        batching: flags.batching ? undefined : { enabled: false },
      });
      await serve(config, flags.bootstrap);
    });
}

export async function serve(config: Config, bootstrap: boolean): Promise<void> {
  if (cluster.isWorker) return runWorker(config);
  const logger = createLogger({ level: config.logLevel, base: { role: "primary" } });
  if (bootstrap) await bootstrapIfEmpty(config, logger);
  if (config.workers <= 1) {
    const app = await startApp(config, logger, {});
    installShutdown(logger, () => app.close());
    return;
  }
  await runPrimary(config, logger);
}

async function startApp(config: Config, logger: Logger, extra: Partial<AppOptions>): Promise<App> {
  const { createApp } = await loadApp();
  const app = await createApp({ config, logger, ...extra });
  const served = app.models.current();
  logger.info(
    {
      httpPort: app.httpPort,
      grpcPort: app.grpcPort,
      host: config.host,
      model: served ? { name: served.name, version: served.version } : null,
      dataDir: config.dataDir,
    },
    served
      ? `listening: http ${config.host}:${app.httpPort}, grpc ${config.host}:${app.grpcPort}; serving ${served.name} v${served.version}`
      : `listening: http ${config.host}:${app.httpPort}, grpc ${config.host}:${app.grpcPort}; no Production model yet (PredictService NOT_SERVING)`,
  );
  return app;
}

function installShutdown(logger: Logger, close: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "draining in-flight calls, then exiting");
    close().then(
      () => logger.flush(() => process.exit(0)),
      (err) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

/**
 * The primary owns no sockets: it forks workers (which share the ports through node:cluster),
 * aggregates their metrics for /metrics, and fans out "serving changed" so every worker serves the
 * same Production version promptly (each also polls the registry).
 *
 * Each worker holds a slot (1..N) that a replacement inherits; its metrics carry `worker="<slot>"`,
 * so a restart resets that series alone instead of making the cluster's sums go backwards.
 */
async function runPrimary(config: Config, logger: Logger): Promise<void> {
  const AggregatorRegistry = await loadAggregator();
  let stopping = false;
  let everReady = false;
  const slotOf = new Map<number, number>(); // worker id → slot
  const ready = new Set<number>(); // worker ids that listen
  const failures = new Map<number, number>(); // slot → consecutive start failures
  let nextReq = 0;

  // A worker may die between a request and its reply: sending to it must never throw here.
  const safeSend = (w: Worker | undefined, msg: unknown) => {
    if (w?.isConnected() && !w.isDead())
      w.send(msg as never, (err: Error | null) => err && logger.debug({ err }, "worker gone"));
  };
  const fork = (slot: number) => {
    const w = cluster.fork({ MLOPS_WORKER_ID: String(slot) });
    slotOf.set(w.id, slot);
    w.on("error", (err) => logger.debug({ err, worker: slot }, "worker channel error"));
  };
  for (let slot = 1; slot <= config.workers; slot++) fork(slot);

  /** Every listening worker's metrics as JSON, summed by series; a worker that is slow is left out. */
  async function clusterMetrics(): Promise<string> {
    const workers = [...ready].map((id) => cluster.workers?.[id]).filter((w): w is Worker => w !== undefined);
    const id = nextReq++;
    const parts = await Promise.all(
      workers.map(
        (w) =>
          new Promise<unknown[] | undefined>((resolve) => {
            const timer = setTimeout(() => {
              w.off("message", onMessage);
              resolve(undefined);
            }, 2000);
            function onMessage(msg: { type?: string; id?: number; metrics?: unknown[] }) {
              if (msg?.type !== MSG_METRICS_JSON || msg.id !== id) return;
              clearTimeout(timer);
              w.off("message", onMessage);
              resolve(msg.metrics);
            }
            w.on("message", onMessage);
            safeSend(w, { type: MSG_METRICS_JSON_REQ, id });
          }),
      ),
    );
    const got = parts.filter((p): p is unknown[] => p !== undefined);
    if (got.length < workers.length)
      logger.warn({ missing: workers.length - got.length }, "metrics: a worker did not answer in time");
    return AggregatorRegistry.aggregate(got as never).metrics();
  }

  cluster.on("message", (worker, msg: { type?: string; id?: number }) => {
    if (msg?.type === MSG_METRICS_REQ) {
      clusterMetrics().then(
        (text) => safeSend(worker, { type: MSG_METRICS_RES, id: msg.id, text }),
        (err: Error) => safeSend(worker, { type: MSG_METRICS_RES, id: msg.id, error: err.message }),
      );
    } else if (msg?.type === MSG_READY) {
      ready.add(worker.id);
      everReady = true;
      failures.delete(slotOf.get(worker.id) ?? 0);
      if (ready.size === config.workers) logger.info({ workers: config.workers }, "all workers listening");
    } else if (msg?.type === MSG_SERVING_CHANGED) {
      for (const w of Object.values(cluster.workers ?? {})) safeSend(w, { type: MSG_REFRESH });
    }
  });
  cluster.on("exit", (worker, code, signal) => {
    const slot = slotOf.get(worker.id) ?? 0;
    slotOf.delete(worker.id);
    const wasReady = ready.delete(worker.id);
    if (stopping) return;
    if (!everReady) {
      // The first workers could not even start (port in use, unreadable data dir…): they would fail
      // again, so stop and exit non-zero instead of respawning forever.
      logger.error({ worker: slot, code, signal }, "a worker failed to start; stopping");
      stop("SIGTERM", 1);
      return;
    }
    const n = wasReady ? 0 : (failures.get(slot) ?? 0) + 1;
    failures.set(slot, n);
    if (n >= 5) {
      logger.error({ worker: slot, failures: n }, "a worker failed to start 5 times in a row; stopping");
      stop("SIGTERM", 1);
      return;
    }
    const delayMs = n === 0 ? 0 : Math.min(30_000, 500 * 2 ** (n - 1));
    logger.error({ worker: slot, code, signal, restartInMs: delayMs }, "worker died; starting a new one");
    setTimeout(() => !stopping && fork(slot), delayMs);
  });
  function stop(signal: NodeJS.Signals, exitCode = 0): void {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping workers");
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill("SIGTERM");
    const deadline = setTimeout(() => process.exit(1), (config.shutdownTimeoutS + 5) * 1000);
    deadline.unref();
    const check = setInterval(() => {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        clearInterval(check);
        logger.flush(() => process.exit(exitCode));
      }
    }, 50);
  }
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

async function runWorker(config: Config): Promise<void> {
  const id = Number(process.env.MLOPS_WORKER_ID ?? cluster.worker?.id ?? 0);
  const logger = createLogger({ level: config.logLevel, base: { worker: id } });
  let nextId = 0;
  let app: App | undefined;
  const pending = new Map<number, { resolve: (t: string) => void; reject: (e: Error) => void }>();
  process.on("message", (msg: { type?: string; id?: number; text?: string; error?: string }) => {
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
  try {
    app = await startApp(config, logger, {
      metricLabels: { worker: String(id) },
      metricsText: () =>
        new Promise((resolve, reject) => {
          const reqId = nextId++;
          const timer = setTimeout(() => {
            pending.delete(reqId);
            reject(new Error("the cluster primary did not answer the metrics request in 5 s"));
          }, 5000);
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
        }),
      onServingChange: () => process.send?.({ type: MSG_SERVING_CHANGED }),
    });
  } catch (err) {
    // The IPC channel would keep this process alive; the primary sees the exit and stops.
    logger.fatal({ err }, (err as Error).message);
    logger.flush(() => process.exit(1));
    return;
  }
  installShutdown(logger, () => (app as App).close());
  process.send?.({ type: MSG_READY });
}
