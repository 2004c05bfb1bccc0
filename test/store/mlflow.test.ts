// The store's parts behind MLflow's API (migration 0004_mlflow): the artifact tree, logged models,
// run inputs and outputs, registered-model rename, and versions that cannot be served.
import { describe, expect, it } from "vitest";
import { expectCode, openTempStore, SHA_A, SHA_B } from "./helpers.js";

const ACTOR = { actor: "test" };

describe("artifact tree", () => {
  it("points paths at digests, lists a folder's files, replaces and deletes by file or folder", async () => {
    const store = await openTempStore();
    await store.putArtifactFile({ path: "1/r/artifacts/model/MLmodel", sha256: SHA_A, size: 10 });
    await store.putArtifactFile({ path: "1/r/artifacts/model/model.xgb", sha256: SHA_B, size: 20 });
    await store.putArtifactFile({ path: "1/r/artifacts/model_card.md", sha256: SHA_A, size: 10 });
    expect((await store.listArtifactFiles("1/r/artifacts/model")).map((f) => f.path)).toEqual([
      "1/r/artifacts/model/MLmodel",
      "1/r/artifacts/model/model.xgb",
    ]);
    // A prefix is a folder only at a "/": "model" does not take in "model_card.md"; no LIKE wildcards.
    expect(await store.listArtifactFiles("1/r/artifacts/mode")).toEqual([]);
    expect(await store.listArtifactFiles("1/r/artifacts/model%")).toEqual([]);
    expect((await store.listArtifactFiles("")).length).toBe(3);
    const replaced = await store.putArtifactFile({
      path: "1/r/artifacts/model/MLmodel",
      sha256: SHA_B,
      size: 3,
    });
    expect((await store.getArtifactFile(replaced.path)).sha256).toBe(SHA_B);
    expect(await store.referencedArtifacts()).toEqual(new Set([SHA_A, SHA_B]));
    expect(await store.deleteArtifactFiles("1/r/artifacts/model")).toBe(2);
    expect(await store.deleteArtifactFiles("1/r/artifacts/model")).toBe(0);
    await expectCode(store.getArtifactFile("1/r/artifacts/model/MLmodel"), "NOT_FOUND");
  });

  it("refuses bad paths and a path that is both a file and a folder", async () => {
    const store = await openTempStore();
    for (const path of ["", "/abs", "a//b", "a/../b", "a/./b", "a\\b", "a/\u0001"]) {
      await expectCode(store.putArtifactFile({ path, sha256: SHA_A, size: 1 }), "INVALID_ARGUMENT");
    }
    await store.putArtifactFile({ path: "a/b", sha256: SHA_A, size: 1 });
    await expectCode(store.putArtifactFile({ path: "a/b/c", sha256: SHA_A, size: 1 }), "INVALID_ARGUMENT");
    await expectCode(store.putArtifactFile({ path: "a", sha256: SHA_A, size: 1 }), "INVALID_ARGUMENT");
  });
});

