import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type App, type AppOptions, createApp } from "../../src/app/create-app.js";
import { type Config, type ConfigOverrides, loadConfig } from "../../src/config/config.js";
import { makeClassification } from "../../src/core/data/synthetic.js";
import type { ClassifierModel } from "../../src/core/model.js";
import { train } from "../../src/core/train.js";
import { createLogger } from "../../src/observability/logger.js";
import { createArtifactStore, createStore } from "../../src/store/index.js";
import { databaseUrlFor, storeOptionsFor } from "../kit/database.js";

export const MODEL = "ml_classifier";

/** A fresh data directory, removed by the returned cleanup. */
export function tempDataDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "mlops-test-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface SeededVersion {
  version: number;
  sha256: string;
  bytes: Uint8Array;
  model: ClassifierModel;
}

/** Trains a small GBDT on synthetic data and registers it (optionally promoted) straight through the store. */
export async function seedModel(
  dataDir: string,
  options: {
    stage?: string;
    seed?: number;
    nEstimators?: number;
    name?: string;
    /** Store the artifact there (an MLOPS_ARTIFACT_URL) instead of the data directory. */
    artifactUrl?: string;
  } = {},
): Promise<SeededVersion> {
  const ds = makeClassification({ nSamples: 1500, nFeatures: 20, seed: options.seed ?? 7 });
  const model = await train(ds, {
    model: "gbdt",
    nEstimators: options.nEstimators ?? 20,
    maxDepth: 4,
    seed: 1,
  });
  const bytes = model.toBytes();
  const store = await createStore(await storeOptionsFor({ dataDir }));
  try {
    const artifacts = createArtifactStore({ dataDir, url: options.artifactUrl });
    const { sha256 } = await artifacts.put(bytes).finally(() => artifacts.close());
    const name = options.name ?? MODEL;
    try {
      await store.createRegisteredModel({ name });
    } catch (err) {
      if ((err as { code?: string }).code !== "ALREADY_EXISTS") throw err;
    }
    const mv = await store.createModelVersion({ name, artifactSha256: sha256 });
    if (options.stage)
      await store.transitionStage(name, mv.version, options.stage, { archiveExisting: true, actor: "test" });
    return { version: mv.version, sha256, bytes, model };
  } finally {
    await store.close();
  }
}

/** The app on loopback, ephemeral ports, quiet logs, no polling unless asked. */
export async function startTestApp(
  dataDir: string,
  overrides: ConfigOverrides = {},
  pollIntervalMs = 0,
  app: Pick<AppOptions, "leanConnect"> = {},
): Promise<App> {
  const config: Config = loadConfig(
    {
      dataDir,
      databaseUrl: await databaseUrlFor(dataDir),
      host: "127.0.0.1",
      httpPort: 0,
      grpcPort: 0,
      shutdownTimeoutS: 2,
      ...overrides,
    },
    {},
  );
  return createApp({ config, logger: createLogger({ level: "silent" }), pollIntervalMs, ...app });
}

/** A row of 20 features, deterministic per index. */
export function row(i: number, n = 20): number[] {
  const out: number[] = [];
  for (let j = 0; j < n; j++) out.push(Math.sin(i * 7.1 + j * 1.3) * 3);
  return out;
}
