// The delete and restore RPCs of TrackingService and RegistryService, on a real store: request
// checks, codes, the view_type filter, audit events as the API writes them.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it } from "vitest";
import { Stage } from "../../src/gen/mlops/v1/model_pb.js";
import { AuditEventType, ListAuditEventsRequestSchema } from "../../src/gen/mlops/v1/registry_pb.js";
import {
  CreateExperimentRequestSchema,
  CreateRunRequestSchema,
  DeleteExperimentRequestSchema,
  DeleteRunRequestSchema,
  LifecycleStage,
  ListExperimentsRequestSchema,
  LogParamRequestSchema,
  RestoreExperimentRequestSchema,
  RestoreRunRequestSchema,
  SearchRunsRequestSchema,
  ViewType,
} from "../../src/gen/mlops/v1/tracking_pb.js";
import type { CodeName } from "../../src/rpc/code.js";
import type { CallContext } from "../../src/rpc/context.js";
import { ServiceError } from "../../src/rpc/service-error.js";
import { createRegistryService } from "../../src/services/registry-service.js";
import { createTrackingService } from "../../src/services/tracking-service.js";
import { createArtifactStore, createStore } from "../../src/store/index.js";
import { storeOptionsFor } from "../kit/database.js";

const CTX: CallContext = { transport: "cli", actor: "ada" };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup() {
  const dataDir = await mkdtemp(join(tmpdir(), "mlops-deletes-svc-"));
  const store = await createStore(await storeOptionsFor({ dataDir }));
  cleanups.push(
    () => rm(dataDir, { recursive: true, force: true }),
    () => store.close(),
  );
  const artifacts = createArtifactStore({ dataDir });
  const changed: string[] = [];
  return {
    store,
    artifacts,
    changed,
    tracking: createTrackingService({ store }),
    registry: createRegistryService({ store, artifacts, onServingChange: (n) => changed.push(n) }),
  };
}

const req = <D extends DescMessage>(schema: D, init: MessageInitShape<D>) => create(schema, init);

async function expectError(result: unknown, code: CodeName, field?: string): Promise<ServiceError> {
  const error = await Promise.resolve(result).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ServiceError);
  expect((error as ServiceError).code).toBe(code);
  if (field !== undefined) expect((error as ServiceError).violation?.field).toBe(field);
  return error as ServiceError;
}

describe("TrackingService deletes", () => {
  it("deletes and restores runs; SearchRuns filters by view_type on both order paths", async () => {
    const { tracking: t } = await setup();
    const a = (await t.createRun(req(CreateRunRequestSchema, { experimentId: "0", runName: "a" }), CTX)).run;
    const b = (await t.createRun(req(CreateRunRequestSchema, { experimentId: "0", runName: "b" }), CTX)).run;
    const deleted = (await t.deleteRun(req(DeleteRunRequestSchema, { runId: b?.runId ?? "" }), CTX)).run;
    expect(deleted?.lifecycleStage).toBe(LifecycleStage.DELETED);
    expect(deleted?.deletedAtMs).toBeGreaterThan(0n);

    for (const orderBy of [[], ["run_name"]]) {
      const search = async (viewType: ViewType) =>
        (
          await t.searchRuns(req(SearchRunsRequestSchema, { experimentIds: ["0"], orderBy, viewType }), CTX)
        ).runs?.map((r) => r.runName);
      expect(await search(ViewType.UNSPECIFIED)).toEqual(["a"]);
      expect(await search(ViewType.ACTIVE_ONLY)).toEqual(["a"]);
      expect(await search(ViewType.DELETED_ONLY)).toEqual(["b"]);
      expect((await search(ViewType.ALL))?.sort()).toEqual(["a", "b"]);
    }
    await expectError(
      t.searchRuns(req(SearchRunsRequestSchema, { experimentIds: ["0"], viewType: 7 as ViewType }), CTX),
      "INVALID_ARGUMENT",
      "view_type",
    );
    await expectError(
      t.logParam(req(LogParamRequestSchema, { runId: b?.runId ?? "", key: "k", value: "v" }), CTX),
      "FAILED_PRECONDITION",
    );
    await expectError(
      t.deleteRun(req(DeleteRunRequestSchema, { runId: b?.runId ?? "" }), CTX),
      "FAILED_PRECONDITION",
    );
    await expectError(t.deleteRun(req(DeleteRunRequestSchema, {}), CTX), "INVALID_ARGUMENT", "run_id");
    const restored = (await t.restoreRun(req(RestoreRunRequestSchema, { runId: b?.runId ?? "" }), CTX)).run;
    expect(restored?.lifecycleStage).toBe(LifecycleStage.ACTIVE);
    expect(restored?.deletedAtMs).toBe(0n);
    expect(a?.lifecycleStage).toBe(LifecycleStage.ACTIVE);
  });

  it("deletes and restores experiments; ListExperiments filters by view_type", async () => {
    const { tracking: t } = await setup();
    const e = (await t.createExperiment(req(CreateExperimentRequestSchema, { name: "exp" }), CTX)).experiment;
    const id = e?.experimentId ?? "";
    const gone = (await t.deleteExperiment(req(DeleteExperimentRequestSchema, { experimentId: id }), CTX))
      .experiment;
    expect(gone?.lifecycleStage).toBe(LifecycleStage.DELETED);
    const names = async (viewType: ViewType) =>
      (await t.listExperiments(req(ListExperimentsRequestSchema, { viewType }), CTX)).experiments?.map(
        (x) => x.name,
      );
    expect(await names(ViewType.UNSPECIFIED)).toEqual(["Default"]);
    expect(await names(ViewType.DELETED_ONLY)).toEqual(["exp"]);
    expect(await names(ViewType.ALL)).toEqual(["Default", "exp"]);
    await expectError(
      t.createRun(req(CreateRunRequestSchema, { experimentId: id }), CTX),
      "FAILED_PRECONDITION",
    );
    await expectError(
      t.deleteExperiment(req(DeleteExperimentRequestSchema, { experimentId: "0" }), CTX),
      "FAILED_PRECONDITION",
    );
    await expectError(
      t.restoreExperiment(req(RestoreExperimentRequestSchema, {}), CTX),
      "INVALID_ARGUMENT",
      "experiment_id",
    );
    const back = (await t.restoreExperiment(req(RestoreExperimentRequestSchema, { experimentId: id }), CTX))
      .experiment;
    expect(back?.lifecycleStage).toBe(LifecycleStage.ACTIVE);
  });
});

