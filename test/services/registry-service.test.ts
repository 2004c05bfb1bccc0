import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Stage } from "../../src/gen/mlops/v1/model_pb.js";
import {
  AuditEventType,
  CreateModelVersionRequestSchema,
  CreateRegisteredModelRequestSchema,
  DeleteModelAliasRequestSchema,
  DeleteModelVersionTagRequestSchema,
  DeleteRegisteredModelTagRequestSchema,
  GetModelVersionByAliasRequestSchema,
  GetModelVersionRequestSchema,
  GetRegisteredModelRequestSchema,
  ListAuditEventsRequestSchema,
  ListModelVersionsRequestSchema,
  ListRegisteredModelsRequestSchema,
  ModelVersionStatus,
  SearchModelVersionsRequestSchema,
  SetModelAliasRequestSchema,
  SetModelVersionTagRequestSchema,
  SetRegisteredModelTagRequestSchema,
  TransitionModelVersionStageRequestSchema,
  UpdateModelVersionRequestSchema,
  UpdateRegisteredModelRequestSchema,
} from "../../src/gen/mlops/v1/registry_pb.js";
import type { CodeName } from "../../src/rpc/code.js";
import type { CallContext } from "../../src/rpc/context.js";
import { ServiceError } from "../../src/rpc/service-error.js";
import { ANONYMOUS_ACTOR, createRegistryService } from "../../src/services/registry-service.js";
import { createArtifactStore, createStore, type Store } from "../../src/store/index.js";
import { storeOptionsFor } from "../kit/database.js";

const CTX: CallContext = { transport: "cli", actor: "ada" };
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(options: { onServingChange?: (name: string) => void } = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), "mlops-registry-svc-"));
  let now = 1_000;
  const store: Store = await createStore(await storeOptionsFor({ dataDir, now: () => now }));
  cleanups.push(
    () => rm(dataDir, { recursive: true, force: true }),
    () => store.close(),
  );
  const artifacts = createArtifactStore({ dataDir });
  const changes: string[] = [];
  const svc = createRegistryService({
    store,
    artifacts,
    onServingChange: options.onServingChange ?? ((name) => changes.push(name)),
  });
  const sha = (await artifacts.put(new TextEncoder().encode("model bytes"))).sha256;
  return { store, artifacts, svc, sha, changes, setNow: (ms: number) => (now = ms) };
}

const req = <D extends DescMessage>(schema: D, init: MessageInitShape<D>) => create(schema, init);

/** Awaits a rejection and checks it is a ServiceError with that code (and violation field). */
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

type Svc = Awaited<ReturnType<typeof setup>>["svc"];

async function modelWithVersions(svc: Svc, sha: string, count: number, name = "ml_classifier") {
  await svc.createRegisteredModel(req(CreateRegisteredModelRequestSchema, { name }), CTX);
  for (let i = 0; i < count; i++) {
    await svc.createModelVersion(req(CreateModelVersionRequestSchema, { name, artifactSha256: sha }), CTX);
  }
}

const transition = (svc: Svc, version: string, stage: Stage, archive = false, comment = "") =>
  svc.transitionModelVersionStage(
    req(TransitionModelVersionStageRequestSchema, {
      name: "ml_classifier",
      version,
      stage,
      archiveExistingVersions: archive,
      comment,
    }),
    CTX,
  );

