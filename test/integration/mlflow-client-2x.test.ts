// The seed's train.py, as MLflow's Python client 2.x sends it, replayed request by request against a
// real server (PyPI is out of reach here, so the client itself cannot run: this replay is the proof;
// the sequence is mlflow/tracking/fluent.py, rest_store.py and the artifact proxy's repository):
// set_experiment, start_run, log_param, log_metric over steps, mlflow.xgboost.log_model with its
// files through the artifact proxy, register_model, transition_model_version_stage with
// archive_existing_versions, end_run. Then /predict serves the XGBoost model, with XGBoost's own
// probabilities (made by scripts/fixtures/make-mlflow.py with Debian's python3-xgboost).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app/create-app.js";
import { assertBuilt, mlops } from "../cli/helpers.js";
import { MODEL, seedModel, startTestApp, tempDataDir } from "../helpers/app.js";
import {
  expectedRows,
  type MlflowWire,
  mlflowWire,
  modelFolder,
  proxyPath,
  servedVersion,
} from "../helpers/mlflow.js";

const TOKEN = "mlflow-test-token";
const EXPERIMENT = "seed-train";

describe("MLflow 2.x client: the seed's train.py flow", () => {
  let data: ReturnType<typeof tempDataDir>;
  let app: App;
  let base: string;
  let wire: MlflowWire;
  let runId = "";
  let version = "";

  beforeAll(async () => {
    data = tempDataDir();
    await seedModel(data.dir, { stage: "Production" }); // v1, the version the new one replaces
    app = await startTestApp(data.dir, { apiToken: TOKEN });
    base = `http://127.0.0.1:${app.httpPort}`;
    wire = mlflowWire(base, TOKEN);
  });

  afterAll(async () => {
    await app?.close();
    data?.cleanup();
  });

  it("set_experiment: get-by-name answers 404, then create and get", async () => {
    const missing = await wire.call("GET", "experiments/get-by-name", { experiment_name: EXPERIMENT });
    expect(missing.status).toBe(404);
    expect(missing.body.error_code).toBe("RESOURCE_DOES_NOT_EXIST");
    const created = await wire.ok("POST", "experiments/create", { name: EXPERIMENT });
    expect(typeof created.experiment_id).toBe("string");
    const { experiment } = (await wire.ok("GET", "experiments/get", {
      experiment_id: created.experiment_id,
    })) as { experiment: Record<string, unknown> };
    expect(experiment).toMatchObject({
      experiment_id: created.experiment_id,
      name: EXPERIMENT,
      lifecycle_stage: "active",
      artifact_location: `mlflow-artifacts:/${created.experiment_id}`,
    });
  });

  it("start_run, log_param, log_params (log-batch) and log_metric over steps", async () => {
    const { experiment } = (await wire.ok("GET", "experiments/get-by-name", {
      experiment_name: EXPERIMENT,
    })) as { experiment: { experiment_id: string } };
    const start = Date.now();
    const { run } = (await wire.ok("POST", "runs/create", {
      experiment_id: experiment.experiment_id,
      user_id: "seed",
      start_time: start,
      tags: [
        { key: "mlflow.user", value: "seed" },
        { key: "mlflow.source.name", value: "src/train.py" },
        { key: "mlflow.source.type", value: "LOCAL" },
        { key: "mlflow.runName", value: "xgboost-seed" },
      ],
      run_name: "xgboost-seed",
    })) as { run: { info: Record<string, unknown> } };
    runId = run.info.run_id as string;
    expect(run.info).toMatchObject({
      run_uuid: runId,
      status: "RUNNING",
      start_time: start,
      user_id: "seed",
      lifecycle_stage: "active",
      artifact_uri: `mlflow-artifacts:/${experiment.experiment_id}/${runId}/artifacts`,
    });
    for (const [key, value] of [
      ["n_estimators", "60"],
      ["max_depth", "4"],
      ["learning_rate", "0.2"],
    ]) {
      expect(
        await wire.ok("POST", "runs/log-parameter", { run_id: runId, run_uuid: runId, key, value }),
      ).toEqual({});
    }
    await wire.ok("POST", "runs/log-batch", {
      run_id: runId,
      params: [{ key: "objective", value: "binary:logistic" }],
      metrics: [],
      tags: [],
    });
    for (let step = 0; step < 5; step++) {
      await wire.ok("POST", "runs/log-metric", {
        run_id: runId,
        run_uuid: runId,
        key: "train_loss",
        value: 0.6 - step * 0.1,
        timestamp: start + step,
        step,
      });
    }
    await wire.ok("POST", "runs/log-metric", {
      run_id: runId,
      run_uuid: runId,
      key: "accuracy",
      value: 0.93,
      timestamp: start + 10,
      step: 0,
    });
    const history = (await wire.ok("GET", "metrics/get-history", {
      run_id: runId,
      run_uuid: runId,
      metric_key: "train_loss",
    })) as { metrics: { step: number; value: number }[] };
    expect(history.metrics.map((m) => m.step)).toEqual([0, 1, 2, 3, 4]);
  });

  it("mlflow.xgboost.log_model: runs/get, one PUT per file through the artifact proxy, runs/log-model", async () => {
    const { run } = (await wire.ok("GET", "runs/get", { run_id: runId, run_uuid: runId })) as {
      run: { info: { artifact_uri: string } };
    };
    const root = proxyPath(run.info.artifact_uri);
    const files = modelFolder("xgboost", { runId });
    for (const [name, bytes] of files) {
      const put = await wire.put(`${root}/model/${name}`, bytes);
      expect(put.status, name).toBe(200);
    }
    const listing = await fetch(`${base}/api/2.0/mlflow-artifacts/artifacts?path=${root}/model`);
    const listed = (await listing.json()) as {
      files: { path: string; is_dir: boolean; file_size?: number }[];
    };
    expect(listed.files.map((f) => f.path)).toEqual([...files.keys()].sort());
    const back = await fetch(`${base}/api/2.0/mlflow-artifacts/artifacts/${root}/model/model.xgb`);
    expect(
      Buffer.from(await back.arrayBuffer()).equals(Buffer.from(files.get("model.xgb") as Uint8Array)),
    ).toBe(true);
    const modelJson = JSON.stringify({
      artifact_path: "model",
      run_id: runId,
      flavors: { xgboost: { data: "model.xgb" }, python_function: { loader_module: "mlflow.xgboost" } },
    });
    await wire.ok("POST", "runs/log-model", { run_id: runId, model_json: modelJson });
    const after = (await wire.ok("GET", "runs/get", { run_id: runId })) as {
      run: { data: { tags: { key: string; value: string }[] } };
    };
    const history = after.run.data.tags.find((t) => t.key === "mlflow.log-model.history");
    expect(JSON.parse(history?.value ?? "[]")).toHaveLength(1);
  });

  it("register_model: registered-models/create (RESOURCE_ALREADY_EXISTS is caught), runs/get, model-versions/create READY", async () => {
    const exists = await wire.call("POST", "registered-models/create", { name: MODEL });
    expect(exists.status).toBe(400);
    expect(exists.body.error_code).toBe("RESOURCE_ALREADY_EXISTS");
    const { run } = (await wire.ok("GET", "runs/get", { run_id: runId })) as {
      run: { info: { artifact_uri: string } };
    };
    const { model_version } = (await wire.ok("POST", "model-versions/create", {
      name: MODEL,
      source: `${run.info.artifact_uri}/model`,
      run_id: runId,
      tags: [],
    })) as { model_version: Record<string, unknown> };
    // READY at once: the client polls model-versions/get only while PENDING_REGISTRATION.
    expect(model_version).toMatchObject({
      name: MODEL,
      version: "2",
      status: "READY",
      current_stage: "None",
    });
    version = model_version.version as string;
    const got = (await wire.ok("GET", "model-versions/get", { name: MODEL, version })) as {
      model_version: { tags: { key: string; value: string }[] };
    };
    expect(got.model_version.tags).toContainEqual({ key: "mlops.mlflow_flavor", value: "xgboost" });
  });

  it("transition_model_version_stage to Production with archive_existing_versions, then end_run", async () => {
    const { model_version } = (await wire.ok("POST", "model-versions/transition-stage", {
      name: MODEL,
      version,
      stage: "Production",
      archive_existing_versions: true,
    })) as { model_version: Record<string, unknown> };
    expect(model_version.current_stage).toBe("Production");
    const latest = (await wire.ok("POST", "registered-models/get-latest-versions", {
      name: MODEL,
      stages: ["Production", "Archived"],
    })) as { model_versions: { version: string; current_stage: string }[] };
    expect(latest.model_versions.map((v) => [v.version, v.current_stage])).toEqual([
      ["2", "Production"],
      ["1", "Archived"],
    ]);
    const end = Date.now();
    const { run_info } = (await wire.ok("POST", "runs/update", {
      run_id: runId,
      run_uuid: runId,
      status: "FINISHED",
      end_time: end,
    })) as { run_info: Record<string, unknown> };
    expect(run_info).toMatchObject({ status: "FINISHED", end_time: end });
  });

  it("/predict serves the logged XGBoost model with XGBoost's own probabilities", async () => {
    await servedVersion(base, version);
    const want = expectedRows("xgboost.expected.json.gz");
    let maxDiff = 0;
    for (let i = 0; i < want.rows.length; i += 20) {
      const res = await fetch(`${base}/predict`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ features: want.rows[i] }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { prediction: number; probability: number[]; model_version: string };
      expect(body.model_version).toBe(version);
      expect(body.prediction).toBe(want.predicted[i]);
      for (const [k, p] of body.probability.entries()) {
        maxDiff = Math.max(maxDiff, Math.abs(p - (want.proba[i]?.[k] ?? Number.NaN)));
      }
    }
    const batch = await fetch(`${base}/v1/predict:batch`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ features: want.rows.flat(), n_features: 20 }),
    });
    const all = (await batch.json()) as {
      predictions: number[];
      probabilities: number[];
      model_version: string;
    };
    expect(all.model_version).toBe(version);
    expect(all.predictions).toEqual(want.predicted);
    want.proba.forEach((row, i) => {
      for (const [k, p] of row.entries())
        maxDiff = Math.max(maxDiff, Math.abs((all.probabilities[i * 2 + k] ?? 0) - p));
    });
    expect(maxDiff).toBeLessThanOrEqual(1e-6);
  });

  it("the run and the version are the house's: REST API and audit log", async () => {
    const run = (await (await fetch(`${base}/v1/runs/${runId}`)).json()) as {
      run: { params: Record<string, string>; status: string; experiment_id: string };
    };
    expect(run.run.status).toBe("RUN_STATUS_FINISHED");
    expect(run.run.params).toMatchObject({ n_estimators: "60", objective: "binary:logistic" });
    const mv = (await (await fetch(`${base}/v1/models/${MODEL}/versions/${version}`)).json()) as {
      model_version: { run_id: string; stage: string; metrics: Record<string, number> };
    };
    expect(mv.model_version).toMatchObject({ run_id: runId, stage: "STAGE_PRODUCTION" });
    expect(mv.model_version.metrics.accuracy).toBeCloseTo(0.93);
    const audit = (await (await fetch(`${base}/v1/audit-events?name=${MODEL}`)).json()) as {
      events: { version: string; to_stage: string }[];
    };
    expect(audit.events.map((e) => [e.version, e.to_stage])).toContainEqual(["2", "STAGE_PRODUCTION"]);
  });

  it("`mlops runs` and `mlops models` show what MLflow logged", async () => {
    assertBuilt();
    const runs = await mlops(["runs", "list", "--json"], { dataDir: data.dir });
    expect(runs.code, runs.stderr).toBe(0);
    const listed = JSON.parse(runs.stdout) as { runs: { run_id: string; run_name: string }[] };
    expect(listed.runs.map((r) => r.run_id)).toContain(runId);
    const shown = await mlops(["runs", "show", runId], { dataDir: data.dir });
    expect(shown.stdout).toContain("n_estimators");
    expect(shown.stdout).toContain("train_loss");
    const models = await mlops(["models", "describe", MODEL, "--version", version, "--json"], {
      dataDir: data.dir,
    });
    expect(models.code, models.stderr).toBe(0);
    expect(JSON.parse(models.stdout)).toMatchObject({
      model_version: { version, run_id: runId, stage: "STAGE_PRODUCTION" },
    });
  });

  it("mutations need the token, as every other mutation does; reads do not", async () => {
    const anonymous = mlflowWire(base);
    const denied = await anonymous.call("POST", "runs/set-tag", { run_id: runId, key: "k", value: "v" });
    expect(denied.status).toBe(401);
    expect(denied.body.error_code).toBe("UNAUTHENTICATED");
    const put = await anonymous.put("0/x/artifacts/f.txt", new Uint8Array([1]));
    expect(put.status).toBe(401);
    expect((await anonymous.call("GET", "runs/get", { run_id: runId })).status).toBe(200);
  });
});
