import { readFileSync, writeFileSync } from "node:fs";
import { Code } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import type { App } from "../../src/app/create-app.js";
import { Stage } from "../../src/gen/mlops/v1/model_pb.js";
import { PredictService } from "../../src/gen/mlops/v1/predict_pb.js";
import { RegistryService } from "../../src/gen/mlops/v1/registry_pb.js";
import { TrackingService } from "../../src/gen/mlops/v1/tracking_pb.js";
import { createLocalArtifactStore } from "../../src/store/index.js";
import { MODEL, row, seedModel, startTestApp, tempDataDir } from "../helpers/app.js";
import { connectClient, getJson, postJson } from "../helpers/clients.js";
import { healthCheck, loadProtoClients, reflectionList, unary } from "../helpers/grpc-raw.js";

const apps: App[] = [];
const cleanups: Array<() => void> = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
  for (const c of cleanups.splice(0)) c();
});

async function fresh() {
  const tmp = tempDataDir();
  cleanups.push(tmp.cleanup);
  return tmp.dir;
}

async function start(dir: string, overrides = {}) {
  const app = await startTestApp(dir, overrides);
  apps.push(app);
  return app;
}

describe("health states", () => {
  it("no Production model: NOT_SERVING, 503 with how-to, then SERVING after a promotion", async () => {
    const dir = await fresh();
    const v = await seedModel(dir); // registered, stage None
    const app = await start(dir);
    expect(await healthCheck(app.grpcPort, "")).toBe("SERVING");
    expect(await healthCheck(app.grpcPort, "mlops.v1.PredictService")).toBe("NOT_SERVING");
    expect(await healthCheck(app.grpcPort, "mlops.v1.RegistryService")).toBe("SERVING");
    const h = await getJson(app.httpPort, "/health");
    expect(h.status).toBe(503);
    expect(h.body).toMatchObject({ model_loaded: false, registry_reachable: true });
    const p = await postJson(app.httpPort, "/predict", { features: row(0) });
    expect(p.status).toBe(503);
    expect(p.body.code).toBe("unavailable");
    expect(String(p.body.message)).toMatch(/promote/);
    expect((await getJson(app.httpPort, "/model-info")).status).toBe(503);

    const registry = connectClient(RegistryService, app.httpPort);
    await registry.transitionModelVersionStage({
      name: MODEL,
      version: String(v.version),
      stage: Stage.PRODUCTION,
    });
    await app.models.refresh();
    expect(await healthCheck(app.grpcPort, "mlops.v1.PredictService")).toBe("SERVING");
    expect((await postJson(app.httpPort, "/predict", { features: row(0) })).status).toBe(200);
    expect((await getJson(app.httpPort, "/health")).status).toBe(200);
  });

  it("reflection lists every service", async () => {
    const dir = await fresh();
    const app = await start(dir);
    const names = await reflectionList(app.grpcPort);
    for (const s of [
      "grpc.health.v1.Health",
      "mlops.v1.PredictService",
      "mlops.v1.RegistryService",
      "mlops.v1.TrackingService",
    ]) {
      expect(names).toContain(s);
    }
  });
});