describe("registered models", () => {
  it("creates, reads, updates, tags and lists models", async () => {
    const { svc, setNow } = await setup();
    const created = await svc.createRegisteredModel(
      req(CreateRegisteredModelRequestSchema, {
        name: "ml_classifier",
        description: "d",
        tags: { team: "risk" },
      }),
      CTX,
    );
    expect(created.registeredModel).toMatchObject({
      name: "ml_classifier",
      description: "d",
      tags: { team: "risk" },
      aliases: {},
      latestVersions: [],
      createdAtMs: 1000n,
      updatedAtMs: 1000n,
    });
    setNow(2_000);
    const updated = await svc.updateRegisteredModel(
      req(UpdateRegisteredModelRequestSchema, { name: "ml_classifier", description: "better" }),
      CTX,
    );
    expect(updated.registeredModel).toMatchObject({
      description: "better",
      createdAtMs: 1000n,
      updatedAtMs: 2000n,
    });

    await svc.setRegisteredModelTag(
      req(SetRegisteredModelTagRequestSchema, { name: "ml_classifier", key: "owner", value: "ada" }),
      CTX,
    );
    await svc.deleteRegisteredModelTag(
      req(DeleteRegisteredModelTagRequestSchema, { name: "ml_classifier", key: "team" }),
      CTX,
    );
    const got = await svc.getRegisteredModel(
      req(GetRegisteredModelRequestSchema, { name: "ml_classifier" }),
      CTX,
    );
    expect(got.registeredModel?.tags).toEqual({ owner: "ada" });
    await expectError(
      svc.deleteRegisteredModelTag(
        req(DeleteRegisteredModelTagRequestSchema, { name: "ml_classifier", key: "team" }),
        CTX,
      ),
      "NOT_FOUND",
    );

    for (const name of ["c_model", "a_model"]) {
      await svc.createRegisteredModel(req(CreateRegisteredModelRequestSchema, { name }), CTX);
    }
    const names: string[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const page = await svc.listRegisteredModels(
        req(ListRegisteredModelsRequestSchema, { pageSize: 2, pageToken }),
        CTX,
      );
      names.push(...(page.registeredModels ?? []).map((m) => m.name ?? ""));
      pageToken = page.nextPageToken ?? "";
      pages++;
    } while (pageToken !== "");
    expect(names).toEqual(["a_model", "c_model", "ml_classifier"]);
    expect(pages).toBe(2);
  });

  it("rejects duplicates, unknown models and missing names by code", async () => {
    const { svc } = await setup();
    await svc.createRegisteredModel(req(CreateRegisteredModelRequestSchema, { name: "m" }), CTX);
    await expectError(
      svc.createRegisteredModel(req(CreateRegisteredModelRequestSchema, { name: "m" }), CTX),
      "ALREADY_EXISTS",
    );
    await expectError(
      svc.getRegisteredModel(req(GetRegisteredModelRequestSchema, { name: "nope" }), CTX),
      "NOT_FOUND",
    );
    await expectError(
      svc.createRegisteredModel(req(CreateRegisteredModelRequestSchema, {}), CTX),
      "INVALID_ARGUMENT",
      "name",
    );
    await expectError(
      svc.listRegisteredModels(req(ListRegisteredModelsRequestSchema, { pageSize: -1 }), CTX),
      "INVALID_ARGUMENT",
      "page_size",
    );
  });
});

