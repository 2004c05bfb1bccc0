// The npm `mlflow` client (2.0.7, yuhsak/mlflow: tracking only, no registry) drives the tracking
// endpoints it covers against a real server. Its Experiments.list calls experiments/list, an
// endpoint MLflow 2 removed, and gets MLflow 2's answer: ENDPOINT_NOT_FOUND; its setExperimentTag
// builds a wrong path. Everything else it covers works unchanged.
import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { App } from "../../src/app/create-app.js";
import { startTestApp, tempDataDir } from "../helpers/app.js";

// biome-ignore lint/suspicious/noExplicitAny: the package's typings describe MLflow 1.x shapes
type Client = any;
const MLflow = createRequire(import.meta.url)("mlflow") as new (options: {
  endpoint: string;
  headers?: Record<string, string>;
}) => Client;

const TOKEN = "npm-client-token";

describe("the npm mlflow client", () => {
  let data: ReturnType<typeof tempDataDir>;
  let app: App;
  let client: Client;

  beforeAll(async () => {
    data = tempDataDir();
    app = await startTestApp(data.dir, { apiToken: TOKEN });
    client = new MLflow({
      endpoint: `http://127.0.0.1:${app.httpPort}`,
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    // It prints every POST body with console.log.
    vi.spyOn(console, "log").mockImplementation(() => {});
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    await app?.close();
    data?.cleanup();
  });

  it("creates, reads, renames, tags, deletes and restores an experiment", async () => {
    const { experiment_id } = await client.Experiments.create({ name: "npm-exp", artifact_location: "" });
    const { experiment } = await client.Experiments.get({ experiment_id });
    expect(experiment).toMatchObject({ name: "npm-exp", lifecycle_stage: "active" });
    await client.Experiments.update({ experiment_id, new_name: "npm-exp-renamed" });
    // Its setExperimentTag posts to `experimentsset-experiment-tag` (a slash missing in 2.0.7).
    await expect(
      client.Experiments.setExperimentTag({ experiment_id, key: "team", value: "ml" }),
    ).rejects.toThrow(/ENDPOINT_NOT_FOUND/);
    const after = await client.Experiments.get({ experiment_id });
    expect(after.experiment.name).toBe("npm-exp-renamed");
    await client.Experiments.delete({ experiment_id });
    expect((await client.Experiments.get({ experiment_id })).experiment.lifecycle_stage).toBe("deleted");
    await client.Experiments.restore({ experiment_id });
    expect((await client.Experiments.get({ experiment_id })).experiment.lifecycle_stage).toBe("active");
  });

  it("experiments/list is gone since MLflow 2: ENDPOINT_NOT_FOUND, as MLflow answers", async () => {
    await expect(client.Experiments.list()).rejects.toThrow(/ENDPOINT_NOT_FOUND/);
  });

  it("runs: create, params, metrics, batch, tags, search, history, update, delete, restore", async () => {
    const { experiment_id } = await client.Experiments.create({ name: "npm-runs", artifact_location: "" });
    const start = Date.now();
    const { run } = await client.Runs.create({
      experiment_id,
      user_id: "npm",
      start_time: start,
      tags: [{ key: "mlflow.source.name", value: "train.js" }],
    });
    const run_id = run.info.run_id as string;
    await client.Runs.logParameter({ run_id, key: "lr", value: "0.1" });
    for (let step = 0; step < 3; step++) {
      await client.Runs.logMetric({
        run_id,
        key: "loss",
        value: 1 / (step + 1),
        timestamp: start + step,
        step,
      });
    }
    await client.Runs.logBatch({
      run_id,
      metrics: [{ key: "acc", value: 0.9, timestamp: start, step: 0 }],
      params: [{ key: "depth", value: "4" }],
      tags: [{ key: "stage", value: "dev" }],
    });
    await client.Runs.setTag({ run_id, key: "tmp", value: "x" });
    await client.Runs.deleteTag({ run_id, key: "tmp" });
    const got = (await client.Runs.get({ run_id })).run;
    expect(got.data.params).toEqual([
      { key: "depth", value: "4" },
      { key: "lr", value: "0.1" },
    ]);
    expect(got.data.tags.map((t: { key: string }) => t.key)).not.toContain("tmp");
    expect(got.info.user_id).toBe("npm");
    const history = await client.Metrics.getHistory({ run_id, metric_key: "loss" });
    expect(history.metrics.map((m: { step: number }) => m.step)).toEqual([0, 1, 2]);
    const found = await client.Runs.search({
      experiment_ids: [experiment_id],
      run_view_type: "ACTIVE_ONLY",
      max_results: 10,
      order_by: ["attributes.start_time DESC"],
    });
    expect(found.runs.map((r: { info: { run_id: string } }) => r.info.run_id)).toEqual([run_id]);
    // MLflow's filter syntax and order_by by a param, done by the API's own search.
    const { run: other } = await client.Runs.create({ experiment_id, start_time: start + 1 });
    await client.Runs.logParameter({ run_id: other.info.run_id, key: "lr", value: "0.3" });
    const ids = (r: { runs?: { info: { run_id: string } }[] }) => (r.runs ?? []).map((x) => x.info.run_id);
    const filtered = await client.Runs.search({
      experiment_ids: [experiment_id],
      filter: "params.lr = '0.1' and metrics.acc > 0.5",
    });
    expect(ids(filtered)).toEqual([run_id]);
    const byParam = await client.Runs.search({
      experiment_ids: [experiment_id],
      order_by: ["params.lr DESC"],
    });
    expect(ids(byParam)).toEqual([other.info.run_id, run_id]);
    await expect(
      client.Runs.search({ experiment_ids: [experiment_id], filter: "metrics.acc >>> 1" }),
    ).rejects.toThrow(/INVALID_PARAMETER_VALUE/);
    await client.Runs.delete({ run_id: other.info.run_id });
    const { run_info } = await client.Runs.update({ run_id, status: "FINISHED", end_time: start + 100 });
    expect(run_info).toMatchObject({ status: "FINISHED", end_time: start + 100 });
    const files = await client.Artifacts.list({ run_id, path: "" });
    expect(files.root_uri).toBe(`mlflow-artifacts:/${experiment_id}/${run_id}/artifacts`);
    await client.Runs.delete({ run_id });
    expect((await client.Runs.get({ run_id })).run.info.lifecycle_stage).toBe("deleted");
    await client.Runs.restore({ run_id });
    expect((await client.Runs.get({ run_id })).run.info.lifecycle_stage).toBe("active");
  });

  it("a failure reaches the client in MLflow's shape", async () => {
    await expect(client.Runs.get({ run_id: "0".repeat(32) })).rejects.toThrow(/RESOURCE_DOES_NOT_EXIST/);
  });
});
