// The bad-input matrix of the MLflow API, every answer in MLflow's error shape with MLflow's code and
// status; and a flavor mlops cannot load (a pickled scikit-learn model): tracked and registered like
// any other, refused for Production with FAILED_PRECONDITION while the served model stays.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app/create-app.js";
import { MODEL, seedModel, startTestApp, tempDataDir } from "../helpers/app.js";
import { type Exchange, type MlflowWire, mlflowWire, modelFolder, proxyPath } from "../helpers/mlflow.js";

function expectError(ex: Exchange, status: number, code: string): void {
  expect(ex.status, JSON.stringify(ex.body)).toBe(status);
  expect(Object.keys(ex.body).sort()).toEqual(["error_code", "message"]);
  expect(ex.body.error_code).toBe(code);
}

describe("MLflow API: bad input", () => {
  let data: ReturnType<typeof tempDataDir>;
  let app: App;
  let base: string;
  let wire: MlflowWire;
  let runId = "";

  beforeAll(async () => {
    data = tempDataDir();
    await seedModel(data.dir, { stage: "Production" });
    app = await startTestApp(data.dir);
    base = `http://127.0.0.1:${app.httpPort}`;
    wire = mlflowWire(base);
    const { run } = (await wire.ok("POST", "runs/create", {
      experiment_id: "0",
      start_time: Date.now(),
    })) as {
      run: { info: { run_id: string } };
    };
    runId = run.info.run_id;
  });

  afterAll(async () => {
    await app?.close();
    data?.cleanup();
  });

  it("an unknown endpoint is 404 ENDPOINT_NOT_FOUND under every MLflow prefix", async () => {
    expectError(await wire.call("GET", "runs/nope"), 404, "ENDPOINT_NOT_FOUND");
    expectError(await wire.call("POST", "experiments/list"), 404, "ENDPOINT_NOT_FOUND");
    for (const path of ["/ajax-api/2.0/mlflow/nope", "/api/2.0/mlflow-artifacts/nope"]) {
      const res = await fetch(base + path, { method: "POST" });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error_code: string }).error_code).toBe("ENDPOINT_NOT_FOUND");
    }
  });

  it("re-logging a param with a new value is 400 INVALID_PARAMETER_VALUE; the same value is fine", async () => {
    await wire.ok("POST", "runs/log-parameter", { run_id: runId, key: "lr", value: "0.1" });
    await wire.ok("POST", "runs/log-parameter", { run_id: runId, key: "lr", value: "0.1" });
    expectError(
      await wire.call("POST", "runs/log-parameter", { run_id: runId, key: "lr", value: "0.2" }),
      400,
      "INVALID_PARAMETER_VALUE",
    );
    expectError(
      await wire.call("POST", "runs/log-batch", { run_id: runId, params: [{ key: "lr", value: "0.3" }] }),
      400,
      "INVALID_PARAMETER_VALUE",
    );
  });

  it("log-batch over MLflow's limits is 400 INVALID_PARAMETER_VALUE and logs nothing", async () => {
    const metric = (i: number) => ({ key: `m${i % 10}`, value: i, timestamp: 1, step: i });
    const kv = (i: number) => ({ key: `k${i}`, value: "v" });
    const over = [
      { metrics: Array.from({ length: 1001 }, (_, i) => metric(i)) },
      { params: Array.from({ length: 101 }, (_, i) => kv(i)) },
      { tags: Array.from({ length: 101 }, (_, i) => kv(i)) },
      {
        metrics: Array.from({ length: 1000 }, (_, i) => metric(i)),
        params: [kv(1)],
      },
      // Within the counts, over 1 MB.
      {
        params: Array.from({ length: 100 }, (_, i) => ({ key: `p${i}`, value: "x".repeat(6000) })),
        tags: Array.from({ length: 100 }, (_, i) => ({ key: `t${i}`, value: "x".repeat(8000) })),
      },
    ];
    for (const batch of over) {
      expectError(
        await wire.call("POST", "runs/log-batch", { run_id: runId, ...batch }),
        400,
        "INVALID_PARAMETER_VALUE",
      );
    }
    const { run } = (await wire.ok("GET", "runs/get", { run_id: runId })) as {
      run: { data: { metrics: unknown[]; params: { key: string }[] } };
    };
    expect(run.data.metrics).toEqual([]);
    expect(run.data.params.map((p) => p.key)).toEqual(["lr"]);
    // At the limits it goes through.
    await wire.ok("POST", "runs/log-batch", {
      run_id: runId,
      metrics: Array.from({ length: 1000 }, (_, i) => metric(i)),
    });
  });

  it("a run, experiment, model or version that does not exist is 404 RESOURCE_DOES_NOT_EXIST", async () => {
    const ghost = "f".repeat(32);
    expectError(await wire.call("GET", "runs/get", { run_id: ghost }), 404, "RESOURCE_DOES_NOT_EXIST");
    expectError(
      await wire.call("POST", "runs/log-metric", { run_id: ghost, key: "a", value: 1, timestamp: 1 }),
      404,
      "RESOURCE_DOES_NOT_EXIST",
    );
    expectError(
      await wire.call("GET", "experiments/get", { experiment_id: "999" }),
      404,
      "RESOURCE_DOES_NOT_EXIST",
    );
    expectError(
      await wire.call("GET", "registered-models/get", { name: "ghost" }),
      404,
      "RESOURCE_DOES_NOT_EXIST",
    );
    expectError(
      await wire.call("GET", "model-versions/get", { name: MODEL, version: "99" }),
      404,
      "RESOURCE_DOES_NOT_EXIST",
    );
    expectError(await wire.call("GET", `logged-models/m-${"0".repeat(32)}`), 404, "RESOURCE_DOES_NOT_EXIST");
    const missing = await fetch(`${base}/api/2.0/mlflow-artifacts/artifacts/0/${ghost}/artifacts/none.txt`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error_code: string }).error_code).toBe("RESOURCE_DOES_NOT_EXIST");
  });

  it("a malformed body is 400 BAD_REQUEST; a field of the wrong type is INVALID_PARAMETER_VALUE", async () => {
    for (const body of ["{", "[1,2]", "42", '"{oops"']) {
      const res = await fetch(`${base}/api/2.0/mlflow/runs/log-metric`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      const ex = {
        method: "POST",
        path: "",
        status: res.status,
        body: (await res.json()) as Record<string, unknown>,
      };
      expectError(ex, 400, "BAD_REQUEST");
    }
    expectError(
      await wire.call("POST", "runs/log-metric", { run_id: runId, key: "a", value: "high", timestamp: 1 }),
      400,
      "INVALID_PARAMETER_VALUE",
    );
    expectError(
      await wire.call("POST", "runs/log-metric", {
        run_id: runId,
        key: "a",
        value: 1,
        timestamp: 1,
        step: 1.5,
      }),
      400,
      "INVALID_PARAMETER_VALUE",
    );
    expectError(
      await wire.call("POST", "runs/log-parameter", { key: "a", value: "1" }),
      400,
      "INVALID_PARAMETER_VALUE",
    );
    expectError(
      await wire.call("POST", "runs/update", { run_id: runId, status: "DONE" }),
      400,
      "INVALID_PARAMETER_VALUE",
    );
    expectError(
      await wire.call("POST", "model-versions/transition-stage", {
        name: MODEL,
        version: "1",
        stage: "Prod",
      }),
      400,
      "INVALID_PARAMETER_VALUE",
    );
  });

  it("names taken are 400 RESOURCE_ALREADY_EXISTS", async () => {
    await wire.ok("POST", "experiments/create", { name: "dup" });
    expectError(
      await wire.call("POST", "experiments/create", { name: "dup" }),
      400,
      "RESOURCE_ALREADY_EXISTS",
    );
    expectError(
      await wire.call("POST", "registered-models/create", { name: MODEL }),
      400,
      "RESOURCE_ALREADY_EXISTS",
    );
  });

  it("a pickled scikit-learn model registers, but Production answers FAILED_PRECONDITION and the served model stays", async () => {
    const { run } = (await wire.ok("GET", "runs/get", { run_id: runId })) as {
      run: { info: { artifact_uri: string } };
    };
    const root = proxyPath(run.info.artifact_uri);
    for (const [name, bytes] of modelFolder("sklearn", { runId })) {
      expect((await wire.put(`${root}/model/${name}`, bytes)).status).toBe(200);
    }
    const { model_version } = (await wire.ok("POST", "model-versions/create", {
      name: MODEL,
      source: `runs:/${runId}/model`,
      run_id: runId,
    })) as { model_version: Record<string, unknown> };
    expect(model_version).toMatchObject({ status: "READY", version: "2", current_stage: "None" });
    expect(String(model_version.status_message)).toMatch(/ONNX/);
    const promote = await wire.call("POST", "model-versions/transition-stage", {
      name: MODEL,
      version: "2",
      stage: "Production",
      archive_existing_versions: true,
    });
    expectError(promote, 400, "BAD_REQUEST");
    expect(String(promote.body.message)).toMatch(/ONNX/);
    // The same refusal on the house's own API is FAILED_PRECONDITION.
    const rest = await fetch(`${base}/v1/models/${MODEL}/versions/2:transition`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ stage: "STAGE_PRODUCTION" }),
    });
    expect(rest.status).toBe(400);
    expect(((await rest.json()) as { code: string }).code).toBe("failed_precondition");
    // Staging is allowed (nothing serves it by default); v1 still serves /predict.
    await wire.ok("POST", "model-versions/transition-stage", { name: MODEL, version: "2", stage: "Staging" });
    const info = (await (await fetch(`${base}/model-info`)).json()) as { model_version: string };
    expect(info.model_version).toBe("1");
    const versions = (await wire.ok("POST", "registered-models/get-latest-versions", { name: MODEL })) as {
      model_versions: { version: string; current_stage: string }[];
    };
    expect(versions.model_versions.map((v) => [v.version, v.current_stage])).toEqual([
      ["2", "Staging"],
      ["1", "Production"],
    ]);
    const selected = await fetch(`${base}/predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ features: Array(20).fill(0), model_name: MODEL, model_version: "2" }),
    });
    expect(selected.status).toBe(400);
  });
});