describe("promotion and hot swap", () => {
  it("archive_existing moves the old Production version to Archived and the server swaps", async () => {
    const dir = await fresh();
    const v1 = await seedModel(dir, { stage: "Production", seed: 1 });
    const v2 = await seedModel(dir, { seed: 2, nEstimators: 25 });
    const app = await start(dir);
    expect(app.models.current()?.version).toBe(v1.version);
    const registry = connectClient(RegistryService, app.httpPort);
    const res = await registry.transitionModelVersionStage({
      name: MODEL,
      version: String(v2.version),
      stage: Stage.PRODUCTION,
      archiveExistingVersions: true,
    });
    expect(res.modelVersion?.stage).toBe(Stage.PRODUCTION);
    expect(res.archivedVersions.map((v) => v.version)).toEqual([String(v1.version)]);
    const old = await registry.getModelVersion({ name: MODEL, version: String(v1.version) });
    expect(old.modelVersion?.stage).toBe(Stage.ARCHIVED);
    await app.models.refresh();
    const p = await postJson(app.httpPort, "/predict", { features: row(5) });
    expect(p.body.model_version).toBe(String(v2.version));
    expect(p.body.probability).toEqual(Array.from(v2.model.predictProba(Float64Array.from(row(5)), 1)));

    // Same stage again → FAILED_PRECONDITION; a bad stage → INVALID_ARGUMENT; unknown → NOT_FOUND.
    const same = await registry
      .transitionModelVersionStage({ name: MODEL, version: String(v2.version), stage: Stage.PRODUCTION })
      .catch((e) => e);
    expect(same.code).toBe(Code.FailedPrecondition);
    const bad = await registry
      .transitionModelVersionStage({ name: MODEL, version: String(v2.version), stage: Stage.UNSPECIFIED })
      .catch((e) => e);
    expect(bad.code).toBe(Code.InvalidArgument);
    const missing = await registry.getModelVersion({ name: MODEL, version: "99" }).catch((e) => e);
    expect(missing.code).toBe(Code.NotFound);
    const unknownModel = await getJson(app.httpPort, "/v1/models/nope");
    expect(unknownModel.status).toBe(404);

    const audit = await getJson(app.httpPort, `/v1/audit-events?name=${MODEL}`);
    expect(audit.status).toBe(200);
    expect(JSON.stringify(audit.body)).toContain("STAGE_ARCHIVED");
  });

  it("a corrupted artifact is refused: the old model keeps serving", async () => {
    const dir = await fresh();
    const v1 = await seedModel(dir, { stage: "Production", seed: 1 });
    const v2 = await seedModel(dir, { seed: 2 });
    const app = await start(dir);
    const path = createLocalArtifactStore({ dataDir: dir }).pathFor(v2.sha256);
    const bytes = readFileSync(path);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    writeFileSync(path, bytes);
    await connectClient(RegistryService, app.httpPort).transitionModelVersionStage({
      name: MODEL,
      version: String(v2.version),
      stage: Stage.PRODUCTION,
      archiveExistingVersions: true,
    });
    await app.models.refresh();
    expect(app.models.current()?.version).toBe(v1.version);
    expect((app.models.lastError() as { code?: string }).code).toBe("DATA_LOSS");
    const p = await postJson(app.httpPort, "/predict", { features: row(1) });
    expect(p.status).toBe(200);
    expect(p.body.model_version).toBe(String(v1.version));
    const h = await getJson(app.httpPort, "/health");
    expect(h.body.last_load_error).toBeTruthy();
    expect(h.body.serving_stale).toBe(true);
    // It says what it serves: v1, which the promotion archived.
    const info = await getJson(app.httpPort, "/model-info");
    expect(info.body).toMatchObject({ model_version: String(v1.version), stage: "Archived" });
  });

  it("a corrupted artifact on start: NOT_SERVING", async () => {
    const dir = await fresh();
    const v1 = await seedModel(dir, { stage: "Production" });
    const app0 = await start(dir);
    const path = createLocalArtifactStore({ dataDir: dir }).pathFor(v1.sha256);
    await app0.close();
    writeFileSync(path, Buffer.from("not a model"));
    const app = await start(dir);
    expect(app.models.current()).toBeUndefined();
    expect(await healthCheck(app.grpcPort, "mlops.v1.PredictService")).toBe("NOT_SERVING");
    expect((await postJson(app.httpPort, "/predict", { features: row(1) })).status).toBe(503);
  });
});

describe("missing values", () => {
  it("NaN is INVALID_ARGUMENT by default and a missing value with MLOPS_ALLOW_MISSING", async () => {
    const dir = await fresh();
    const v = await seedModel(dir, { stage: "Production" });
    const features = row(3);
    features[4] = Number.NaN;
    const strict = await start(dir);
    const err = await connectClient(PredictService, strict.httpPort)
      .predict({ features })
      .catch((e) => e);
    expect(err.code).toBe(Code.InvalidArgument);
    const lenient = await start(dir, { allowMissing: true });
    const res = await connectClient(PredictService, lenient.httpPort).predict({ features });
    expect(res.probability).toEqual(Array.from(v.model.predictProba(Float64Array.from(features), 1)));
  });
});

