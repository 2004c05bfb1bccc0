import { readFileSync } from "node:fs";
import { setLogger as setGrpcLogger } from "@grpc/grpc-js";
import { type Config, storeOptionsOf } from "../config/config.js";
import { trimNativeHeap } from "../core/memory.js";
import { ClassifierModel } from "../core/model.js";
import { GRPCInferenceService } from "../gen/inference/open_inference_grpc_pb.js";
import { PredictService } from "../gen/mlops/v1/predict_pb.js";
import { RegistryService } from "../gen/mlops/v1/registry_pb.js";
import { TrackingService } from "../gen/mlops/v1/tracking_pb.js";
import type { Logger } from "../observability/logger.js";
import { createMetrics, type Metrics } from "../observability/metrics.js";
import type { ServiceBinding } from "../rpc/binding.js";
import { createPredictService } from "../services/predict-service.js";
import { createRegistryService } from "../services/registry-service.js";
import { createTrackingService } from "../services/tracking-service.js";
import { createBatcher } from "../serving/batcher.js";
import { createModelManager, type ModelManager } from "../serving/model-manager.js";
import { type ArtifactStore, createArtifactStore, createStore, type Store } from "../store/index.js";
import { createGrpcServer, type GrpcServer } from "../transports/grpc/server.js";
import { docsRoutes } from "../transports/http/docs.js";
import { createHttpServer, type HttpServer } from "../transports/http/server.js";
import { uiRoutes } from "../transports/http/ui.js";
import { mlflowRoutes } from "../transports/mlflow/routes.js";
import { oipGrpcBinding } from "../transports/oip/grpc.js";
import { createInference } from "../transports/oip/inference.js";
import { oipRestRoutes } from "../transports/oip/rest.js";
import { createPipeline } from "../transports/pipeline.js";
import { createOps } from "./ops.js";
import { watchRegistryHealth } from "./registry-health.js";

export interface AppOptions {
  config: Config;
  logger: Logger;
  /** Labels on every metric series, e.g. `{worker: "2"}` in a cluster. */
  metricLabels?: Record<string, string>;
  /** Replaces the local /metrics text (cluster aggregation). */
  metricsText?: () => Promise<string>;
  /** Called after a promotion or alias change through this app's own API. */
  onServingChange?: () => void;
  /** Model manager poll interval in ms; 0 turns polling off. Default 2000. */
  pollIntervalMs?: number;
  /** Connect's unary POSTs on the lean adapter (connect-unary.ts). Default true; false: all through connect-node. */
  leanConnect?: boolean;
}

export interface App {
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly store: Store;
  readonly artifacts: ArtifactStore;
  readonly models: ModelManager;
  readonly metrics: Metrics;
  readonly grpc: GrpcServer;
  readonly http: HttpServer;
  /** Whether shutdown() or close() has begun (health reports NOT_SERVING from then on). */
  readonly draining: boolean;
  /**
   * Stops the app without dropping a call that reached it: health turns NOT_SERVING at once (gRPC
   * health and `/health`), the listeners keep accepting for `graceS`, then close; every request
   * that reached an open connection is answered; at `config.shutdownTimeoutS` after the call what
   * is left is cut (gRPC forceShutdown). Then the store closes. Idempotent.
   */
  shutdown(options?: ShutdownOptions): Promise<void>;
  /** shutdown() without a grace period. */
  close(): Promise<void>;
}

export interface ShutdownOptions {
  /**
   * Seconds between turning NOT_SERVING and closing the listeners, for load balancers to stop
   * sending (MLOPS_DRAIN_GRACE_S on SIGTERM). Capped at config.shutdownTimeoutS. Default 0.
   */
  graceS?: number;
}

const PACKAGE_VERSION = (() => {
  try {
    return JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version as string;
  } catch {
    return "0.0.0";
  }
})();