describe("RegistryService deletes", () => {
  it("deletes versions and models, refuses serving ones, notifies serving, and audits with the API's types", async () => {
    const { registry: r, store, artifacts, changed, tracking: t } = await setup();
    const { sha256 } = await artifacts.put(new Uint8Array([1, 2, 3]));
    await r.createRegisteredModel({ name: "m" } as never, CTX);
    for (let i = 0; i < 2; i++) {
      await r.createModelVersion({ name: "m", artifactSha256: sha256 } as never, CTX);
    }
    await r.transitionModelVersionStage({ name: "m", version: "1", stage: Stage.PRODUCTION } as never, CTX);
    changed.length = 0;
    await expectError(r.deleteModelVersion({ name: "m", version: "1" } as never, CTX), "FAILED_PRECONDITION");
    await expectError(r.deleteRegisteredModel({ name: "m" } as never, CTX), "FAILED_PRECONDITION");
    await expectError(
      r.deleteModelVersion({ name: "m", version: "x" } as never, CTX),
      "INVALID_ARGUMENT",
      "version",
    );
    await expectError(
      r.deleteModelVersion({ name: "", version: "1" } as never, CTX),
      "INVALID_ARGUMENT",
      "name",
    );
    await expectError(r.deleteModelVersion({ name: "m", version: "9" } as never, CTX), "NOT_FOUND");
    expect(changed).toEqual([]);

    await r.deleteModelVersion({ name: "m", version: "2" } as never, CTX);
    expect(changed).toEqual(["m"]);
    await r.transitionModelVersionStage({ name: "m", version: "1", stage: Stage.ARCHIVED } as never, CTX);
    await r.deleteRegisteredModel({ name: "m" } as never, CTX);
    await expectError(r.getRegisteredModel({ name: "m" } as never, CTX), "NOT_FOUND");

    const events =
      (await r.listAuditEvents(req(ListAuditEventsRequestSchema, { name: "m" }), CTX)).events ?? [];
    const deletes = events.filter((e) => e.type !== AuditEventType.STAGE_TRANSITION);
    expect(deletes.map((e) => [e.type, e.version, e.fromStage, e.actor])).toEqual([
      [AuditEventType.MODEL_VERSION_DELETED, "2", Stage.NONE, "ada"],
      [AuditEventType.MODEL_VERSION_DELETED, "1", Stage.ARCHIVED, "ada"],
      [AuditEventType.REGISTERED_MODEL_DELETED, "2", Stage.UNSPECIFIED, "ada"],
    ]);
    const byType = await r.listAuditEvents(
      req(ListAuditEventsRequestSchema, { name: "m", type: AuditEventType.MODEL_VERSION_DELETED }),
      CTX,
    );
    expect(byType.events?.length).toBe(2);

    // Run events are listed by run and by experiment, with no model name or version.
    const run = (await t.createRun(req(CreateRunRequestSchema, { experimentId: "0" }), CTX)).run;
    await t.deleteRun(req(DeleteRunRequestSchema, { runId: run?.runId ?? "" }), CTX);
    const runEvents =
      (await r.listAuditEvents(req(ListAuditEventsRequestSchema, { runId: run?.runId ?? "" }), CTX)).events ??
      [];
    expect(runEvents.map((e) => [e.type, e.runId, e.experimentId, e.name, e.version])).toEqual([
      [AuditEventType.RUN_DELETED, run?.runId, "0", "", ""],
    ]);
    const byExperiment = await r.listAuditEvents(
      req(ListAuditEventsRequestSchema, { experimentId: "0" }),
      CTX,
    );
    expect(byExperiment.events?.map((e) => e.type)).toEqual([AuditEventType.RUN_DELETED]);
    await expectError(
      r.listAuditEvents(req(ListAuditEventsRequestSchema, { runId: "nope" }), CTX),
      "INVALID_ARGUMENT",
      "run_id",
    );
    await expectError(
      r.listAuditEvents(req(ListAuditEventsRequestSchema, { experimentId: "-1" }), CTX),
      "INVALID_ARGUMENT",
      "experiment_id",
    );
    expect(await store.listAuditEvents({ name: "m" })).not.toEqual([]);
  });
});