describe("token enforcement", () => {
  it("mutations need the bearer token on every transport; reads and predict stay open", async () => {
    const dir = await fresh();
    const v = await seedModel(dir, { stage: "Production" });
    const app = await start(dir, { apiToken: "s3cret" });
    // Connect
    const anon = connectClient(RegistryService, app.httpPort);
    const denied = await anon
      .setModelAlias({ name: MODEL, alias: "champion", version: String(v.version) })
      .catch((e) => e);
    expect(denied.code).toBe(Code.Unauthenticated);
    const wrong = await connectClient(RegistryService, app.httpPort, { authorization: "Bearer nope" })
      .setModelAlias({ name: MODEL, alias: "champion", version: String(v.version) })
      .catch((e) => e);
    expect(wrong.code).toBe(Code.Unauthenticated);
    // The scheme is case-insensitive (RFC 7235).
    const authed = connectClient(RegistryService, app.httpPort, { authorization: "bearer s3cret" });
    await authed.setModelAlias({ name: MODEL, alias: "champion", version: String(v.version) });
    expect(
      (await anon.getModelVersionByAlias({ name: MODEL, alias: "champion" })).modelVersion?.version,
    ).toBe(String(v.version));
    // REST
    const rest = await postJson(app.httpPort, "/v1/experiments", { name: "e1" });
    expect(rest.status).toBe(401);
    expect(rest.body.code).toBe("unauthenticated");
    const restOk = await postJson(
      app.httpPort,
      "/v1/experiments",
      { name: "e1" },
      { authorization: "Bearer s3cret" },
    );
    expect(restOk.status).toBe(200);
    // gRPC
    const clients = loadProtoClients(app.grpcPort);
    const err = await unary(clients.tracking, "CreateExperiment", { name: "e2" }).catch((e) => e);
    expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
    const md = new grpc.Metadata();
    md.set("authorization", "Bearer s3cret");
    await unary(clients.tracking, "CreateExperiment", { name: "e2" }, md);
    // Predict and reads stay open.
    expect((await postJson(app.httpPort, "/predict", { features: row(0) })).status).toBe(200);
    expect((await getJson(app.httpPort, "/v1/experiments")).status).toBe(200);
    for (const c of Object.values(clients)) c.close();
  });
});

describe("a client generated from proto/ by another toolchain (proto-loader) calls every service", () => {
  it("Predict, Registry and Tracking", async () => {
    const dir = await fresh();
    const v = await seedModel(dir, { stage: "Production" });
    const app = await start(dir);
    const c = loadProtoClients(app.grpcPort);
    try {
      const p = await unary(c.predict, "Predict", { features: row(9) });
      expect(p.model_version).toBe(String(v.version));
      expect(p.probability).toEqual(Array.from(v.model.predictProba(Float64Array.from(row(9)), 1)));
      const info = await unary(c.predict, "GetModelInfo", {});
      expect(info.artifact_sha256).toBe(v.sha256);
      const models = await unary(c.registry, "ListRegisteredModels", {});
      expect(models.registered_models.map((m: { name: string }) => m.name)).toEqual([MODEL]);
      const exp = await unary(c.tracking, "CreateExperiment", { name: "third-party" });
      const run = await unary(c.tracking, "CreateRun", {
        experiment_id: exp.experiment.experiment_id,
        run_name: "r",
      });
      await unary(c.tracking, "LogMetric", { run_id: run.run.run_id, key: "auc", value: 0.9, step: 1 });
      await unary(c.tracking, "LogParam", { run_id: run.run.run_id, key: "lr", value: "0.1" });
      const again = await unary(c.tracking, "LogParam", {
        run_id: run.run.run_id,
        key: "lr",
        value: "0.2",
      }).catch((e) => e);
      expect(again.code).toBe(grpc.status.INVALID_ARGUMENT);
      const got = await unary(c.tracking, "GetRun", { run_id: run.run.run_id });
      expect(got.run.params).toMatchObject({ lr: "0.1" });
    } finally {
      for (const client of Object.values(c)) client.close();
    }
    // The tracking service is reachable over Connect too.
    const list = await connectClient(TrackingService, app.httpPort).listExperiments({});
    expect(list.experiments.map((e) => e.name)).toContain("third-party");
  });
});
