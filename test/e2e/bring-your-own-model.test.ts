import { copyFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app/create-app.js";
import { PredictBatchRequestSchema, PredictService } from "../../src/gen/mlops/v1/predict_pb.js";
import { RegistryService } from "../../src/gen/mlops/v1/registry_pb.js";
import { assertBuilt, mlops } from "../cli/helpers.js";
import { startTestApp, tempDataDir } from "../helpers/app.js";
import { connectClient, getJson, grpcClient, postJson } from "../helpers/clients.js";
import { expected, FIXTURES } from "../models/fixture-data.js";

/**
 * The "done when": a model saved by XGBoost, one by LightGBM and one by scikit-learn through
 * ONNX are each imported with one CLI line, promoted, and served over REST, gRPC and Connect with
 * probabilities equal to the origin's within 1e-6 (the origin's own predictions, committed beside
 * the fixtures; LightGBM's from real LightGBM 4.7.0, scripts/fixtures/make-lightgbm.py).
 */

const cases = [
  {
    file: "xgboost/binary-logistic.json",
    name: "churn_xgb",
    expect: "xgboost/binary-logistic.expected.json.gz",
    format: "xgboost",
  },
  {
    file: "onnx/forest-strings.onnx",
    name: "iris_sklearn",
    expect: "onnx/forest-strings.expected.json.gz",
    format: "onnx",
  },
  {
    file: "lightgbm/real/binary.txt",
    name: "risk_lgbm",
    expect: "lightgbm/real/binary.expected.json.gz",
    format: "lightgbm",
  },
] as const;

describe("bring your own model: one CLI line each, then served on every transport", () => {
  const tmp = tempDataDir();
  const apps: App[] = [];
  beforeAll(() => assertBuilt());
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    tmp.cleanup();
  });

  for (const c of cases) {
    it(`${c.format}: mlops models import ${c.file} --name ${c.name} --promote Production`, async () => {
      const file = join(tmp.dir, c.file.split("/").pop()!);
      copyFileSync(new URL(c.file, FIXTURES), file);
      const res = await mlops(["models", "import", file, "--name", c.name, "--promote", "Production"], {
        dataDir: tmp.dir,
        timeoutMs: 120_000,
      });
      expect(res.stderr).toBe("");
      expect(res.code).toBe(0);
      expect(res.stdout).toMatch(new RegExp(`format:\\s+${c.format}`));
      expect(res.stdout).toMatch(/objective:\s+\S+/);
      expect(res.stdout).toMatch(/trees:\s+\d+/);
      expect(res.stdout).toMatch(/features:\s+\d+/);
      expect(res.stdout).toMatch(/classes:\s+\S+/);
      expect(res.stdout).toContain(`registered ${c.name} v1 → Production`);

      const app = await startTestApp(tmp.dir, { modelName: c.name, allowMissing: true });
      apps.push(app);
      const info = await getJson(app.httpPort, "/model-info");
      expect(info.body.model_name).toBe(c.name);

      const want = expected(c.expect);
      const nf = want.nFeatures;
      const nc = want.proba[0]!.length;
      const labels = info.body.class_labels as (string | number)[];
      // REST /predict (null is a missing value), row by row for the first 200 rows.
      for (let r = 0; r < 200; r++) {
        const row = Array.from(want.rows.subarray(r * nf, (r + 1) * nf), (v) => (Number.isNaN(v) ? null : v));
        const rest = await postJson(app.httpPort, "/predict", { features: row });
        expect(rest.status).toBe(200);
        const p = rest.body.probability as number[];
        for (let k = 0; k < nc; k++) expect(Math.abs(p[k]! - want.proba[r]![k]!)).toBeLessThanOrEqual(1e-6);
        expect(rest.body.prediction).toBe(labels[want.predicted[r]!]);
      }
      // Connect and gRPC: every row in one packed batch (NaN is the missing value).
      const features = Array.from(want.rows);
      const connect = connectClient(PredictService, app.httpPort);
      const viaConnect = await connect.predictBatch({ features, nFeatures: nf });
      const grpc = grpcClient(PredictService, app.grpcPort);
      let viaGrpc: { probabilities: number[]; labels: string[] };
      try {
        viaGrpc = await grpc.call(
          "predictBatch",
          create(PredictBatchRequestSchema, { features, nFeatures: nf }),
        );
      } finally {
        grpc.close();
      }
      for (const got of [viaConnect.probabilities, viaGrpc.probabilities]) {
        let max = 0;
        for (let r = 0; r < want.nRows; r++) {
          for (let k = 0; k < nc; k++) max = Math.max(max, Math.abs(got[r * nc + k]! - want.proba[r]![k]!));
        }
        expect(max).toBeLessThanOrEqual(1e-6);
      }
      expect(viaConnect.labels.slice(0, 50)).toEqual(
        want.predicted.slice(0, 50).map((k) => String(labels[k])),
      );
    }, 180_000);
  }

  it("the version records its import: run params, origin file kept beside the artifact, describe shows classes", async () => {
    const res = await mlops(["models", "describe", "iris_sklearn", "--version", "1"], { dataDir: tmp.dir });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/classes:\s+\["setosa","versicolor","virginica"\]/);
    expect(res.stdout).toContain("mlops.origin_sha256");
    const runs = await mlops(["runs", "list", "--json"], { dataDir: tmp.dir });
    expect(runs.code).toBe(0);
    expect(runs.stdout).toContain('"origin_format"');
    expect(runs.stdout).toContain('"import"');
  });

  it("export: a trained model and an imported one as ONNX, scored by onnxruntime within 1e-6", async () => {
    const train = await mlops(
      ["train", "--model-name", "trained", "--n-estimators", "20", "--promote", "Production"],
      {
        dataDir: tmp.dir,
        timeoutMs: 120_000,
      },
    );
    expect(train.code).toBe(0);
    for (const [name, nf] of [
      ["trained", 20],
      ["churn_xgb", 6],
    ] as const) {
      const out = join(tmp.dir, `${name}.onnx`);
      const res = await mlops(["models", "export", name, "1", "--format", "onnx", "--output", out], {
        dataDir: tmp.dir,
      });
      expect(res.code, res.stderr).toBe(0);
      const session = await ort.InferenceSession.create(readFileSync(out));
      const rows = new Float64Array(300 * nf).map((_, i) => Math.sin(i * 0.37) * 2);
      const app = await startTestApp(tmp.dir, { modelName: name });
      apps.push(app);
      const connect = connectClient(PredictService, app.httpPort);
      // The served version is Production; the trained one is v1 in None, so compare through the API's scorer.
      const ours =
        name === "trained"
          ? undefined
          : await connect.predictBatch({ features: Array.from(rows), nFeatures: nf });
      const theirs = (await session.run({ input: new ort.Tensor("float64", rows, [300, nf]) })).probabilities!
        .data as Float32Array;
      if (ours) {
        let max = 0;
        for (let i = 0; i < theirs.length; i++)
          max = Math.max(max, Math.abs(ours.probabilities[i]! - theirs[i]!));
        expect(max).toBeLessThanOrEqual(1e-6);
      }
      await session.release();
    }
  }, 180_000);

  it("a model file far above 4 MB imports over gRPC, Connect and REST (MLOPS_MAX_IMPORT_BYTES)", async () => {
    // The 30-tree fixture with its trees repeated to 4,000: a real XGBoost document of ~7 MB.
    const doc = JSON.parse(readFileSync(new URL("xgboost/binary-logistic.json", FIXTURES), "utf8"));
    const model = doc.learner.gradient_booster.model;
    const trees = Array.from({ length: 4000 }, (_, i) => ({ ...model.trees[i % 30], id: i }));
    model.trees = trees;
    model.tree_info = trees.map(() => 0);
    model.gbtree_model_param.num_trees = String(trees.length);
    const big = new TextEncoder().encode(JSON.stringify(doc));
    expect(big.length).toBeGreaterThan(6 * 1024 * 1024);
    const app = await startTestApp(tmp.dir, {});
    apps.push(app);
    const { ImportModelVersionRequestSchema } = await import("../../src/gen/mlops/v1/registry_pb.js");
    const grpc = grpcClient(RegistryService, app.grpcPort);
    try {
      const res = await grpc.call<{ nTrees: number }>(
        "importModelVersion",
        create(ImportModelVersionRequestSchema, { name: "big_grpc", content: big }),
      );
      expect(res.nTrees).toBe(4000);
    } finally {
      grpc.close();
    }
    const connect = connectClient(RegistryService, app.httpPort);
    expect((await connect.importModelVersion({ name: "big_connect", content: big })).nTrees).toBe(4000);
    const rest = await postJson(app.httpPort, "/v1/models/big_rest/versions:import", {
      content: Buffer.from(big).toString("base64"),
    });
    expect(rest.status).toBe(200);
    // Other routes keep their own limit.
    const predict = await postJson(app.httpPort, "/v1/predict:batch", {
      features: new Array(3_000_000).fill(0.5),
      n_features: 6,
    });
    expect(predict.status).toBe(400);
    expect(String(predict.body.message)).toMatch(/MLOPS_MAX_BODY_BYTES/);
  }, 180_000);

  it("ImportModelVersion over REST, Connect and gRPC", async () => {
    const app = await startTestApp(tmp.dir, {});
    apps.push(app);
    const bytes = readFileSync(new URL("onnx/boosting-binary.onnx", FIXTURES));
    const rest = await postJson(app.httpPort, "/v1/models/api_rest/versions:import", {
      content: bytes.toString("base64"),
      format: "auto",
    });
    expect(rest.status, JSON.stringify(rest.body)).toBe(200);
    expect(rest.body).toMatchObject({ format: "onnx", n_features: 5, classes: ["0", "1"] });
    const connect = connectClient(RegistryService, app.httpPort);
    const viaConnect = await connect.importModelVersion({
      name: "api_connect",
      content: bytes,
      format: "onnx",
    });
    expect(viaConnect.modelVersion?.version).toBe("1");
    const grpc = grpcClient(RegistryService, app.grpcPort);
    try {
      const { ImportModelVersionRequestSchema } = await import("../../src/gen/mlops/v1/registry_pb.js");
      const viaGrpc = await grpc.call<{ objective: string; originSha256: string }>(
        "importModelVersion",
        create(ImportModelVersionRequestSchema, { name: "api_grpc", content: bytes }),
      );
      expect(viaGrpc.objective).toBe("TreeEnsembleClassifier LOGISTIC");
      expect(viaGrpc.originSha256).toMatch(/^[0-9a-f]{64}$/);
      // A malformed file: INVALID_ARGUMENT naming the format.
      await expect(
        grpc.call(
          "importModelVersion",
          create(ImportModelVersionRequestSchema, { name: "x", content: new Uint8Array([8, 1, 2]) }),
        ),
      ).rejects.toMatchObject({ code: 3 });
    } finally {
      grpc.close();
    }
    const bad = await postJson(app.httpPort, "/v1/models/x/versions:import", {
      content: Buffer.from("{}").toString("base64"),
    });
    expect(bad.status).toBe(400);
  });
});
