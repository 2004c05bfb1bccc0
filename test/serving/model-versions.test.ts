// ModelManager.version(): any registered version, loaded on first use from the real store and
// artifacts, kept among the most recently used, re-checked against the registry.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClassifierModel } from "../../src/core/model.js";
import { createLogger } from "../../src/observability/logger.js";
import { createModelManager, type ModelManager } from "../../src/serving/model-manager.js";
import { createArtifactStore, createStore, type Store } from "../../src/store/index.js";
import { MODEL, type SeededVersion, seedModel, tempDataDir } from "../helpers/app.js";
import { storeOptionsFor } from "../kit/database.js";

let store: Store;
let cleanup: () => void;
let versions: SeededVersion[];
let loads: number;

function manager(options: { maxOtherVersions?: number; pollIntervalMs?: number } = {}): ModelManager {
  return createModelManager({
    store,
    artifacts: createArtifactStore({ dataDir: dir }),
    modelName: MODEL,
    loadModel: (bytes) => {
      loads++;
      return ClassifierModel.fromBytes(bytes);
    },
    logger: createLogger({ level: "silent" }),
    pollIntervalMs: options.pollIntervalMs ?? 60_000,
    maxOtherVersions: options.maxOtherVersions,
  });
}

let dir: string;

beforeAll(async () => {
  const tmp = tempDataDir();
  dir = tmp.dir;
  cleanup = tmp.cleanup;
  versions = [];
  versions.push(await seedModel(dir, { stage: "Production", seed: 1, nEstimators: 5 }));
  for (const seed of [2, 3, 4]) versions.push(await seedModel(dir, { seed, nEstimators: 5 }));
  store = await createStore(await storeOptionsFor({ dataDir: dir }));
});
afterAll(async () => {
  await store?.close();
  cleanup?.();
});

describe("ModelManager.version", () => {
  it("answers the served version with the served snapshot, and loads another once", async () => {
    loads = 0;
    const m = manager();
    const served = await m.refresh();
    expect(served?.version).toBe(versions[0]?.version);
    expect(await m.version(versions[0]?.version as number)).toBe(served);
    expect(loads).toBe(1);
    const [a, b] = await Promise.all([m.version(2), m.version(2)]);
    expect(a).toBe(b);
    expect(a.version).toBe(2);
    expect(a.stage).toBe("None");
    expect(a.sha256).toBe(versions[1]?.sha256);
    expect(loads).toBe(2);
    expect(await m.version(2)).toBe(a);
    expect(loads).toBe(2);
  });

  it("keeps the most recently used, dropping the oldest past maxOtherVersions", async () => {
    loads = 0;
    const m = manager({ maxOtherVersions: 2 });
    await m.version(2);
    await m.version(3);
    await m.version(2); // 2 is now the most recent
    await m.version(4); // drops 3
    expect(loads).toBe(3);
    await m.version(2);
    expect(loads).toBe(3);
    await m.version(3);
    expect(loads).toBe(4);
  });

  it("re-checks the registry after pollIntervalMs, keeping the model while its artifact is the same", async () => {
    loads = 0;
    const m = manager({ pollIntervalMs: 0 });
    const first = await m.version(3);
    await store.transitionStage(MODEL, 3, "Staging", { archiveExisting: false, actor: "test" });
    const again = await m.version(3);
    expect(loads).toBe(1);
    expect(again.model).toBe(first.model);
    expect(again.stage).toBe("Staging");
  });

  it("rejects a version that is not registered with the store's NOT_FOUND, and keeps no failure", async () => {
    const m = manager();
    await expect(m.version(99)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(m.version(99)).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
