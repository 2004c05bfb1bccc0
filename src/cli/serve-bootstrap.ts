import { type Config, storeOptionsOf } from "../config/config.js";
import type { Logger } from "../observability/logger.js";
import { createArtifactStore, createStore } from "../store/index.js";
import { trainAndRegister } from "../workflows/train-and-register.js";

/**
 * On a data directory where the served model has no versions at all, trains the quick-start model
 * (GBDT on the built-in synthetic set) and promotes it to Production, so `npm start` answers
 * `/predict` at once. A model that has versions but none in Production is left alone: that is a
 * user's decision, not an empty directory.
 */
export async function bootstrapIfEmpty(config: Config, logger: Logger): Promise<boolean> {
  const store = await createStore(storeOptionsOf(config));
  try {
    const existing = await store.searchModelVersions({ name: config.modelName, limit: 1 });
    if (existing.items.length > 0) return false;
    logger.info(
      { model: config.modelName, dataDir: config.dataDir },
      "bootstrap: no versions of the served model in this data directory; training a default GBDT on the synthetic set and promoting it to Production (--no-bootstrap turns this off)",
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