describe("model versions", () => {
  it("registers a version from a stored artifact, copying the run's latest metrics", async () => {
    const { svc, store, sha, setNow } = await setup();
    const exp = await store.createExperiment({ name: "e" });
    const run = await store.createRun({ experimentId: exp.id });
    await store.logMetrics(run.id, [
      { key: "accuracy", value: 0.8, step: 1 },
      { key: "accuracy", value: 0.9, step: 2 },
    ]);
    await svc.createRegisteredModel(req(CreateRegisteredModelRequestSchema, { name: "ml_classifier" }), CTX);
    setNow(5_000);
    const { modelVersion } = await svc.createModelVersion(
      req(CreateModelVersionRequestSchema, {
        name: "ml_classifier",
        artifactSha256: sha.toUpperCase(),
        runId: run.id,
        source: "file:///tmp/model.bin",
        description: "first",
        tags: { data: "20f" },
      }),
      CTX,
    );
    expect(modelVersion).toMatchObject({
      name: "ml_classifier",
      version: "1",
      runId: run.id,
      source: "file:///tmp/model.bin",
      artifactSha256: sha,
      stage: Stage.NONE,
      aliases: [],
      tags: { data: "20f" },
      description: "first",
      status: ModelVersionStatus.READY,
      statusMessage: "",
      createdAtMs: 5000n,
      updatedAtMs: 5000n,
      metrics: { accuracy: 0.9 },
    });
    const got = await svc.getModelVersion(
      req(GetModelVersionRequestSchema, { name: "ml_classifier", version: "1" }),
      CTX,
    );
    expect(got.modelVersion).toEqual(modelVersion);

    // Without a source the store records the digest; a second version gets the next number.
    const second = await svc.createModelVersion(
      req(CreateModelVersionRequestSchema, { name: "ml_classifier", artifactSha256: sha }),
      CTX,
    );
    expect(second.modelVersion).toMatchObject({
      version: "2",
      source: `sha256:${sha}`,
      runId: "",
      metrics: {},
    });
  });

  it("takes the artifact from the run when only run_id is given", async () => {
    const { svc, store, sha } = await setup();
    const exp = await store.createExperiment({ name: "e" });
    const withArtifact = await store.createRun({ experimentId: exp.id });
    await store.updateRun(withArtifact.id, { artifactSha256: sha });
    const without = await store.createRun({ experimentId: exp.id });
    await svc.createRegisteredModel(req(CreateRegisteredModelRequestSchema, { name: "ml_classifier" }), CTX);

    const { modelVersion } = await svc.createModelVersion(
      req(CreateModelVersionRequestSchema, { name: "ml_classifier", runId: withArtifact.id }),
      CTX,
    );
    expect(modelVersion).toMatchObject({ artifactSha256: sha, runId: withArtifact.id });
    await expectError(
      svc.createModelVersion(
        req(CreateModelVersionRequestSchema, { name: "ml_classifier", runId: without.id }),
        CTX,
      ),
      "INVALID_ARGUMENT",
      "artifact_sha256",
    );
  });

  it("rejects missing artifacts, unknown runs and models, and malformed digests", async () => {
    const { svc } = await setup();
    await svc.createRegisteredModel(req(CreateRegisteredModelRequestSchema, { name: "ml_classifier" }), CTX);
    await expectError(
      svc.createModelVersion(
        req(CreateModelVersionRequestSchema, { name: "ml_classifier", artifactSha256: "c".repeat(64) }),
        CTX,
      ),
      "NOT_FOUND",
      "artifact_sha256",
    );
    await expectError(
      svc.createModelVersion(
        req(CreateModelVersionRequestSchema, { name: "ml_classifier", artifactSha256: "xyz" }),
        CTX,
      ),
      "INVALID_ARGUMENT",
      "artifact_sha256",
    );
    await expectError(
      svc.createModelVersion(req(CreateModelVersionRequestSchema, { name: "ml_classifier" }), CTX),
      "INVALID_ARGUMENT",
      "artifact_sha256",
    );
    await expectError(
      svc.createModelVersion(
        req(CreateModelVersionRequestSchema, { name: "ml_classifier", runId: "0".repeat(32) }),
        CTX,
      ),
      "NOT_FOUND",
    );
    await expectError(
      svc.createModelVersion(req(CreateModelVersionRequestSchema, { artifactSha256: "c".repeat(64) }), CTX),
      "INVALID_ARGUMENT",
      "name",
    );
  });

  it("reads, lists, searches, describes and tags versions", async () => {
    const { svc, store, sha } = await setup();
    await modelWithVersions(svc, sha, 3);
    await modelWithVersions(svc, sha, 1, "other_model");

    const versions: string[] = [];
    let pageToken = "";
    do {
      const page = await svc.listModelVersions(
        req(ListModelVersionsRequestSchema, { name: "ml_classifier", pageSize: 2, pageToken }),
        CTX,
      );
      versions.push(...(page.modelVersions ?? []).map((v) => v.version ?? ""));
      pageToken = page.nextPageToken ?? "";
    } while (pageToken !== "");
    expect(versions).toEqual(["1", "2", "3"]);

    await transition(svc, "2", Stage.STAGING);
    await svc.setModelAlias(
      req(SetModelAliasRequestSchema, { name: "ml_classifier", alias: "champion", version: "3" }),
      CTX,
    );
    const exp = await store.createExperiment({ name: "e" });
    const run = await store.createRun({ experimentId: exp.id });
    await svc.createModelVersion(
      req(CreateModelVersionRequestSchema, { name: "other_model", artifactSha256: sha, runId: run.id }),
      CTX,
    );
    const search = async (init: MessageInitShape<typeof SearchModelVersionsRequestSchema>) =>
      (
        (await svc.searchModelVersions(req(SearchModelVersionsRequestSchema, init), CTX)).modelVersions ?? []
      ).map((v) => `${v.name}/${v.version}`);
    expect(await search({ stage: Stage.STAGING })).toEqual(["ml_classifier/2"]);
    expect(await search({ alias: "champion" })).toEqual(["ml_classifier/3"]);
    expect(await search({ runId: run.id })).toEqual(["other_model/2"]);
    expect(await search({ name: "ml_classifier" })).toHaveLength(3);
    expect(await search({})).toHaveLength(5);

    const updated = await svc.updateModelVersion(
      req(UpdateModelVersionRequestSchema, { name: "ml_classifier", version: "1", description: "baseline" }),
      CTX,
    );
    expect(updated.modelVersion?.description).toBe("baseline");
    await svc.setModelVersionTag(
      req(SetModelVersionTagRequestSchema, { name: "ml_classifier", version: "1", key: "k", value: "v" }),
      CTX,
    );
    await svc.setModelVersionTag(
      req(SetModelVersionTagRequestSchema, { name: "ml_classifier", version: "1", key: "gone", value: "x" }),
      CTX,
    );
    await svc.deleteModelVersionTag(
      req(DeleteModelVersionTagRequestSchema, { name: "ml_classifier", version: "1", key: "gone" }),
      CTX,
    );
    const got = await svc.getModelVersion(
      req(GetModelVersionRequestSchema, { name: "ml_classifier", version: "1" }),
      CTX,
    );
    expect(got.modelVersion?.tags).toEqual({ k: "v" });
  });

  it("rejects malformed and unknown versions by code", async () => {
    const { svc, sha } = await setup();
    await modelWithVersions(svc, sha, 1);
    for (const version of ["abc", "0", "", "-1", "1.5"]) {
      await expectError(
        svc.getModelVersion(req(GetModelVersionRequestSchema, { name: "ml_classifier", version }), CTX),
        "INVALID_ARGUMENT",
        "version",
      );
    }
    await expectError(
      svc.getModelVersion(req(GetModelVersionRequestSchema, { name: "ml_classifier", version: "9" }), CTX),
      "NOT_FOUND",
    );
    await expectError(
      svc.getModelVersion(req(GetModelVersionRequestSchema, { name: "nope", version: "1" }), CTX),
      "NOT_FOUND",
    );
    await expectError(
      svc.listModelVersions(
        req(ListModelVersionsRequestSchema, { name: "ml_classifier", pageToken: "garbage" }),
        CTX,
      ),
      "INVALID_ARGUMENT",
      "page_token",
    );
  });
});

