import { describe, expect, it } from "vitest";
import type { Store } from "../../src/store/index.js";
import { expectCode, openTempStore, SHA_A, SHA_B } from "./helpers.js";

const ACTOR = { actor: "ada" };

async function modelWithVersions(store: Store, count: number, name = "ml_classifier"): Promise<void> {
  await store.createRegisteredModel({ name });
  for (let i = 0; i < count; i++) await store.createModelVersion({ name, artifactSha256: SHA_A });
}

describe("registered models", () => {
  it("creates, reads, updates and tags a model", async () => {
    let now = 100;
    const store = await openTempStore({ now: () => now });
    const created = await store.createRegisteredModel({
      name: "ml_classifier",
      description: "d",
      tags: { a: "1" },
    });
    expect(created).toEqual({
      name: "ml_classifier",
      description: "d",
      tags: { a: "1" },
      aliases: {},
      createdAtMs: 100,
      updatedAtMs: 100,
      latestVersions: [],
    });
    now = 200;
    expect(await store.updateRegisteredModel("ml_classifier", { description: "better" })).toMatchObject({
      description: "better",
      createdAtMs: 100,
      updatedAtMs: 200,
    });
    await store.setRegisteredModelTag("ml_classifier", "a", "2");
    await store.setRegisteredModelTag("ml_classifier", "b", "3");
    await store.deleteRegisteredModelTag("ml_classifier", "a");
    expect((await store.getRegisteredModel("ml_classifier")).tags).toEqual({ b: "3" });
    await expectCode(store.deleteRegisteredModelTag("ml_classifier", "a"), "NOT_FOUND");
  });

  it("lists models by name in pages", async () => {
    const store = await openTempStore();
    for (const name of ["c", "a", "e", "b", "d"]) await store.createRegisteredModel({ name });
    const first = await store.listRegisteredModels({ limit: 2 });
    expect(first.items.map((m) => m.name)).toEqual(["a", "b"]);
    const second = await store.listRegisteredModels({ limit: 2, pageToken: first.nextPageToken! });
    expect(second.items.map((m) => m.name)).toEqual(["c", "d"]);
    const third = await store.listRegisteredModels({ limit: 2, pageToken: second.nextPageToken! });
    expect(third).toMatchObject({ nextPageToken: null });
    expect(third.items.map((m) => m.name)).toEqual(["e"]);
    expect((await store.listRegisteredModels()).items).toHaveLength(5);
  });

  it("rejects bad names, duplicates and unknown models by code", async () => {
    const store = await openTempStore();
    await store.createRegisteredModel({ name: "m" });
    await expectCode(store.createRegisteredModel({ name: "m" }), "ALREADY_EXISTS");
    for (const name of ["", "1abc", "has space", "a/b", "x".repeat(129)]) {
      await expectCode(store.createRegisteredModel({ name }), "INVALID_ARGUMENT");
    }
    await expectCode(store.getRegisteredModel("nope"), "NOT_FOUND");
    await expectCode(store.updateRegisteredModel("nope", { description: "" }), "NOT_FOUND");
    await expectCode(store.setRegisteredModelTag("nope", "k", "v"), "NOT_FOUND");
    await expectCode(store.listModelVersions("nope"), "NOT_FOUND");
    await expectCode(store.createModelVersion({ name: "nope", artifactSha256: SHA_A }), "NOT_FOUND");
  });
});

