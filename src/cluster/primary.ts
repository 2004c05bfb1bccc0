import cluster, { type Worker } from "node:cluster";
import { AggregatorRegistry } from "prom-client";
import type { Config } from "../config/config.js";
import type { Logger } from "../observability/logger.js";
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

export interface PrimaryOptions {
  config: Config;
  logger: Logger;
  workers: number;
  maxStartFailures: number;
  metricsTimeoutMs: number;
  handleSignals: boolean;
  /** Called once, with the exit code, when every worker is gone after a stop (or the grace ran out). */
  onStopped: (exitCode: number) => void;
  /** Called once, when every slot has had a worker listening. */
  onReady: () => void;
}

/** The first restart delay after a failed start; it doubles per consecutive failure, up to RESTART_MAX_MS. */
const RESTART_BASE_MS = 500;
const RESTART_MAX_MS = 30_000;
/** How long past config.shutdownTimeoutS the primary waits for its workers to drain before giving up. */
const STOP_GRACE_S = 5;

/**
 * The primary owns no sockets: it forks workers (which share the ports through node:cluster),
 * aggregates their metrics for /metrics, and fans out "serving changed" so every worker serves the
 * same Production version promptly (each also polls the registry).
 *
 * Each worker holds a slot (1..N) that a replacement inherits; its metrics carry `worker="<slot>"`,
 * so a restart resets that series alone instead of making the cluster's sums go backwards.
 *
 * A worker that dies after it has listened is replaced at once; one that dies before listening is
 * retried with exponential backoff, and after `maxStartFailures` failures in a row the cluster
 * stops with exit code 1. When the very first workers cannot start (port in use, unreadable data
 * directory…) they would fail again, so the cluster stops at once, also with 1.
 *
 * Returns `stop(signal, exitCode)`.
 */
export function runPrimary(options: PrimaryOptions): (signal: NodeJS.Signals, exitCode?: number) => void {
  const { config, logger, workers } = options;
  let stopping = false;
  let everReady = false;
  let allReadyOnce = false;
  const slotOf = new Map<number, number>(); // worker id → slot
  const ready = new Set<number>(); // worker ids that listen
  const failures = new Map<number, number>(); // slot → consecutive start failures
  let nextReq = 0;

  // A worker may die between a request and its reply: sending to it must never throw here.
  const safeSend = (w: Worker | undefined, msg: ClusterMessage) => {
    if (w?.isConnected() && !w.isDead())
      w.send(msg as never, (err: Error | null) => err && logger.debug({ err }, "worker gone"));
  };
  // Each worker's V8 young generation, capped (docs/decisions/0013): V8's default reserves 32 MiB
  // of semi-spaces per process, the largest share of what one more worker costs.
  const semi = config.workerSemiSpaceMiB;
  const ownSemi = [...process.execArgv, process.env.NODE_OPTIONS ?? ""].some((a) =>
    a.includes("--max-semi-space-size"),
  );
  if (semi > 0 && !ownSemi)
    cluster.setupPrimary({ execArgv: [...process.execArgv, `--max-semi-space-size=${semi}`] });
  const fork = (slot: number) => {
    const w = cluster.fork({ [WORKER_SLOT_ENV]: String(slot) });
    slotOf.set(w.id, slot);
    w.on("error", (err) => logger.debug({ err, worker: slot }, "worker channel error"));
  };

  /** Every listening worker's metrics as JSON, summed by series; a worker that is slow is left out. */
  async function clusterMetrics(): Promise<string> {
    const listening = [...ready]
      .map((id) => cluster.workers?.[id])
      .filter((w): w is Worker => w !== undefined);
    const id = nextReq++;
    const parts = await Promise.all(
      listening.map(
        (w) =>
          new Promise<unknown[] | undefined>((resolve) => {
            const timer = setTimeout(() => {
              w.off("message", onMessage);
              resolve(undefined);
            }, options.metricsTimeoutMs);
            function onMessage(msg: ClusterMessage) {
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
    if (got.length < listening.length)
      logger.warn({ missing: listening.length - got.length }, "metrics: a worker did not answer in time");
    return AggregatorRegistry.aggregate(got as never).metrics();
  }

  cluster.on("message", (worker, msg: ClusterMessage) => {
    if (msg?.type === MSG_METRICS_REQ) {
      clusterMetrics().then(
        (text) => safeSend(worker, { type: MSG_METRICS_RES, id: msg.id, text }),
        (err: Error) => safeSend(worker, { type: MSG_METRICS_RES, id: msg.id, error: err.message }),
      );
    } else if (msg?.type === MSG_READY) {
      ready.add(worker.id);
      everReady = true;
      failures.delete(slotOf.get(worker.id) ?? 0);
      if (ready.size === workers) {
        logger.info({ workers }, "all workers listening");
        if (!allReadyOnce) {
          allReadyOnce = true;
          options.onReady();
        }
      }
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
      logger.error({ worker: slot, code, signal }, "a worker failed to start; stopping");
      stop("SIGTERM", 1);
      return;
    }
    const n = wasReady ? 0 : (failures.get(slot) ?? 0) + 1;
    failures.set(slot, n);
    if (n >= options.maxStartFailures) {
      logger.error({ worker: slot, failures: n }, `a worker failed to start ${n} times in a row; stopping`);
      stop("SIGTERM", 1);
      return;
    }
    const delayMs = n === 0 ? 0 : Math.min(RESTART_MAX_MS, RESTART_BASE_MS * 2 ** (n - 1));
    logger.error({ worker: slot, code, signal, restartInMs: delayMs }, "worker died; starting a new one");
    setTimeout(() => !stopping && fork(slot), delayMs);
  });

  function stop(signal: NodeJS.Signals, exitCode = 0): void {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping workers");
    // The same signal: SIGTERM gives each worker its drain grace, SIGINT (Ctrl-C) does not.
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal);
    const deadline = setTimeout(
      () => {
        clearInterval(check);
        options.onStopped(1);
      },
      (config.shutdownTimeoutS + STOP_GRACE_S) * 1000,
    );
    deadline.unref();
    const check = setInterval(() => {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        clearInterval(check);
        clearTimeout(deadline);
        options.onStopped(exitCode);
      }
    }, 50);
  }

  for (let slot = 1; slot <= workers; slot++) fork(slot);
  if (options.handleSignals) {
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
  }
  return stop;
}