describe("stage transitions", () => {
  it("archives the previous Production version and audits every change with the caller", async () => {
    const ctx = await setup();
    await modelWithVersions(ctx.svc, ctx.sha, 2);
    ctx.setNow(10_000);
    const first = await transition(ctx.svc, "1", Stage.PRODUCTION);
    expect(first.modelVersion).toMatchObject({ version: "1", stage: Stage.PRODUCTION, updatedAtMs: 10_000n });
    expect(first.archivedVersions).toEqual([]);

    ctx.setNow(20_000);
    const second = await ctx.svc.transitionModelVersionStage(
      req(TransitionModelVersionStageRequestSchema, {
        name: "ml_classifier",
        version: "2",
        stage: Stage.PRODUCTION,
        archiveExistingVersions: true,
        comment: "better auc",
      }),
      { transport: "grpc", actor: "grace" },
    );
    expect(second.modelVersion).toMatchObject({ version: "2", stage: Stage.PRODUCTION });
    expect(second.archivedVersions?.map((v) => [v.version, v.stage])).toEqual([["1", Stage.ARCHIVED]]);

    const model = await ctx.svc.getRegisteredModel(
      req(GetRegisteredModelRequestSchema, { name: "ml_classifier" }),
      CTX,
    );
    expect(model.registeredModel?.latestVersions?.map((v) => [v.stage, v.version])).toEqual([
      [Stage.PRODUCTION, "2"],
      [Stage.ARCHIVED, "1"],
    ]);

    const { events } = await ctx.svc.listAuditEvents(
      req(ListAuditEventsRequestSchema, { name: "ml_classifier" }),
      CTX,
    );
    expect(
      events?.map((e) => ({
        type: e.type,
        version: e.version,
        actor: e.actor,
        at: e.createdAtMs,
        from: e.fromStage,
        to: e.toStage,
        comment: e.comment,
      })),
    ).toEqual([
      {
        type: AuditEventType.STAGE_TRANSITION,
        version: "1",
        actor: "ada",
        at: 10_000n,
        from: Stage.NONE,
        to: Stage.PRODUCTION,
        comment: "",
      },
      {
        type: AuditEventType.STAGE_TRANSITION,
        version: "2",
        actor: "grace",
        at: 20_000n,
        from: Stage.NONE,
        to: Stage.PRODUCTION,
        comment: "better auc",
      },
      {
        type: AuditEventType.STAGE_TRANSITION,
        version: "1",
        actor: "grace",
        at: 20_000n,
        from: Stage.PRODUCTION,
        to: Stage.ARCHIVED,
        comment: "better auc",
      },
    ]);
    expect(ctx.changes).toEqual(["ml_classifier", "ml_classifier"]);
  });

  it("rejects STAGE_UNSPECIFIED, same-stage moves and unknown versions without notifying", async () => {
    const { svc, sha, changes } = await setup();
    await modelWithVersions(svc, sha, 1);
    await expectError(transition(svc, "1", Stage.UNSPECIFIED), "INVALID_ARGUMENT", "stage");
    await expectError(transition(svc, "1", 42 as Stage), "INVALID_ARGUMENT", "stage");
    await expectError(transition(svc, "1", Stage.NONE), "FAILED_PRECONDITION");
    await expectError(transition(svc, "7", Stage.STAGING), "NOT_FOUND");
    await expectError(transition(svc, "x", Stage.STAGING), "INVALID_ARGUMENT", "version");
    expect(changes).toEqual([]);
  });

  it("ignores archive_existing_versions for STAGE_ARCHIVED and STAGE_NONE targets", async () => {
    const { svc, sha } = await setup();
    await modelWithVersions(svc, sha, 2);
    await transition(svc, "1", Stage.ARCHIVED);
    const res = await transition(svc, "2", Stage.ARCHIVED, true);
    expect(res.modelVersion?.stage).toBe(Stage.ARCHIVED);
    expect(res.archivedVersions).toEqual([]);
    expect((await transition(svc, "2", Stage.NONE, true)).modelVersion?.stage).toBe(Stage.NONE);
  });

  it("records an anonymous caller and survives a throwing onServingChange", async () => {
    const warn = vi.spyOn(process, "emitWarning").mockImplementation(() => {});
    try {
      const { svc, sha } = await setup({
        onServingChange: () => {
          throw new Error("reload failed");
        },
      });
      await modelWithVersions(svc, sha, 1);
      const res = await svc.transitionModelVersionStage(
        req(TransitionModelVersionStageRequestSchema, {
          name: "ml_classifier",
          version: "1",
          stage: Stage.STAGING,
        }),
        { transport: "rest", actor: "" },
      );
      expect(res.modelVersion?.stage).toBe(Stage.STAGING);
      expect(warn).toHaveBeenCalledTimes(1);
      const { events } = await svc.listAuditEvents(req(ListAuditEventsRequestSchema, {}), CTX);
      expect(events?.map((e) => e.actor)).toEqual([ANONYMOUS_ACTOR]);
    } finally {
      warn.mockRestore();
    }
  });
});