describe("model versions", () => {
  it("numbers versions per model and stores their fields", async () => {
    const store = await openTempStore({ now: () => 42 });
    await store.createRegisteredModel({ name: "m1" });
    await store.createRegisteredModel({ name: "m2" });
    const run = await store.createRun({ experimentId: "0" });
    const v1 = await store.createModelVersion({
      name: "m1",
      artifactSha256: SHA_A,
      runId: run.id,
      source: `runs:/${run.id}/model`,
      description: "first",
      tags: { framework: "gbdt" },
    });
    expect(v1).toEqual({
      name: "m1",
      version: 1,
      runId: run.id,
      source: `runs:/${run.id}/model`,
      artifactSha256: SHA_A,
      stage: "None",
      aliases: [],
      tags: { framework: "gbdt" },
      description: "first",
      status: "READY",
      createdAtMs: 42,
      updatedAtMs: 42,
    });
    expect((await store.createModelVersion({ name: "m2", artifactSha256: SHA_B })).version).toBe(1);
    const v2 = await store.createModelVersion({ name: "m1", artifactSha256: SHA_B });
    expect(v2).toMatchObject({ version: 2, runId: null, source: `sha256:${SHA_B}` });
    expect(await store.getModelVersion("m1", 1)).toEqual(v1);
    expect((await store.listModelVersions("m1")).map((v) => v.version)).toEqual([1, 2]);

    await expectCode(store.getModelVersion("m1", 3), "NOT_FOUND");
    await expectCode(store.getModelVersion("nope", 1), "NOT_FOUND");
    await expectCode(store.getModelVersion("m1", 0), "INVALID_ARGUMENT");
    await expectCode(store.createModelVersion({ name: "m1", artifactSha256: "abc" }), "INVALID_ARGUMENT");
    await expectCode(
      store.createModelVersion({ name: "m1", artifactSha256: SHA_A, runId: "e".repeat(32) }),
      "NOT_FOUND",
    );
  });

  it("updates descriptions and tags, bumping updatedAtMs", async () => {
    let now = 1;
    const store = await openTempStore({ now: () => now });
    await modelWithVersions(store, 1, "m");
    now = 2;
    expect(await store.updateModelVersion("m", 1, { description: "tuned" })).toMatchObject({
      description: "tuned",
      createdAtMs: 1,
      updatedAtMs: 2,
    });
    await store.setModelVersionTag("m", 1, "k", "v");
    await store.setModelVersionTag("m", 1, "k", "w");
    await store.setModelVersionTag("m", 1, "j", "x");
    await store.deleteModelVersionTag("m", 1, "j");
    expect((await store.getModelVersion("m", 1)).tags).toEqual({ k: "w" });
    await expectCode(store.deleteModelVersionTag("m", 1, "j"), "NOT_FOUND");
    await expectCode(store.setModelVersionTag("m", 9, "k", "v"), "NOT_FOUND");
    await expectCode(store.updateModelVersion("m", 9, { description: "" }), "NOT_FOUND");
    expect((await store.getRegisteredModel("m")).updatedAtMs).toBe(2);
  });

  it("searches versions by name, stage, alias and run, in pages", async () => {
    const store = await openTempStore();
    const run = await store.createRun({ experimentId: "0" });
    await modelWithVersions(store, 3, "a");
    await modelWithVersions(store, 2, "b");
    await store.createModelVersion({ name: "b", artifactSha256: SHA_B, runId: run.id });
    await store.transitionStage("a", 2, "Production", ACTOR);
    await store.transitionStage("b", 3, "production", ACTOR);
    await store.setAlias("a", "champion", 1, ACTOR);

    const key = (v: { name: string; version: number }) => `${v.name}/${v.version}`;
    const all: string[] = [];
    let token: string | undefined;
    do {
      const page = await store.searchModelVersions({ limit: 4, pageToken: token });
      all.push(...page.items.map(key));
      token = page.nextPageToken ?? undefined;
    } while (token);
    expect(all).toEqual(["a/3", "a/2", "a/1", "b/3", "b/2", "b/1"]);

    expect((await store.searchModelVersions({ stage: "PRODUCTION" })).items.map(key)).toEqual(["a/2", "b/3"]);
    expect((await store.searchModelVersions({ name: "b", stage: "None" })).items.map(key)).toEqual([
      "b/2",
      "b/1",
    ]);
    expect((await store.searchModelVersions({ alias: "champion" })).items.map(key)).toEqual(["a/1"]);
    expect((await store.searchModelVersions({ runId: run.id })).items.map(key)).toEqual(["b/3"]);
    expect((await store.searchModelVersions({ name: "zzz" })).items).toEqual([]);
    await expectCode(store.searchModelVersions({ stage: "Prod" }), "INVALID_ARGUMENT");
  });
});

