import cluster from "node:cluster";
import { availableParallelism } from "node:os";
import { type Command, InvalidArgumentError } from "commander";
import { drainOnSignal, graceFor } from "../app/drain-on-signal.js";
import { type Config, loadConfig } from "../config/config.js";
import { createLogger } from "../observability/logger.js";

// The server stack (grpc-js, connect, prom-client's cluster glue) loads only for `serve`, so the
// data commands start fast; the bootstrap (the store and the trainer) only where it runs, in the
// primary, so the workers of a cluster do not hold it.
const loadApp = () => import("../app/start-app.js");
const loadCluster = () => import("../cluster/create-cluster.js");
const loadBootstrap = () => import("./serve-bootstrap.js");

interface ServeFlags {
  host?: string;
  httpPort?: number;
  grpcPort?: number;
  workers?: number;
  modelName?: string;
  bootstrap: boolean;
  batching: boolean;
  dataDir?: string;
  artifactUrl?: string;
  databaseUrl?: string;
  logLevel?: string;
}

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
        artifactUrl: flags.artifactUrl,
        databaseUrl: flags.databaseUrl,
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
  if (cluster.isWorker) {
    await (await loadCluster()).createCluster({ config });
    return;
  }
  const logger = createLogger({ level: config.logLevel, base: { role: "primary" } });
  if (bootstrap) await (await loadBootstrap()).bootstrapIfEmpty(config, logger);
  if (config.workers <= 1) {
    const { startApp } = await loadApp();
    const app = await startApp({ config, logger });
    drainOnSignal(logger, (signal) => app.shutdown({ graceS: graceFor(signal, config.drainGraceS) }));
    return;
  }
  await (await loadCluster()).createCluster({ config, logger });
}
