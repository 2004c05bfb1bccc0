// trainAndRegister in-process, against a real SQLite store and artifact store in a temp directory.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { splitRows } from "../../src/core/data/split.js";
import { makeClassification } from "../../src/core/data/synthetic.js";
import { classificationReport } from "../../src/core/metrics.js";
import { ClassifierModel } from "../../src/core/model.js";
import { type ArtifactStore, createArtifactStore, createStore, type Store } from "../../src/store/index.js";
import { DEFAULT_SYNTHETIC, describeDataSource, resolveDataSource } from "../../src/workflows/data-source.js";
import { METRIC_KEYS, toRunParams } from "../../src/workflows/run-record.js";
import {
  defaultActor,
  TRAIN_DEFAULTS,
  type TrainAndRegisterOptions,
  trainAndRegister,
} from "../../src/workflows/train-and-register.js";
import { DATASET } from "../helpers/dataset.js";
import { storeOptionsFor } from "../kit/database.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Small enough to train in milliseconds, large enough for every metric to be defined. */
const SMALL = { kind: "synthetic", options: { nSamples: 600, seed: 7 } } as const;

async function setup() {
  const dataDir = await mkdtemp(join(tmpdir(), "mlops-workflow-"));
  const store: Store = await createStore(await storeOptionsFor({ dataDir }));
  cleanups.push(
    () => rm(dataDir, { recursive: true, force: true }),
    () => store.close(),
  );
  const artifacts = createArtifactStore({ dataDir });
  const base = (extra: Partial<TrainAndRegisterOptions> = {}): TrainAndRegisterOptions => ({
    store,
    artifacts,
    data: SMALL,
    train: { model: "gbdt", nEstimators: 5 },
    ...extra,
  });
  const allRuns = async () =>
    (await store.searchRuns({ experimentIds: (await store.listExperiments()).map((e) => e.id) })).items;
  return { dataDir, store, artifacts, base, allRuns };
}

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: Error & { code?: string }) => e,
  );
}