describe("stage transitions", () => {
  it("moves a version and audits who, when, from and to", async () => {
    let now = 1000;
    const store = await openTempStore({ now: () => now });
    await modelWithVersions(store, 1);
    now = 2000;
    const v = await store.transitionStage("ml_classifier", 1, "staging", {
      actor: "ada",
      comment: "looks good",
    });
    expect(v).toMatchObject({ stage: "Staging", updatedAtMs: 2000 });
    now = 3000;
    await store.transitionStage("ml_classifier", 1, "Production", { actor: "bob" });
    expect(await store.listAuditEvents()).toEqual([
      {
        id: 2,
        at: 3000,
        actor: "bob",
        entity: "model_version",
        name: "ml_classifier",
        version: 1,
        action: "stage",
        from: "Staging",
        to: "Production",
      },
      {
        id: 1,
        at: 2000,
        actor: "ada",
        entity: "model_version",
        name: "ml_classifier",
        version: 1,
        action: "stage",
        from: "None",
        to: "Staging",
        comment: "looks good",
      },
    ]);
  });

  it("archives the versions already in the target stage, in one audited transaction", async () => {
    const store = await openTempStore();
    await modelWithVersions(store, 4);
    await store.transitionStage("ml_classifier", 1, "Production", ACTOR);
    await store.transitionStage("ml_classifier", 2, "Production", ACTOR); // without archiving: two in Production
    await store.transitionStage("ml_classifier", 3, "Staging", ACTOR);
    const before = (await store.listAuditEvents()).length;

    await store.transitionStage("ml_classifier", 4, "Production", { actor: "carol", archiveExisting: true });
    const stages = (await store.listModelVersions("ml_classifier")).map((v) => v.stage);
    expect(stages).toEqual(["Archived", "Archived", "Staging", "Production"]);
    const events = (await store.listAuditEvents({ name: "ml_classifier" })).slice(0, 3).reverse();
    expect(events.map((e) => [e.version, e.from, e.to, e.actor])).toEqual([
      [4, "None", "Production", "carol"],
      [1, "Production", "Archived", "carol"],
      [2, "Production", "Archived", "carol"],
    ]);
    expect(new Set(events.map((e) => e.at)).size).toBe(1);
    expect(await store.listAuditEvents()).toHaveLength(before + 3);

    const model = await store.getRegisteredModel("ml_classifier");
    expect(model.latestVersions!.map((v) => [v.stage, v.version])).toEqual([
      ["Staging", 3],
      ["Production", 4],
      ["Archived", 2],
    ]);
  });

  it("refuses a same-stage transition, bad stages and archiving into inactive stages", async () => {
    const store = await openTempStore();
    await modelWithVersions(store, 2);
    await expectCode(store.transitionStage("ml_classifier", 1, "None", ACTOR), "FAILED_PRECONDITION");
    await store.transitionStage("ml_classifier", 1, "Staging", ACTOR);
    await expectCode(store.transitionStage("ml_classifier", 1, "staging", ACTOR), "FAILED_PRECONDITION");
    await expectCode(store.transitionStage("ml_classifier", 1, "Live", ACTOR), "INVALID_ARGUMENT");
    await expectCode(
      store.transitionStage("ml_classifier", 2, "Archived", { actor: "a", archiveExisting: true }),
      "INVALID_ARGUMENT",
    );
    await expectCode(
      store.transitionStage("ml_classifier", 2, "Staging", { actor: " " }),
      "INVALID_ARGUMENT",
    );
    await expectCode(store.transitionStage("ml_classifier", 7, "Staging", ACTOR), "NOT_FOUND");
    await expectCode(store.transitionStage("unknown", 1, "Staging", ACTOR), "NOT_FOUND");
    // Refusals leave no trace.
    expect(await store.listAuditEvents()).toHaveLength(1);
    expect((await store.getModelVersion("ml_classifier", 2)).stage).toBe("None");
  });
});

