import type { Registry } from "prom-client";
import type { ServedModel } from "../serving/model-manager.js";
import type { Store } from "../store/index.js";
import type { OpsProvider } from "../transports/http/routes.js";

export interface OpsOptions {
  store: Store;
  registry: Registry;
  served: () => ServedModel | undefined;
  lastLoadError: () => Error | undefined;
  modelName: string;
  version: string;
  startedAt: Date;
  /** Replaces the local registry's text, e.g. to aggregate a cluster's workers. */
  metricsText?: () => Promise<string>;
  /** True once the app is shutting down: /health answers 503 `draining` so load balancers stop sending. */
  draining?: () => boolean;
}

/** /health, /model-info, / and /metrics: the seed's operational routes. */
export function createOps(options: OpsOptions): OpsProvider {
  const { store } = options;
  const modelInfo = () => {
    const s = options.served();
    if (!s) return undefined;
    const info = s.model.info;
    return {
      model_name: s.name,
      model_version: String(s.version),
      stage: s.stage,
      aliases: [...s.aliases],
      run_id: s.runId,
      metrics: s.metrics,
      loaded_at: s.loadedAt.toISOString(),
      artifact_sha256: s.sha256,
      family: info.family,
      n_features: s.model.nFeatures,
      n_classes: s.model.nClasses,
      feature_names: info.featureNames,
      class_labels: Array.from({ length: s.model.nClasses }, (_, k) => s.model.classLabel(k)),
      scorer: {
        engine: info.engine,
        row_engine: info.rowEngine,
        isa: info.engineIsa,
        bytes: info.engineBytes,
      },
    };
  };
  return {
    // Readiness follows what this process can answer: a loaded model keeps /predict working with
    // the registry unreachable, so that is 200 "degraded" (a load balancer keeps sending traffic;
    // registry calls fail fast with UNAVAILABLE meanwhile). No model is 503, whatever the registry.
    async health() {
      let registry = true;
      try {
        await store.ping();
      } catch {
        registry = false;
      }
      const s = options.served();
      const draining = options.draining?.() ?? false;
      const ok = s !== undefined && !draining;
      const body: Record<string, unknown> = {
        status: draining ? "draining" : !ok ? "unhealthy" : registry ? "healthy" : "degraded",
        model_loaded: s !== undefined,
        registry_reachable: registry,
        model_name: options.modelName,
        model_version: s ? String(s.version) : null,
        uptime_s: Math.round((Date.now() - options.startedAt.getTime()) / 1000),
        timestamp: new Date().toISOString(),
      };
      const err = options.lastLoadError();
      if (err) {
        body.last_load_error = err.message;
        // Serving an older version because the Production one does not load.
        body.serving_stale = s !== undefined;
      }
      return { ok, body };
    },
    modelInfo,
    root() {
      const s = options.served();
      return {
        name: "mlops",
        version: options.version,
        model: s ? { name: s.name, version: String(s.version), stage: s.stage } : null,
        links: {
          predict: "POST /predict",
          health: "/health",
          model_info: "/model-info",
          metrics: "/metrics",
          models: "/v1/models",
          experiments: "/v1/experiments",
          open_inference: "/v2",
          openapi: "/openapi.json",
          docs: "/docs",
          redoc: "/redoc",
        },
      };
    },
    async metrics() {
      const text = options.metricsText ? await options.metricsText() : await options.registry.metrics();
      return { contentType: options.registry.contentType, text };
    },
  };
}