describe("trainAndRegister", () => {
  it("trains on the first 80%, logs the held-out metrics and params, stores the artifact, registers v1", async () => {
    const { store, artifacts, base } = await setup();
    const phases: string[] = [];
    const progress: [number, number][] = [];
    const result = await trainAndRegister(
      base({ onPhase: (p) => phases.push(p), onProgress: (d, t) => progress.push([d, t]) }),
    );

    expect(phases).toEqual(["load", "train", "evaluate", "register"]);
    expect(progress.at(-1)).toEqual([5, 5]);
    expect(result).toMatchObject({
      experimentId: "0",
      experimentName: "Default",
      modelName: "ml_classifier",
      version: 1,
      stage: "None",
      nTrain: 480,
      nTest: 120,
      archivedVersions: [],
    });

    // The metrics are the held-out rows' metrics of the stored model, not of anything else.
    const bytes = await artifacts.get(result.artifactSha256);
    expect(bytes.byteLength).toBe(result.artifactBytes);
    const reloaded = ClassifierModel.fromBytes(bytes);
    const { test } = splitRows(makeClassification({ ...DEFAULT_SYNTHETIC, nSamples: 600, seed: 7 }));
    const r = classificationReport(test.y, reloaded.predictProba(test.x, test.nRows), reloaded.nClasses);
    expect(result.metrics).toEqual({
      accuracy: r.accuracy,
      precision: r.precision,
      recall: r.recall,
      f1: r.f1,
      roc_auc: r.rocAuc,
      log_loss: r.logLoss,
    });

    const run = await store.getRun(result.runId);
    expect(run.status).toBe("FINISHED");
    expect(run.endTimeMs).not.toBeNull();
    expect(run.artifactSha256).toBe(result.artifactSha256);
    expect(Object.fromEntries(run.metrics.map((m) => [m.key, m.value]))).toEqual(result.metrics);
    expect(run.params).toEqual(result.params);
    expect(run.params).toMatchObject({
      model: "gbdt",
      n_estimators: "5",
      max_depth: "6",
      learning_rate: "0.1",
      test_fraction: "0.2",
      n_rows: "600",
      n_features: "20",
      data_source: "synthetic:n_samples=600,n_features=20,seed=7",
    });
    expect(run.tags).toMatchObject({
      "mlops.source": "cli",
      "mlops.data": "synthetic:n_samples=600,n_features=20,seed=7",
      "mlops.model_version": "ml_classifier/1",
    });

    const version = await store.getModelVersion("ml_classifier", 1);
    expect(version).toMatchObject({ runId: run.id, artifactSha256: result.artifactSha256, stage: "None" });
    expect(version.description).toMatch(/^gbdt trained on the synthetic set; held-out ROC AUC 0\.\d{4}$/);
  });

  it("numbers versions per model, reuses the experiment, and promotes with archive_existing", async () => {
    const { store, base } = await setup();
    const first = await trainAndRegister(base({ experiment: "exp-a", runName: "first", promote: "staging" }));
    const second = await trainAndRegister(
      base({ experiment: "exp-a", promote: "Staging", actor: "ada", promoteComment: "better" }),
    );
    expect([first.version, second.version]).toEqual([1, 2]);
    expect(first.runName).toBe("first");
    expect(second.experimentId).toBe(first.experimentId);
    expect(first.experimentId).not.toBe("0");
    expect([first.stage, second.stage]).toEqual(["Staging", "Staging"]);
    expect(second.archivedVersions).toEqual([1]);
    expect((await store.getModelVersion("ml_classifier", 1)).stage).toBe("Archived");

    const audit = await store.listAuditEvents({ name: "ml_classifier" });
    expect(audit[0]).toMatchObject({ actor: "ada", comment: "better" });
    expect(audit.find((e) => e.version === 1 && e.to === "Staging")?.actor).toBe(defaultActor("cli"));

    // "None" is where a new version already is: no transition, no audit event, no error.
    const third = await trainAndRegister(base({ modelName: "other", promote: "none" }));
    expect(third).toMatchObject({ modelName: "other", version: 1, stage: "None" });
    expect(await store.listAuditEvents({ name: "other" })).toEqual([]);
  });

  it("trains from a CSV file with the named target", async () => {
    const { store, base } = await setup();
    const path = DATASET;
    const result = await trainAndRegister(
      base({ data: { kind: "csv", path }, train: { model: "logreg" }, testFraction: 0.25 }),
    );
    expect([result.nTrain, result.nTest]).toEqual([7500, 2500]);
    expect(result.metrics.roc_auc).toBeGreaterThan(0.8);
    expect((await store.getRun(result.runId)).params).toMatchObject({
      model: "logreg",
      data_source: `csv:${path}#label`,
      n_rows: "10000",
      test_fraction: "0.25",
    });
  });

  it("marks the run FAILED and rethrows when a step after training fails; nothing is registered", async () => {
    const { store, base } = await setup();
    const broken: Pick<ArtifactStore, "put"> = {
      put: async () => {
        throw Object.assign(new Error("disk full"), { code: "ENOSPC" });
      },
    };
    const error = await rejection(trainAndRegister(base({ artifacts: broken })));
    expect(error.code).toBe("ENOSPC");
    const run = (await store.searchRuns({ experimentIds: ["0"] })).items[0]!;
    expect(run.status).toBe("FAILED");
    expect(run.endTimeMs).not.toBeNull();
    expect(run.tags["mlops.error"]).toBe("disk full");
    expect(run.metrics.map((m) => m.key).sort()).toEqual([...METRIC_KEYS].sort());
    expect((await store.searchModelVersions({ name: "ml_classifier" })).items).toEqual([]);
  });

  it("marks the run KILLED when aborted during training", async () => {
    const { store, base } = await setup();
    const controller = new AbortController();
    const error = await rejection(
      trainAndRegister(
        base({
          train: { model: "gbdt", nEstimators: 100_000 },
          signal: controller.signal,
          onProgress: () => controller.abort(),
        }),
      ),
    );
    expect(error.code).toBe("ERR_TRAIN_CANCELLED");
    const run = (await store.searchRuns({ experimentIds: ["0"] })).items[0]!;
    expect(run.status).toBe("KILLED");
    expect(run.tags["mlops.error"]).toBeUndefined();
    expect((await store.searchModelVersions({ name: "ml_classifier" })).items).toEqual([]);
  });

  it("rejects bad options and bad data before creating any run", async () => {
    const { base, allRuns } = await setup();
    const cases: [Partial<TrainAndRegisterOptions>, string][] = [
      [{ train: { model: "logreg", nEstimators: 5 } }, "ERR_TRAIN_INVALID"],
      [{ promote: "Live" }, "INVALID_ARGUMENT"],
      [{ data: { kind: "csv", path: "/nonexistent/x.csv" } }, "ENOENT"],
      [{ data: { kind: "synthetic", options: { nSamples: 600, nClasses: 0 } } }, "ERR_DATA"],
      [{ testFraction: 1 }, "ERR_DATA"],
      [
        { data: { kind: "synthetic", options: { nSamples: 4, nClustersPerClass: 1 } }, testFraction: 0.1 },
        "ERR_DATA",
      ],
    ];
    for (const [extra, code] of cases) {
      const error = await rejection(trainAndRegister(base(extra)));
      expect(error.code, JSON.stringify(extra)).toBe(code);
    }
    const aborted = new AbortController();
    aborted.abort();
    expect((await rejection(trainAndRegister(base({ signal: aborted.signal })))).name).toBe("AbortError");
    expect(await allRuns()).toEqual([]);
  });

  it("a bad target column is a data error that names it", async () => {
    const { base } = await setup();
    const path = DATASET;
    const error = await rejection(trainAndRegister(base({ data: { kind: "csv", path, target: "y" } })));
    expect(error).toMatchObject({ code: "ERR_DATA", column: "y" });
  });
});

describe("defaults and records", () => {
  it("documents its defaults", () => {
    expect(TRAIN_DEFAULTS).toEqual({
      modelName: "ml_classifier",
      experiment: "Default",
      testFraction: 0.2,
      source: "cli",
    });
    expect(DEFAULT_SYNTHETIC).toEqual({ nSamples: 5000, nFeatures: 20, seed: 42 });
    expect(resolveDataSource()).toEqual({ kind: "synthetic", options: DEFAULT_SYNTHETIC });
    expect(resolveDataSource({ kind: "csv", path: "x.csv" })).toEqual({
      kind: "csv",
      path: join(process.cwd(), "x.csv"),
      target: "label",
      categoricalTarget: false,
    });
    expect(describeDataSource(resolveDataSource())).toBe("synthetic:n_samples=5000,n_features=20,seed=42");
    expect(defaultActor("cli")).toMatch(/^cli:.+/);
  });

  it("flattens resolved options into snake_case string params", () => {
    expect(
      toRunParams(
        { model: "rf", nEstimators: 10, maxFeatures: "sqrt", skip: undefined, list: [1, 2] },
        { n_rows: "9" },
      ),
    ).toEqual({ model: "rf", n_estimators: "10", max_features: "sqrt", list: "1,2", n_rows: "9" });
  });
});