describe("aliases", () => {
  it("sets, moves, resolves and deletes aliases, auditing each change", async () => {
    const store = await openTempStore();
    await modelWithVersions(store, 3);
    await store.setAlias("ml_classifier", "champion", 1, { actor: "ada", comment: "first" });
    expect((await store.resolveAlias("ml_classifier", "champion")).version).toBe(1);
    await store.setAlias("ml_classifier", "champion", 1, ACTOR); // unchanged: not audited
    await store.setAlias("ml_classifier", "champion", 3, { actor: "bob" });
    await store.setAlias("ml_classifier", "challenger", 2, ACTOR);

    expect(await store.resolveAlias("ml_classifier", "champion")).toMatchObject({
      version: 3,
      aliases: ["champion"],
    });
    expect((await store.getModelVersion("ml_classifier", 1)).aliases).toEqual([]);
    expect((await store.getRegisteredModel("ml_classifier")).aliases).toEqual({ champion: 3, challenger: 2 });

    await store.deleteAlias("ml_classifier", "challenger", { actor: "carol" });
    await expectCode(store.resolveAlias("ml_classifier", "challenger"), "NOT_FOUND");
    await expectCode(store.deleteAlias("ml_classifier", "challenger", ACTOR), "NOT_FOUND");

    const events = (await store.listAuditEvents()).reverse();
    expect(events.map((e) => [e.entity, e.action, e.alias, e.version, e.from, e.to, e.actor])).toEqual([
      ["alias", "alias_set", "champion", 1, null, "1", "ada"],
      ["alias", "alias_set", "champion", 3, "1", "3", "bob"],
      ["alias", "alias_set", "challenger", 2, null, "2", "ada"],
      ["alias", "alias_delete", "challenger", 2, "2", null, "carol"],
    ]);
    expect(events[0]?.comment).toBe("first");
  });

  it("validates alias names and targets", async () => {
    const store = await openTempStore();
    await modelWithVersions(store, 1);
    for (const alias of ["v1", "V12", "7", "latest", "has space", ""]) {
      await expectCode(store.setAlias("ml_classifier", alias, 1, ACTOR), "INVALID_ARGUMENT");
    }
    await expectCode(store.setAlias("ml_classifier", "champion", 2, ACTOR), "NOT_FOUND");
    await expectCode(store.setAlias("nope", "champion", 1, ACTOR), "NOT_FOUND");
    await expectCode(store.resolveAlias("nope", "champion"), "NOT_FOUND");
    await expectCode(store.setAlias("ml_classifier", "champion", 1, { actor: "" }), "INVALID_ARGUMENT");
  });
});

describe("audit listing", () => {
  it("filters by model and limits, newest first", async () => {
    const store = await openTempStore();
    await modelWithVersions(store, 1, "a");
    await modelWithVersions(store, 1, "b");
    await store.transitionStage("a", 1, "Staging", ACTOR);
    await store.transitionStage("b", 1, "Staging", ACTOR);
    await store.transitionStage("a", 1, "Production", ACTOR);
    expect((await store.listAuditEvents({ name: "a" })).map((e) => e.to)).toEqual(["Production", "Staging"]);
    expect((await store.listAuditEvents({ limit: 1 })).map((e) => [e.name, e.to])).toEqual([
      ["a", "Production"],
    ]);
    await expectCode(store.listAuditEvents({ limit: 5000 }), "INVALID_ARGUMENT");
  });
});
