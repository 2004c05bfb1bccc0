// Deletes over the wire: the REST routes from google.api.http, Connect and gRPC, on a running app.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import type { App } from "../../src/app/create-app.js";
import { RegistryService } from "../../src/gen/mlops/v1/registry_pb.js";
import {
  CreateRunRequestSchema,
  DeleteExperimentRequestSchema,
  DeleteRunRequestSchema,
  LifecycleStage,
  RestoreRunRequestSchema,
  TrackingService,
} from "../../src/gen/mlops/v1/tracking_pb.js";
import { MODEL, row, seedModel, startTestApp, tempDataDir } from "../helpers/app.js";
import { connectClient, getJson, grpcClient, postJson } from "../helpers/clients.js";

const apps: App[] = [];
const cleanups: Array<() => void> = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
  for (const c of cleanups.splice(0)) c();
});

async function start() {
  const tmp = tempDataDir();
  cleanups.push(tmp.cleanup);
  await seedModel(tmp.dir, { stage: "Production" });
  await seedModel(tmp.dir, { seed: 8 });
  const app = await startTestApp(tmp.dir);
  apps.push(app);
  return app;
}

async function del(port: number, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: "DELETE", headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("deletes over REST", () => {
  it("model versions and models: refused while serving (400 failed_precondition), else removed", async () => {
    const app = await start();
    const refused = await del(app.httpPort, `/v1/models/${MODEL}/versions/1`);
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe("failed_precondition");
    expect((await del(app.httpPort, `/v1/models/${MODEL}`)).body.code).toBe("failed_precondition");

    const ok = await del(app.httpPort, `/v1/models/${MODEL}/versions/2`, { "x-mlops-actor": "carol" });
    expect(ok).toEqual({ status: 200, body: {} });
    expect((await getJson(app.httpPort, `/v1/models/${MODEL}/versions/2`)).status).toBe(404);
    expect((await del(app.httpPort, `/v1/models/${MODEL}/versions/2`)).status).toBe(404);
    // The served version is untouched.
    expect((await postJson(app.httpPort, "/predict", { features: row(0) })).status).toBe(200);

    const audit = await getJson(
      app.httpPort,
      `/v1/audit-events?name=${MODEL}&type=AUDIT_EVENT_TYPE_MODEL_VERSION_DELETED`,
    );
    expect(audit.body.events).toEqual([
      expect.objectContaining({
        type: "AUDIT_EVENT_TYPE_MODEL_VERSION_DELETED",
        version: "2",
        actor: "carol",
        from_stage: "STAGE_NONE",
      }),
    ]);
  });

  it("runs and experiments: DELETE soft-deletes, :restore restores, view_type lists them", async () => {
    const app = await start();
    const exp = await postJson(app.httpPort, "/v1/experiments", { name: "trash-me" });
    const experimentId = (exp.body.experiment as { experiment_id: string }).experiment_id;
    const created = await postJson(app.httpPort, "/v1/runs", { experiment_id: experimentId });
    const runId = (created.body.run as { run_id: string }).run_id;

    const gone = await del(app.httpPort, `/v1/runs/${runId}`);
    expect(gone.status).toBe(200);
    expect(gone.body.run).toMatchObject({ run_id: runId, lifecycle_stage: "LIFECYCLE_STAGE_DELETED" });
    const search = async (view_type?: string) =>
      (
        (await postJson(app.httpPort, "/v1/runs:search", { experiment_ids: [experimentId], view_type })).body
          .runs as unknown[] | undefined
      )?.length ?? 0;
    expect(await search()).toBe(0);
    expect(await search("VIEW_TYPE_DELETED_ONLY")).toBe(1);
    expect(await search("VIEW_TYPE_ALL")).toBe(1);
    const again = await del(app.httpPort, `/v1/runs/${runId}`);
    expect([again.status, again.body.code]).toEqual([400, "failed_precondition"]);
    const back = await postJson(app.httpPort, `/v1/runs/${runId}:restore`, {});
    expect(back.status).toBe(200);
    expect(back.body.run).toMatchObject({ lifecycle_stage: "LIFECYCLE_STAGE_ACTIVE" });

    const expGone = await del(app.httpPort, `/v1/experiments/${experimentId}`, { "x-mlops-actor": "dave" });
    expect(expGone.body.experiment).toMatchObject({ lifecycle_stage: "LIFECYCLE_STAGE_DELETED" });
    const names = async (query = "") =>
      ((await getJson(app.httpPort, `/v1/experiments${query}`)).body.experiments as { name: string }[]).map(
        (e) => e.name,
      );
    expect(await names()).toEqual(["Default"]);
    expect(await names("?view_type=VIEW_TYPE_ALL")).toEqual(["Default", "trash-me"]);
    expect(await names("?view_type=2")).toEqual(["trash-me"]);
    const bad = await getJson(app.httpPort, "/v1/experiments?view_type=VIEW_TYPE_NOPE");
    expect([bad.status, bad.body.code]).toEqual([400, "invalid_argument"]);
    expect((await postJson(app.httpPort, `/v1/experiments/${experimentId}:restore`, {})).status).toBe(200);
    expect(await search()).toBe(1);

    const audit = await getJson(app.httpPort, `/v1/audit-events?experiment_id=${experimentId}`);
    expect((audit.body.events as { type: string; actor: string }[]).map((e) => [e.type, e.actor])).toEqual([
      ["AUDIT_EVENT_TYPE_RUN_DELETED", "api:rest"],
      ["AUDIT_EVENT_TYPE_RUN_RESTORED", "api:rest"],
      ["AUDIT_EVENT_TYPE_EXPERIMENT_DELETED", "dave"],
      ["AUDIT_EVENT_TYPE_EXPERIMENT_RESTORED", "api:rest"],
    ]);
  });
});

describe("deletes over Connect and gRPC", () => {
  it("answers the same codes on both", async () => {
    const app = await start();
    const registry = connectClient(RegistryService, app.httpPort);
    const refused = await registry.deleteRegisteredModel({ name: MODEL }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(ConnectError);
    expect((refused as ConnectError).code).toBe(Code.FailedPrecondition);
    await registry.deleteModelVersion({ name: MODEL, version: "2" });

    const tracking = grpcClient(TrackingService, app.grpcPort);
    cleanups.push(() => tracking.close());
    const run = await tracking.call<{ run: { runId: string } }>(
      "createRun",
      create(CreateRunRequestSchema, { experimentId: "0" }),
    );
    const deleted = await tracking.call<{ run: { lifecycleStage: LifecycleStage } }>(
      "deleteRun",
      create(DeleteRunRequestSchema, { runId: run.run.runId }),
    );
    expect(deleted.run.lifecycleStage).toBe(LifecycleStage.DELETED);
    const err = await tracking
      .call("deleteExperiment", create(DeleteExperimentRequestSchema, { experimentId: "0" }))
      .then(
        () => undefined,
        (e: grpc.ServiceError) => e,
      );
    expect(err?.code).toBe(grpc.status.FAILED_PRECONDITION);
    const restored = await tracking.call<{ run: { lifecycleStage: LifecycleStage } }>(
      "restoreRun",
      create(RestoreRunRequestSchema, { runId: run.run.runId }),
    );
    expect(restored.run.lifecycleStage).toBe(LifecycleStage.ACTIVE);
  });
});
