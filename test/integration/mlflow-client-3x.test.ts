// MLflow 3.x's Python client, replayed request by request: log_model goes through a LoggedModel
// (logged-models create, runs/outputs, metrics tied to the model, the files under the model's own
// folder, finalize), and register_model takes the model from the run's outputs (`models:/<id>`).
// A server without the logged-models endpoints fails log_model with a 404; this one serves them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app/create-app.js";
import { MODEL, seedModel, startTestApp, tempDataDir } from "../helpers/app.js";
import {
  expectedRows,
  type MlflowWire,
  mlflowWire,
  modelFolder,
  proxyPath,
  servedVersion,
} from "../helpers/mlflow.js";

describe("MLflow 3.x client: log_model through a LoggedModel", () => {
  let data: ReturnType<typeof tempDataDir>;
  let app: App;
  let base: string;
  let wire: MlflowWire;
  let experimentId = "";
  let runId = "";
  let modelId = "";
  let version = "";

  beforeAll(async () => {
    data = tempDataDir();
    await seedModel(data.dir, { stage: "Production" });
    app = await startTestApp(data.dir);
    base = `http://127.0.0.1:${app.httpPort}`;
    wire = mlflowWire(base);
    experimentId = (await wire.ok("POST", "experiments/create", { name: "seed-3x" })).experiment_id as string;
    const start = Date.now();
    const { run } = (await wire.ok("POST", "runs/create", {
      experiment_id: experimentId,
      start_time: start,
      tags: [{ key: "mlflow.user", value: "seed" }],
      run_name: "xgb-3x",
    })) as { run: { info: { run_id: string } } };
    runId = run.info.run_id;
    await wire.ok("POST", "runs/log-parameter", { run_id: runId, key: "max_depth", value: "4" });
    await wire.ok("POST", "runs/log-metric", {
      run_id: runId,
      key: "accuracy",
      value: 0.93,
      timestamp: start,
      step: 0,
    });
  });

  afterAll(async () => {
    await app?.close();
    data?.cleanup();
  });

  it("log_model: logged-models create, runs/outputs, metrics with model_id, files, finalize READY", async () => {
    await wire.ok("GET", "runs/get", { run_id: runId });
    const { model } = (await wire.ok("POST", "logged-models", {
      experiment_id: experimentId,
      name: "model",
      source_run_id: runId,
      model_type: "",
      params: [{ key: "max_depth", value: "4" }],
      tags: [{ key: "mlflow.source.name", value: "src/train.py" }],
    })) as { model: { info: Record<string, unknown> } };
    modelId = model.info.model_id as string;
    expect(modelId).toMatch(/^m-[0-9a-f]{32}$/);
    expect(model.info).toMatchObject({
      experiment_id: experimentId,
      source_run_id: runId,
      status: "LOGGED_MODEL_PENDING",
      artifact_uri: `mlflow-artifacts:/${experimentId}/models/${modelId}/artifacts`,
    });
    await wire.ok("POST", "runs/outputs", { run_id: runId, models: [{ model_id: modelId, step: 0 }] });
    const { run } = (await wire.ok("GET", "runs/get", { run_id: runId })) as {
      run: { outputs: { model_outputs: { model_id: string; step: number }[] } };
    };
    expect(run.outputs.model_outputs).toEqual([{ model_id: modelId, step: 0 }]);
    const history = (await wire.ok("GET", "metrics/get-history", {
      run_id: runId,
      metric_key: "accuracy",
    })) as {
      metrics: { value: number; timestamp: number; step: number }[];
    };
    await wire.ok("POST", "runs/log-batch", {
      run_id: runId,
      metrics: history.metrics.map((m) => ({ key: "accuracy", ...m, model_id: modelId })),
    });
    const root = proxyPath(model.info.artifact_uri as string);
    for (const [name, bytes] of modelFolder("xgboost", { runId, modelId })) {
      expect((await wire.put(`${root}/${name}`, bytes)).status, name).toBe(200);
    }
    const finalized = (await wire.ok("PATCH", `logged-models/${modelId}`, {
      model_id: modelId,
      status: "LOGGED_MODEL_READY",
    })) as { model: { info: { status: string } } };
    expect(finalized.model.info.status).toBe("LOGGED_MODEL_READY");
  });

  it("logged-models get, search, tags and params", async () => {
    await wire.ok("PATCH", `logged-models/${modelId}/tags`, { tags: [{ key: "team", value: "ml" }] });
    await wire.ok("POST", `logged-models/${modelId}/params`, { params: [{ key: "eta", value: "0.2" }] });
    const { model } = (await wire.ok("GET", `logged-models/${modelId}`)) as {
      model: { info: { tags: unknown[] }; data: { params: unknown[] } };
    };
    expect(model.info.tags).toContainEqual({ key: "team", value: "ml" });
    expect(model.data.params).toEqual([
      { key: "eta", value: "0.2" },
      { key: "max_depth", value: "4" },
    ]);
    await wire.ok("DELETE", `logged-models/${modelId}/tags/team`);
    const found = (await wire.ok("POST", "logged-models/search", { experiment_ids: [experimentId] })) as {
      models: { info: { model_id: string; tags: unknown[] } }[];
    };
    expect(found.models.map((m) => m.info.model_id)).toEqual([modelId]);
    expect(found.models[0]?.info.tags).not.toContainEqual({ key: "team", value: "ml" });
    const file = await fetch(
      `${base}/ajax-api/2.0/mlflow/logged-models/${modelId}/artifacts/files?artifact_file_path=MLmodel`,
    );
    expect(await file.text()).toContain(`model_id: ${modelId}`);
  });

  it("register_model: the run's folder has no MLmodel, so the model comes from the run's outputs", async () => {
    const created = await wire.call("POST", "registered-models/create", { name: MODEL });
    expect(created.body.error_code).toBe("RESOURCE_ALREADY_EXISTS");
    await wire.ok("GET", "runs/get", { run_id: runId });
    const listing = (await wire.ok("GET", "artifacts/list", { run_id: runId, path: "model" })) as {
      files?: unknown[];
    };
    expect(listing.files ?? []).toEqual([]);
    const { model_version } = (await wire.ok("POST", "model-versions/create", {
      name: MODEL,
      source: `models:/${modelId}`,
      run_id: runId,
      model_id: modelId,
      tags: [],
    })) as { model_version: Record<string, unknown> };
    expect(model_version).toMatchObject({ status: "READY", model_id: modelId, version: "2" });
    version = model_version.version as string;
    const uri = (await wire.ok("GET", "model-versions/get-download-uri", { name: MODEL, version })) as {
      artifact_uri: string;
    };
    expect(uri.artifact_uri).toBe(`mlflow-artifacts:/${experimentId}/models/${modelId}/artifacts`);
  });

  it("set_registered_model_alias and the alias endpoints; then Production serves it", async () => {
    await wire.ok("POST", "registered-models/alias", { name: MODEL, alias: "champion", version });
    const byAlias = (await wire.ok("GET", "registered-models/alias", { name: MODEL, alias: "champion" })) as {
      model_version: { version: string; aliases: string[] };
    };
    expect(byAlias.model_version).toMatchObject({ version, aliases: ["champion"] });
    const { registered_model } = (await wire.ok("GET", "registered-models/get", { name: MODEL })) as {
      registered_model: { aliases: unknown[] };
    };
    expect(registered_model.aliases).toEqual([{ alias: "champion", version }]);
    await wire.ok("POST", "model-versions/transition-stage", {
      name: MODEL,
      version,
      stage: "Production",
      archive_existing_versions: true,
    });
    await servedVersion(base, version);
    const want = expectedRows("xgboost.expected.json.gz");
    const res = await fetch(`${base}/v1/predict:batch`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ features: want.rows.flat(), n_features: 20 }),
    });
    const all = (await res.json()) as {
      predictions: number[];
      probabilities: number[];
      model_version: string;
    };
    expect(all.model_version).toBe(version);
    expect(all.predictions).toEqual(want.predicted);
    const diff = Math.max(
      ...want.proba.map((row, i) => Math.abs((all.probabilities[i * 2 + 1] ?? 0) - (row[1] ?? 0))),
    );
    expect(diff).toBeLessThanOrEqual(1e-6);
    await wire.ok("DELETE", "registered-models/alias", { name: MODEL, alias: "champion" });
    expect(
      (await wire.call("GET", "registered-models/alias", { name: MODEL, alias: "champion" })).status,
    ).toBe(404);
  });
});