/** Opens the store, loads the Production model and starts the gRPC and HTTP servers. */
export async function createApp(options: AppOptions): Promise<App> {
  const { config, logger } = options;
  // grpc-js writes its own plain-text lines to stderr; keep logs JSON. Its errors reach us as
  // rejected calls anyway, so its chatter goes to debug.
  setGrpcLogger({
    error: (...args: unknown[]) => logger.debug({ grpc: true }, args.join(" ")),
    info: (...args: unknown[]) => logger.debug({ grpc: true }, args.join(" ")),
    debug: (...args: unknown[]) => logger.trace({ grpc: true }, args.join(" ")),
  });
  const store = await createStore(storeOptionsOf(config));
  const artifacts = createArtifactStore({ dataDir: config.dataDir, url: config.artifactUrl });
  const metrics = createMetrics({ defaultLabels: options.metricLabels });
  const pipeline = createPipeline({ metrics, logger, apiToken: config.apiToken });
  let grpc: GrpcServer | undefined;
  let draining = false;
  /** Every health-checked service, and "" (the whole server). */
  const healthNames = [
    "",
    PredictService.typeName,
    GRPCInferenceService.typeName,
    RegistryService.typeName,
    TrackingService.typeName,
  ];

  const models = createModelManager({
    store,
    artifacts,
    modelName: config.modelName,
    loadModel: (bytes) => ClassifierModel.fromBytes(bytes),
    logger,
    pollIntervalMs: options.pollIntervalMs,
    onChange(served) {
      metrics.modelInfo.reset();
      if (served)
        metrics.modelInfo.set({ name: served.name, version: String(served.version), stage: served.stage }, 1);
      metrics.modelLoaded.set(served ? 1 : 0);
      // After the load's scratch (the artifact's parse, the engines' compile) is freed.
      setImmediate(trimNativeHeap);
      if (draining) return;
      grpc?.health.setStatus(PredictService.typeName, served ? "SERVING" : "NOT_SERVING");
      grpc?.health.setStatus(GRPCInferenceService.typeName, served ? "SERVING" : "NOT_SERVING");
    },
  });
  metrics.modelLoaded.set(0);

  const { scored } = metrics;
  const onScored = (rows: number, seconds: number) => {
    scored.predictions.inc(rows);
    scored.duration.observe(seconds);
  };
  const batcher = config.batching.enabled
    ? createBatcher({
        maxBatchSize: config.batching.maxBatchSize,
        maxDelayUs: config.batching.maxDelayUs,
        maxQueue: config.batching.maxQueue,
        maxInFlight: config.batching.maxInFlight,
        syncMaxRows: config.batching.syncMaxRows,
        syncMaxUs: config.batching.syncMaxUs,
        onBatch(rows, seconds) {
          onScored(rows, seconds);
          scored.batchSize.observe(rows);
        },
      })
    : undefined;
  // Read at each scrape rather than set on every queue change.
  if (batcher) metrics.watchQueueDepth(() => batcher.depth);

  const predict = createPredictService({
    models,
    batcher,
    asyncRowThreshold: config.asyncRowThreshold,
    scoringThreads: config.scoringThreads,
    allowMissing: config.allowMissing,
    onScored,
    resolveAlias: async (name, alias) => (await store.resolveAlias(name, alias)).version,
  });
  const registry = createRegistryService({
    store,
    artifacts,
    onServingChange: (name) => {
      if (name !== config.modelName) return;
      void models.refresh();
      options.onServingChange?.();
    },
  });
  const tracking = createTrackingService({ store, artifacts });
  const bindings: ServiceBinding[] = [
    { service: PredictService, impl: predict },
    { service: RegistryService, impl: registry },
    { service: TrackingService, impl: tracking },
  ] as ServiceBinding[];

  // The Open Inference Protocol (KServe V2): one more face of the same PredictService.
  const inference = createInference({
    predict,
    registry,
    server: { name: "mlops", version: PACKAGE_VERSION },
  });

  // gRPC has one receive limit per server: model imports need the larger one.
  grpc = createGrpcServer({
    bindings: [...bindings, oipGrpcBinding(inference)],
    pipeline,
    maxMessageBytes: config.maxMessageBytes,
    maxReceiveBytes: Math.max(config.maxMessageBytes, config.maxImportBytes),
  });
  grpc.health.setStatus(PredictService.typeName, "NOT_SERVING");
  grpc.health.setStatus(GRPCInferenceService.typeName, "NOT_SERVING");
  grpc.health.setStatus(RegistryService.typeName, "SERVING");
  grpc.health.setStatus(TrackingService.typeName, "SERVING");

  const startedAt = new Date();
  const http = createHttpServer({
    bindings,
    pipeline,
    predictRow: predict.predictRow,
    predictRequest: predict.predictRequest,
    maxBodyBytes: config.maxBodyBytes,
    maxImportBytes: config.maxImportBytes,
    leanConnect: options.leanConnect,
    routes: [
      ...oipRestRoutes({ inference, maxBodyBytes: config.maxBodyBytes }),
      ...docsRoutes(),
      ...uiRoutes(),
      // MLflow clients (MLFLOW_TRACKING_URI pointing here) log runs and register models.
      ...mlflowRoutes({
        tracking,
        registry,
        maxBodyBytes: config.maxBodyBytes,
        maxArtifactBytes: config.maxImportBytes,
      }),
    ],
    ops: createOps({
      store,
      registry: metrics.registry,
      served: () => models.current(),
      lastLoadError: () => models.lastError(),
      modelName: config.modelName,
      version: PACKAGE_VERSION,
      startedAt,
      metricsText: options.metricsText,
      draining: () => draining,
    }),
  });

  // A promotion made anywhere (another replica, the CLI) reaches us at once on PostgreSQL
  // (LISTEN/NOTIFY); the poll stays as the fallback, and is all there is for other processes on SQLite.
  const unsubscribeServing = store.onServingChange((name) => {
    if (name === null || name === config.modelName) void models.refresh();
  });
  await models.refresh();
  models.start();
  const stopRegistryHealth = watchRegistryHealth({
    store,
    intervalMs: options.pollIntervalMs,
    onChange(reachable) {
      if (draining) return;
      if (reachable) logger.info("registry reachable again: RegistryService and TrackingService SERVING");
      else logger.warn("registry unreachable: RegistryService and TrackingService NOT_SERVING");
      for (const name of [RegistryService.typeName, TrackingService.typeName]) {
        grpc?.health.setStatus(name, reachable ? "SERVING" : "NOT_SERVING");
      }
    },
  });
  let grpcPort: number;
  let httpPort: number;
  try {
    grpcPort = await grpc.listen(config.host, config.grpcPort).catch((err) => {
      throw portError(err, "gRPC", config.host, config.grpcPort, "MLOPS_GRPC_PORT");
    });
    httpPort = await http.listen(config.host, config.httpPort).catch((err) => {
      throw portError(err, "HTTP", config.host, config.httpPort, "MLOPS_HTTP_PORT");
    });
  } catch (err) {
    unsubscribeServing();
    stopRegistryHealth();
    models.stop();
    await grpc.close(0);
    artifacts.close();
    await store.close();
    throw err;
  }
  // Startup is over: what it freed goes back to the kernel rather than staying in every worker's
  // PSS (docs/decisions/0030). A model swap does the same in onChange.
  trimNativeHeap();

  let closing: Promise<void> | undefined;
  const shutdown = (shutdownOptions: ShutdownOptions = {}) => {
    closing ??= (async () => {
      const timeoutMs = config.shutdownTimeoutS * 1000;
      const deadline = Date.now() + timeoutMs;
      draining = true;
      unsubscribeServing();
      stopRegistryHealth();
      models.stop();
      for (const name of healthNames) grpc?.health.setStatus(name, "NOT_SERVING");
      const graceMs = Math.min(Math.max(0, (shutdownOptions.graceS ?? 0) * 1000), timeoutMs);
      if (graceMs > 0) {
        logger.info(
          { graceS: graceMs / 1000, shutdownTimeoutS: config.shutdownTimeoutS },
          "draining: health NOT_SERVING, listeners still accepting",
        );
        await new Promise((r) => setTimeout(r, graceMs));
      }
      // The moment operators (and the drain test) measure from: a request sent before it is answered.
      logger.info({ listenersClosedAt: Date.now() }, "listeners closed; answering what reached them");
      const left = Math.max(0, deadline - Date.now());
      await Promise.all([http.close(left), (grpc as GrpcServer).close(left)]);
      if (Date.now() >= deadline) logger.warn("shutdown timeout reached: the calls left were cut");
      artifacts.close();
      await store.close();
    })();
    return closing;
  };
  return {
    httpPort,
    grpcPort,
    store,
    artifacts,
    models,
    metrics,
    grpc,
    http,
    get draining() {
      return draining;
    },
    shutdown,
    close: () => shutdown(),
  };
}

/** A bind failure in words a user can act on; grpc-js reports EADDRINUSE inside a longer message. */
function portError(err: unknown, what: string, host: string, port: number, env: string): Error {
  const message = String((err as Error)?.message ?? err);
  if (/EADDRINUSE/.test(message) || (err as NodeJS.ErrnoException)?.code === "EADDRINUSE") {
    return Object.assign(
      new Error(
        `${what} port ${host}:${port} is in use: stop the other process or choose another port (${env})`,
      ),
      { code: "EADDRINUSE" },
    );
  }
  return err as Error;
}
