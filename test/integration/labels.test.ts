import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it } from "vitest";
import type { App } from "../../src/app/create-app.js";
import { DataError } from "../../src/core/data/dataset.js";
import { PredictRequestSchema, PredictService } from "../../src/gen/mlops/v1/predict_pb.js";
import { createArtifactStore, createStore, type Store } from "../../src/store/index.js";
import { trainAndRegister } from "../../src/workflows/train-and-register.js";
import { startTestApp, tempDataDir } from "../helpers/app.js";
import { connectClient, getJson, grpcClient, postJson } from "../helpers/clients.js";
import { storeOptionsFor } from "../kit/database.js";

/**
 * Issue 9, "Class labels are kept, never silently renamed": a CSV's labels are stored with the model
 * (artifact, registry, run params) and /predict answers them, as scikit-learn's predict does.
 */

const apps: App[] = [];
const stores: Store[] = [];
const cleanups: Array<() => void> = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
  await Promise.all(stores.splice(0).map((s) => s.close()));
  for (const c of cleanups.splice(0)) c();
});

/** 400 rows, 3 features; the class is decided by the first feature's sign, then named by `names`. */
function writeCsv(dir: string, names: readonly string[]): string {
  const lines = ["a,b,c,target"];
  for (let i = 0; i < 400; i++) {
    const a = Math.sin(i * 1.7) * 3;
    const k = a < -1 ? 0 : a < 1 ? 1 : 2;
    lines.push(`${a},${Math.cos(i)},${i % 7},${names[k % names.length]}`);
  }
  const path = join(dir, "data.csv");
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

async function trainServe(names: readonly string[], categoricalTarget = false) {
  const tmp = tempDataDir();
  cleanups.push(tmp.cleanup);
  const store = await createStore(await storeOptionsFor({ dataDir: tmp.dir }));
  stores.push(store);
  const result = await trainAndRegister({
    store,
    artifacts: createArtifactStore({ dataDir: tmp.dir }),
    data: { kind: "csv", path: writeCsv(tmp.dir, names), target: "target", categoricalTarget },
    train: { model: "gbdt", nEstimators: 10, maxDepth: 3 },
    promote: "Production",
  });
  const app = await startTestApp(tmp.dir, { allowMissing: true });
  apps.push(app);
  return { store, result, app };
}

describe("class labels from a CSV", () => {
  it("string labels: stored, listed and answered as strings on REST, gRPC and Connect", async () => {
    const { store, result, app } = await trainServe(["no", "maybe", "yes"]);
    expect(result.model.info.classLabels).toEqual({ kind: "string", values: ["maybe", "no", "yes"] });
    expect(result.params.class_labels).toBe('["maybe","no","yes"]');
    expect((await store.getRun(result.runId)).params.class_labels).toBe('["maybe","no","yes"]');
    const version = await store.getModelVersion("ml_classifier", result.version);
    expect(version.tags["mlops.class_labels"]).toBe('["maybe","no","yes"]');

    const info = await getJson(app.httpPort, "/model-info");
    expect(info.body.class_labels).toEqual(["maybe", "no", "yes"]);

    // a = 2.5 is class "yes" (index 2), a = -2.5 "no" (index 1).
    for (const [a, label, index] of [
      [2.5, "yes", 2],
      [-2.5, "no", 1],
    ] as const) {
      const rest = await postJson(app.httpPort, "/predict", { features: [a, 0, 1] });
      expect(rest.status).toBe(200);
      expect(rest.body.prediction).toBe(label);
      expect(Object.keys(rest.body).slice(0, 4)).toEqual([
        "prediction",
        "probability",
        "model_version",
        "timestamp",
      ]);
      // The compiled path (a model selector in the body) answers the same JSON.
      const selected = await postJson(app.httpPort, "/predict", {
        features: [a, 0, 1],
        model_name: "ml_classifier",
      });
      expect(selected.body.prediction).toBe(label);

      const grpc = grpcClient(PredictService, app.grpcPort);
      try {
        const res = await grpc.call<{ prediction: number; label: string }>(
          "predict",
          create(PredictRequestSchema, { features: [a, 0, 1] }),
        );
        expect(res.prediction).toBe(index);
        expect(res.label).toBe(label);
      } finally {
        grpc.close();
      }
      const connect = connectClient(PredictService, app.httpPort);
      const one = await connect.predict({ features: [a, 0, 1] });
      expect([one.prediction, one.label]).toEqual([index, label]);
    }
    const connect = connectClient(PredictService, app.httpPort);
    const batch = await connect.predictBatch({ features: [2.5, 0, 1, -2.5, 0, 1, 0, 0, 1], nFeatures: 3 });
    expect(batch.labels).toEqual(["yes", "no", "maybe"]);
    expect(batch.predictions).toEqual([2, 1, 0]);
    const modelInfo = await connect.getModelInfo({});
    expect(modelInfo.classLabels).toEqual(["maybe", "no", "yes"]);
    expect(modelInfo.classLabelKind).toBe("string");

    // null is a missing value on REST when missing values are allowed.
    const missing = await postJson(app.httpPort, "/predict", { features: [2.5, null, 1] });
    expect(missing.status).toBe(200);
    expect(missing.body.prediction).toBe("yes");
  });

  it("integer labels 1/2/3 are answered as numbers, not renumbered", async () => {
    const { result, app } = await trainServe(["1", "2", "3"]);
    expect(result.model.info.classLabels).toEqual({ kind: "int64", values: [1, 2, 3] });
    const rest = await postJson(app.httpPort, "/predict", { features: [2.5, 0, 1] });
    expect(rest.body.prediction).toBe(3);
    const text = await fetch(`http://127.0.0.1:${app.httpPort}/predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ features: [-2.5, 0, 1] }),
    }).then((r) => r.text());
    expect(text.startsWith('{"prediction":1,')).toBe(true);
  });

  it("labels 0..K-1 keep the seed's JSON and store no labels", async () => {
    const { result, app } = await trainServe(["0", "1", "2"]);
    expect(result.model.info.classLabels.kind).toBe("none");
    expect(result.params.class_labels).toBe("[0,1,2]");
    const rest = await postJson(app.httpPort, "/predict", { features: [2.5, 0, 1] });
    expect(rest.body.prediction).toBe(2);
  });

  it("a continuous-looking target is refused, naming the column, unless declared categorical", async () => {
    await expect(trainServe(["0.5", "1.5", "2.5"])).rejects.toSatisfy(
      (e) =>
        e instanceof DataError &&
        e.column === "target" &&
        /continuous/.test(e.message) &&
        /--categorical-target/.test(e.message),
    );
    const { result, app } = await trainServe(["0.5", "1.5", "2.5"], true);
    expect(result.model.info.classLabels).toEqual({ kind: "float64", values: [0.5, 1.5, 2.5] });
    const rest = await postJson(app.httpPort, "/predict", { features: [2.5, 0, 1] });
    expect(rest.body.prediction).toBe(2.5);
  });
});
