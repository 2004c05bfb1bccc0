import { type Config, storeOptionsOf } from "../config/config.js";
import type { Logger } from "../observability/logger.js";
import { createArtifactStore, createStore } from "../store/index.js";
import { trainAndRegister } from "../workflows/train-and-register.js";

/**
 * On a data directory that holds no registered model at all, trains the quick-start model (GBDT on
 * the built-in synthetic set) and promotes it to Production, so `npm start` answers `/predict` at
 * once. A directory with any model is left alone: a model with versions but none in Production is
 * a user's decision, and a served name that is not registered beside others is likely a typo'd
 * `--model-name` (the server answers 503 naming the models that exist).
 */
export async function bootstrapIfEmpty(config: Config, logger: Logger): Promise<boolean> {
  const store = await createStore(storeOptionsOf(config));
  try {
    const existing = await store.listRegisteredModels({ limit: 1 });
    if (existing.items.length > 0) return false;
    logger.info(
      { model: config.modelName, dataDir: config.dataDir },
      "bootstrap: no registered model in this data directory; training a default GBDT on the synthetic set and promoting it to Production (--no-bootstrap turns this off)",
    );
    const artifacts = createArtifactStore({ dataDir: config.dataDir, url: config.artifactUrl });
    const result = await trainAndRegister({
      store,
      artifacts,
      modelName: config.modelName,
      data: { kind: "synthetic" },
      train: { model: "gbdt" },
      promote: "Production",
      source: "bootstrap",
      actor: "bootstrap",
      logger,
    }).finally(() => artifacts.close());
    logger.info(
      { model: config.modelName, version: result.version, runId: result.runId, metrics: result.metrics },
      `bootstrap: ${config.modelName} v${result.version} trained and promoted to Production`,
    );
    return true;
  } finally {
    await store.close();
  }
}
