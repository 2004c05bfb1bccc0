// Several server processes on one machine, sharing the ports through node:cluster: what
// `mlops serve --workers N` runs, for library users of createApp too.
import cluster from "node:cluster";
import type { App, AppOptions } from "../app/create-app.js";
import type { Config } from "../config/config.js";
import { createLogger, type Logger } from "../observability/logger.js";
import { runPrimary } from "./primary.js";

// The app (grpc-js, connect, the store…) loads in the workers only: the primary owns no sockets, and
// importing the server stack there would cost it ~20 MiB of PSS for nothing (docs/decisions/0030).
const loadWorker = () => import("./worker.js");

export interface ClusterOptions {
  /** The servers' configuration. `config.workers` processes are forked (at least 1). Required. */
  config: Config;
  /**
   * The primary's logger. Default: pino at `config.logLevel` with `role: "primary"`. Each worker
   * logs through its own pino logger at `config.logLevel` with `worker: <slot>`.
   */
  logger?: Logger;
  /** More options for every worker's createApp. Default none. */
  app?: Partial<Pick<AppOptions, "pollIntervalMs">>;
  /** Failed starts in a row of one worker slot after which the cluster stops with exit code 1. Default 5. */
  maxStartFailures?: number;
  /** How long a /metrics scrape waits for each worker's registry before leaving it out, ms. Default 2000. */
  metricsTimeoutMs?: number;
  /** Whether SIGTERM and SIGINT to the primary stop the cluster. Default true. (Workers always drain on both.) */
  handleSignals?: boolean;
  /**
   * Whether the primary ends the process once the cluster has stopped, with its exit code, as
   * `mlops serve` does. Default true; with false, only `stopped` settles.
   */
  exitProcess?: boolean;
}

export const CLUSTER_DEFAULTS = Object.freeze({
  maxStartFailures: 5,
  metricsTimeoutMs: 2000,
  handleSignals: true,
  exitProcess: true,
});

export interface Cluster {
  /**
   * "primary" in the process that started the cluster; "worker" in the processes it forks, which
   * run the same script and reach the same createCluster call.
   */
  readonly role: "primary" | "worker";
  /** In a worker, the app this process serves; in the primary, undefined (it owns no sockets). */
  readonly app: App | undefined;
  /**
   * Primary: resolves once every worker has listened; rejects when the cluster stops first (e.g. the
   * first workers cannot bind their ports). Worker: resolved (createCluster returned after listening).
   */
  readonly ready: Promise<void>;
  /**
   * Primary: SIGTERMs every worker (each drains its in-flight calls) and waits for all of them, at
   * most `config.shutdownTimeoutS` + 5 s. Worker: drains this app and exits. Idempotent.
   */
  stop(): void;
  /**
   * Primary: settles with the exit code once the cluster has stopped: 0 after stop() or a signal,
   * 1 when workers could not start or did not stop in time. Worker: never settles (it exits).
   */
  readonly stopped: Promise<number>;
}

/**
 * Starts a cluster of `config.workers` server processes, or, in a process that cluster forked, the
 * worker's app. Call it once per process, from a script that every worker runs too (as with
 * node:cluster itself); an empty data directory is not bootstrapped here (`mlops serve` does that
 * before it calls this).
 */
export async function createCluster(options: ClusterOptions): Promise<Cluster> {
  if (cluster.isWorker) {
    const { runWorker } = await loadWorker();
    const app = await runWorker({ config: options.config, app: options.app });
    return {
      role: "worker",
      app,
      ready: Promise.resolve(),
      stop: () => process.kill(process.pid, "SIGTERM"),
      stopped: new Promise<number>(() => undefined),
    };
  }
  const config = options.config;
  const logger = options.logger ?? createLogger({ level: config.logLevel, base: { role: "primary" } });
  const exitProcess = options.exitProcess ?? CLUSTER_DEFAULTS.exitProcess;
  let settleReady!: { resolve: () => void; reject: (e: Error) => void };
  const ready = new Promise<void>((resolve, reject) => {
    settleReady = { resolve, reject };
  });
  // Observed only if the caller awaits it; a cluster that stops early says why in its logs.
  ready.catch(() => undefined);
  let settleStopped!: (code: number) => void;
  const stopped = new Promise<number>((resolve) => {
    settleStopped = resolve;
  });
  const stop = runPrimary({
    config,
    logger,
    workers: Math.max(1, config.workers),
    maxStartFailures: options.maxStartFailures ?? CLUSTER_DEFAULTS.maxStartFailures,
    metricsTimeoutMs: options.metricsTimeoutMs ?? CLUSTER_DEFAULTS.metricsTimeoutMs,
    handleSignals: options.handleSignals ?? CLUSTER_DEFAULTS.handleSignals,
    onReady: () => settleReady.resolve(),
    onStopped: (code) => {
      settleReady.reject(new Error(`the cluster stopped (exit code ${code}) before every worker listened`));
      settleStopped(code);
      if (exitProcess) logger.flush(() => process.exit(code));
    },
  });
  return { role: "primary", app: undefined, ready, stop: () => stop("SIGTERM"), stopped };
}