describe("logged models", () => {
  it("create, tags, params (immutable), finalize, search newest first, delete", async () => {
    const store = await openTempStore();
    const run = await store.createRun({ experimentId: "0" });
    const a = await store.createLoggedModel({ experimentId: "0", sourceRunId: run.id, params: { p: "1" } });
    expect(a).toMatchObject({ name: "model", status: "PENDING", sourceRunId: run.id, params: { p: "1" } });
    expect(a.id).toMatch(/^m-[0-9a-f]{32}$/);
    const b = await store.createLoggedModel({ experimentId: "0", name: "other" });
    await store.setLoggedModelTags(a.id, { t: "x" });
    await store.logLoggedModelParams(a.id, { p: "1", q: "2" });
    await expectCode(store.logLoggedModelParams(a.id, { p: "9" }), "INVALID_ARGUMENT");
    await store.deleteLoggedModelTag(a.id, "t");
    await expectCode(store.deleteLoggedModelTag(a.id, "t"), "NOT_FOUND");
    expect((await store.finalizeLoggedModel(a.id, "READY")).status).toBe("READY");
    await expectCode(store.finalizeLoggedModel(a.id, "PENDING"), "INVALID_ARGUMENT");
    const page = await store.searchLoggedModels({ experimentIds: ["0"], limit: 1 });
    expect(page.items).toHaveLength(1);
    const next = await store.searchLoggedModels({
      experimentIds: ["0"],
      pageToken: page.nextPageToken ?? "",
    });
    expect([...page.items, ...next.items].map((m) => m.id).sort()).toEqual([a.id, b.id].sort());
    await store.deleteLoggedModel(b.id);
    await expectCode(store.getLoggedModel(b.id), "NOT_FOUND");
    await expectCode(store.createLoggedModel({ experimentId: "42" }), "NOT_FOUND");
  });

  it("runs record the datasets they read and the models they produced", async () => {
    const store = await openTempStore();
    const run = await store.createRun({ experimentId: "0" });
    const model = await store.createLoggedModel({ experimentId: "0" });
    const dataset = {
      name: "train",
      digest: "d1",
      sourceType: "local",
      source: "{}",
      schema: "",
      profile: "",
    };
    await store.logInputs(run.id, [{ ...dataset, tags: { "mlflow.data.context": "train" } }]);
    await store.logInputs(run.id, [{ ...dataset, tags: { "mlflow.data.context": "eval" } }]);
    await store.logOutputs(run.id, [{ modelId: model.id, step: 3 }]);
    await expectCode(store.logOutputs(run.id, [{ modelId: `m-${"0".repeat(32)}`, step: 0 }]), "NOT_FOUND");
    const got = await store.getRun(run.id);
    expect(got.inputs).toEqual([{ ...dataset, tags: { "mlflow.data.context": "eval" } }]);
    expect(got.outputs).toEqual([{ modelId: model.id, step: 3 }]);
  });
});

describe("registered-model rename", () => {
  it("moves versions, tags, aliases and the audit history to the new name", async () => {
    const store = await openTempStore();
    await store.createRegisteredModel({ name: "old", description: "d", tags: { t: "1" } });
    const v1 = await store.createModelVersion({ name: "old", artifactSha256: SHA_A, tags: { vt: "x" } });
    await store.createModelVersion({ name: "old", artifactSha256: SHA_B });
    await store.setAlias("old", "champion", v1.version, ACTOR);
    await store.transitionStage("old", 2, "Production", ACTOR);
    const renamed = await store.renameRegisteredModel("old", "new");
    expect(renamed).toMatchObject({
      name: "new",
      description: "d",
      tags: { t: "1" },
      aliases: { champion: 1 },
    });
    expect((await store.listModelVersions("new")).map((v) => [v.version, v.stage, v.tags])).toEqual([
      [1, "None", { vt: "x" }],
      [2, "Production", {}],
    ]);
    await expectCode(store.getRegisteredModel("old"), "NOT_FOUND");
    expect((await store.listAuditEvents({ name: "new" })).length).toBe(2);
    // Numbering continues.
    expect((await store.createModelVersion({ name: "new", artifactSha256: SHA_A })).version).toBe(3);
    await store.createRegisteredModel({ name: "taken" });
    await expectCode(store.renameRegisteredModel("new", "taken"), "ALREADY_EXISTS");
  });
});

describe("unservable versions", () => {
  it("register with no artifact and a reason, and cannot go to Production", async () => {
    const store = await openTempStore();
    await store.createRegisteredModel({ name: "m" });
    const v = await store.createModelVersion({
      name: "m",
      artifactSha256: "",
      unservableReason: "a pickle",
      source: "mlflow-artifacts:/0/r/artifacts/model",
    });
    expect(v).toMatchObject({ artifactSha256: "", unservableReason: "a pickle" });
    await expectCode(store.transitionStage("m", v.version, "Production", ACTOR), "FAILED_PRECONDITION");
    expect((await store.transitionStage("m", v.version, "Staging", ACTOR)).stage).toBe("Staging");
    await expectCode(store.createModelVersion({ name: "m", artifactSha256: "" }), "INVALID_ARGUMENT");
    expect(await store.referencedArtifacts()).toEqual(new Set());
  });

  it("experiment tags can be deleted", async () => {
    const store = await openTempStore();
    await store.setExperimentTag("0", "k", "v");
    await store.deleteExperimentTag("0", "k");
    expect((await store.getExperiment("0")).tags).toEqual({});
    await expectCode(store.deleteExperimentTag("0", "k"), "NOT_FOUND");
  });
});