describe("aliases and the audit trail", () => {
  it("sets, moves, resolves and deletes aliases, notifying and auditing each change", async () => {
    const { svc, sha, changes } = await setup();
    await modelWithVersions(svc, sha, 2);
    const set = await svc.setModelAlias(
      req(SetModelAliasRequestSchema, { name: "ml_classifier", alias: "champion", version: "1" }),
      CTX,
    );
    expect(set.modelVersion).toMatchObject({ version: "1", aliases: ["champion"] });
    await svc.setModelAlias(
      req(SetModelAliasRequestSchema, { name: "ml_classifier", alias: "champion", version: "2" }),
      CTX,
    );
    const model = await svc.getRegisteredModel(
      req(GetRegisteredModelRequestSchema, { name: "ml_classifier" }),
      CTX,
    );
    expect(model.registeredModel?.aliases).toEqual({ champion: "2" });
    const resolved = await svc.getModelVersionByAlias(
      req(GetModelVersionByAliasRequestSchema, { name: "ml_classifier", alias: "champion" }),
      CTX,
    );
    expect(resolved.modelVersion).toMatchObject({ version: "2", aliases: ["champion"] });

    await svc.deleteModelAlias(
      req(DeleteModelAliasRequestSchema, { name: "ml_classifier", alias: "champion" }),
      CTX,
    );
    await expectError(
      svc.deleteModelAlias(
        req(DeleteModelAliasRequestSchema, { name: "ml_classifier", alias: "champion" }),
        CTX,
      ),
      "NOT_FOUND",
    );
    await expectError(
      svc.getModelVersionByAlias(
        req(GetModelVersionByAliasRequestSchema, { name: "ml_classifier", alias: "champion" }),
        CTX,
      ),
      "NOT_FOUND",
    );
    await expectError(
      svc.setModelAlias(req(SetModelAliasRequestSchema, { name: "ml_classifier", version: "1" }), CTX),
      "INVALID_ARGUMENT",
      "alias",
    );
    expect(changes).toEqual(["ml_classifier", "ml_classifier", "ml_classifier"]);

    const { events } = await svc.listAuditEvents(
      req(ListAuditEventsRequestSchema, { name: "ml_classifier", type: AuditEventType.UNSPECIFIED }),
      CTX,
    );
    expect(events?.map((e) => [e.type, e.alias, e.fromVersion, e.toVersion, e.version, e.actor])).toEqual([
      [AuditEventType.ALIAS_SET, "champion", "", "1", "1", "ada"],
      [AuditEventType.ALIAS_SET, "champion", "1", "2", "2", "ada"],
      [AuditEventType.ALIAS_DELETED, "champion", "2", "", "2", "ada"],
    ]);
  });

  it("filters audit events by type and version and pages them oldest first", async () => {
    const { svc, sha } = await setup();
    await modelWithVersions(svc, sha, 2);
    await transition(svc, "1", Stage.STAGING);
    await svc.setModelAlias(
      req(SetModelAliasRequestSchema, { name: "ml_classifier", alias: "champion", version: "1" }),
      CTX,
    );
    await transition(svc, "2", Stage.STAGING);
    await transition(svc, "1", Stage.PRODUCTION);

    const list = (init: MessageInitShape<typeof ListAuditEventsRequestSchema>) =>
      svc.listAuditEvents(req(ListAuditEventsRequestSchema, init), CTX);
    const stages = await list({ type: AuditEventType.STAGE_TRANSITION });
    expect(stages.events?.map((e) => `${e.version}:${e.toStage}`)).toEqual([
      `1:${Stage.STAGING}`,
      `2:${Stage.STAGING}`,
      `1:${Stage.PRODUCTION}`,
    ]);
    const v1 = await list({ name: "ml_classifier", version: "1" });
    expect(v1.events?.map((e) => e.type)).toEqual([
      AuditEventType.STAGE_TRANSITION,
      AuditEventType.ALIAS_SET,
      AuditEventType.STAGE_TRANSITION,
    ]);

    const ids: string[] = [];
    let pageToken = "";
    do {
      const page = await list({ pageSize: 3, pageToken });
      ids.push(...(page.events ?? []).map((e) => e.id ?? ""));
      pageToken = page.nextPageToken ?? "";
    } while (pageToken !== "");
    expect(ids.map(Number)).toEqual([1, 2, 3, 4]);

    await expectError(list({ version: "1" }), "INVALID_ARGUMENT", "name");
    await expectError(list({ type: 99 as AuditEventType }), "INVALID_ARGUMENT", "type");
  });
});
