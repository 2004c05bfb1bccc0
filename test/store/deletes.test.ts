// Deletes (issue 9): soft delete and restore of runs and experiments, deletes of model versions and
// registered models, gc's purge and artifact references. On the real SQLite store.
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { openSqliteStore, type Store } from "../../src/store/index.js";
import { expectCode, openTempStore, SHA_A, SHA_B, tempDir } from "./helpers.js";

const WHO = { actor: "alice" };
const SHA_C = "c".repeat(64);

/** A clock the test moves by hand. */
function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

async function runIds(store: Store, experimentIds: string[], view?: "active" | "deleted" | "all") {
  return (await store.searchRuns({ experimentIds, view, order: "asc" })).items.map((r) => r.id);
}

describe("runs: soft delete and restore", () => {
  it("hides a deleted run from default searches, keeps it readable, and restores it", async () => {
    const store = await openTempStore();
    const e = await store.createExperiment({ name: "exp" });
    const keep = await store.createRun({ experimentId: e.id, startTimeMs: 1 });
    const gone = await store.createRun({ experimentId: e.id, startTimeMs: 2 });
    expect(gone.lifecycleStage).toBe("active");

    const deleted = await store.deleteRun(gone.id, WHO);
    expect(deleted.lifecycleStage).toBe("deleted");
    expect(deleted.deletedAtMs).toBeGreaterThan(0);
    expect(await runIds(store, [e.id])).toEqual([keep.id]);
    expect(await runIds(store, [e.id], "deleted")).toEqual([gone.id]);
    expect(await runIds(store, [e.id], "all")).toEqual([keep.id, gone.id]);
    expect((await store.getRun(gone.id)).lifecycleStage).toBe("deleted");

    const restored = await store.restoreRun(gone.id, WHO);
    expect(restored.lifecycleStage).toBe("active");
    expect(restored.deletedAtMs).toBeUndefined();
    expect(await runIds(store, [e.id])).toEqual([keep.id, gone.id]);
  });

  it("refuses writes to a deleted run, a second delete and restoring an active run", async () => {
    const store = await openTempStore();
    const run = await store.createRun({ experimentId: "0" });
    await store.logParam(run.id, "lr", "0.1");
    await store.deleteRun(run.id, WHO);
    await expectCode(store.logParam(run.id, "depth", "3"), "FAILED_PRECONDITION");
    await expectCode(store.logMetric(run.id, { key: "acc", value: 1 }), "FAILED_PRECONDITION");
    await expectCode(store.setRunTag(run.id, "k", "v"), "FAILED_PRECONDITION");
    await expectCode(store.deleteRunTag(run.id, "k"), "FAILED_PRECONDITION");
    await expectCode(store.updateRun(run.id, { status: "FINISHED" }), "FAILED_PRECONDITION");
    await expectCode(store.deleteRun(run.id, WHO), "FAILED_PRECONDITION");
    // What it had is kept.
    expect((await store.getRun(run.id)).params).toEqual({ lr: "0.1" });
    await store.restoreRun(run.id, WHO);
    await expectCode(store.restoreRun(run.id, WHO), "FAILED_PRECONDITION");
    await store.logParam(run.id, "depth", "3");
  });

  it("checks its arguments and names a missing run", async () => {
    const store = await openTempStore();
    await expectCode(store.deleteRun("nope", WHO), "INVALID_ARGUMENT");
    await expectCode(store.deleteRun("0".repeat(32), WHO), "NOT_FOUND");
    await expectCode(store.restoreRun("0".repeat(32), WHO), "NOT_FOUND");
    const run = await store.createRun({ experimentId: "0" });
    await expectCode(store.deleteRun(run.id, { actor: " " }), "INVALID_ARGUMENT");
    await expectCode(store.searchRuns({ experimentIds: ["0"], view: "gone" as never }), "INVALID_ARGUMENT");
  });

  it("records delete and restore in the audit log with the actor and the run's experiment", async () => {
    const c = clock();
    const store = await openTempStore({ now: c.now });
    const run = await store.createRun({ experimentId: "0" });
    await store.deleteRun(run.id, { actor: "alice", comment: "typo" });
    c.advance(5);
    await store.restoreRun(run.id, { actor: "bob" });
    const events = await store.listAuditEvents({ runId: run.id });
    expect(events.map((e) => [e.entity, e.action, e.actor, e.from, e.to, e.runId, e.experimentId])).toEqual([
      ["run", "restore", "bob", "deleted", "active", run.id, "0"],
      ["run", "delete", "alice", "active", "deleted", run.id, "0"],
    ]);
    expect(events[1]?.comment).toBe("typo");
    expect((await store.listAuditEvents({ experimentId: "0" })).length).toBe(2);
    // Registry history is not mixed in: model-name filters see none of these.
    expect(await store.listAuditEvents({ name: "ml_classifier" })).toEqual([]);
  });
});

describe("experiments: soft delete and restore", () => {
  it("takes its active runs along, keeps the name taken, and restores only what it took", async () => {
    const c = clock();
    const store = await openTempStore({ now: c.now });
    const e = await store.createExperiment({ name: "exp" });
    const a = await store.createRun({ experimentId: e.id, startTimeMs: 1 });
    const b = await store.createRun({ experimentId: e.id, startTimeMs: 2 });
    await store.deleteRun(a.id, WHO); // deleted on its own, earlier
    c.advance(10);

    const deleted = await store.deleteExperiment(e.id, WHO);
    expect(deleted.lifecycleStage).toBe("deleted");
    expect(deleted.deletedAtMs).toBe(c.now());
    expect((await store.getRun(b.id)).lifecycleStage).toBe("deleted");
    expect((await store.listExperiments()).map((x) => x.name)).toEqual(["Default"]);
    expect((await store.listExperiments({ view: "deleted" })).map((x) => x.name)).toEqual(["exp"]);
    expect((await store.listExperiments({ view: "all" })).map((x) => x.name)).toEqual(["Default", "exp"]);
    expect((await store.getExperimentByName("exp")).lifecycleStage).toBe("deleted");
    await expectCode(store.createExperiment({ name: "exp" }), "ALREADY_EXISTS");
    await expectCode(store.createRun({ experimentId: e.id }), "FAILED_PRECONDITION");
    await expectCode(store.restoreRun(b.id, WHO), "FAILED_PRECONDITION");
    await expectCode(store.deleteExperiment(e.id, WHO), "FAILED_PRECONDITION");

    c.advance(10);
    const restored = await store.restoreExperiment(e.id, WHO);
    expect(restored.lifecycleStage).toBe("active");
    expect(restored.deletedAtMs).toBeUndefined();
    expect(await runIds(store, [e.id])).toEqual([b.id]);
    expect(await runIds(store, [e.id], "deleted")).toEqual([a.id]);
    await expectCode(store.restoreExperiment(e.id, WHO), "FAILED_PRECONDITION");

    const events = await store.listAuditEvents({ experimentId: e.id });
    expect(events.map((x) => `${x.entity} ${x.action}`)).toEqual([
      "experiment restore",
      "experiment delete",
      "run delete",
    ]);
  });

  it("refuses to delete the Default experiment", async () => {
    const store = await openTempStore();
    await expectCode(store.deleteExperiment("0", WHO), "FAILED_PRECONDITION");
    await expectCode(store.deleteExperiment("42", WHO), "NOT_FOUND");
    await expectCode(store.deleteExperiment("x", WHO), "INVALID_ARGUMENT");
    await expectCode(store.listExperiments({ view: "trash" as never }), "INVALID_ARGUMENT");
  });
});

async function modelWithVersions(store: Store, name: string, shas: string[]) {
  await store.createRegisteredModel({ name });
  for (const artifactSha256 of shas) await store.createModelVersion({ name, artifactSha256 });
}

describe("model versions and registered models: delete", () => {
  it("deletes a version with its tags and aliases, audited, and never reuses its number", async () => {
    const store = await openTempStore();
    await modelWithVersions(store, "m", [SHA_A, SHA_B, SHA_C]);
    await store.setModelVersionTag("m", 3, "k", "v");
    await store.setAlias("m", "champion", 3, WHO);
    await store.transitionStage("m", 3, "Archived", WHO);

    await store.deleteModelVersion("m", 3, { actor: "alice", comment: "bad data" });
    await expectCode(store.getModelVersion("m", 3), "NOT_FOUND");
    await expectCode(store.resolveAlias("m", "champion"), "NOT_FOUND");
    expect((await store.listModelVersions("m")).map((v) => v.version)).toEqual([1, 2]);
    expect((await store.getRegisteredModel("m")).aliases).toEqual({});
    expect((await store.createModelVersion({ name: "m", artifactSha256: SHA_C })).version).toBe(4);

    const events = await store.listAuditEvents({ name: "m", limit: 3 });
    expect(events.map((e) => [e.entity, e.action, e.version, e.from, e.to, e.actor])).toEqual([
      ["model_version", "delete", 3, "Archived", null, "alice"],
      ["alias", "alias_delete", 3, "3", null, "alice"],
      ["model_version", "stage", 3, "None", "Archived", "alice"],
    ]);
    expect(events[0]?.comment).toBe("bad data");
    await expectCode(store.deleteModelVersion("m", 3, WHO), "NOT_FOUND");
    await expectCode(store.deleteModelVersion("nope", 1, WHO), "NOT_FOUND");
  });

  it("refuses to delete a version in Staging or Production, or a model that has one", async () => {
    const store = await openTempStore();
    await modelWithVersions(store, "m", [SHA_A, SHA_B]);
    await store.transitionStage("m", 1, "Production", WHO);
    await store.transitionStage("m", 2, "Staging", WHO);
    await expectCode(store.deleteModelVersion("m", 1, WHO), "FAILED_PRECONDITION");
    await expectCode(store.deleteModelVersion("m", 2, WHO), "FAILED_PRECONDITION");
    await expectCode(store.deleteRegisteredModel("m", WHO), "FAILED_PRECONDITION");
    expect((await store.listModelVersions("m")).length).toBe(2);
    await store.transitionStage("m", 2, "None", WHO);
    await store.deleteModelVersion("m", 2, WHO);
    await expectCode(store.deleteRegisteredModel("m", WHO), "FAILED_PRECONDITION");
    await store.transitionStage("m", 1, "Archived", WHO);
    await store.deleteRegisteredModel("m", WHO);
    await expectCode(store.getRegisteredModel("m"), "NOT_FOUND");
  });

  it("deletes a model with everything in it; the name starts again from version 1; history stays", async () => {
    const store = await openTempStore();
    await modelWithVersions(store, "m", [SHA_A, SHA_B]);
    await store.setRegisteredModelTag("m", "team", "x");
    await store.setAlias("m", "champion", 2, WHO);
    await store.deleteRegisteredModel("m", WHO);
    await expectCode(store.getRegisteredModel("m"), "NOT_FOUND");
    expect((await store.listRegisteredModels()).items).toEqual([]);
    expect((await store.searchModelVersions({ name: "m" })).items).toEqual([]);
    await expectCode(store.deleteRegisteredModel("m", WHO), "NOT_FOUND");

    const events = await store.listAuditEvents({ name: "m" });
    expect(events.slice(0, 4).map((e) => `${e.entity} ${e.action} ${e.version}`)).toEqual([
      "registered_model delete 2",
      "model_version delete 2",
      "alias alias_delete 2",
      "model_version delete 1",
    ]);

    await store.createRegisteredModel({ name: "m" });
    expect((await store.createModelVersion({ name: "m", artifactSha256: SHA_A })).version).toBe(1);
  });
});

describe("purge and artifact references (for gc)", () => {
  it("purges deleted runs and experiments, keeps runs a version names, and can only report", async () => {
    const c = clock();
    const store = await openTempStore({ now: c.now });
    const e = await store.createExperiment({ name: "old" });
    const inOld = await store.createRun({ experimentId: e.id });
    await store.logBatch(inOld.id, {
      params: { a: "1" },
      metrics: [{ key: "m", value: 1 }],
      tags: { t: "x" },
    });
    await store.setExperimentTag(e.id, "k", "v");
    const named = await store.createRun({ experimentId: "0" });
    await store.updateRun(named.id, { artifactSha256: SHA_A });
    await store.createRegisteredModel({ name: "m" });
    await store.createModelVersion({ name: "m", runId: named.id, artifactSha256: SHA_A });
    const loose = await store.createRun({ experimentId: "0" });
    await store.updateRun(loose.id, { artifactSha256: SHA_B });
    const active = await store.createRun({ experimentId: "0" });
    await store.updateRun(active.id, { artifactSha256: SHA_C });

    await store.deleteExperiment(e.id, WHO);
    await store.deleteRun(named.id, WHO);
    await store.deleteRun(loose.id, WHO);
    c.advance(1000);

    expect(await store.referencedArtifacts()).toEqual(new Set([SHA_A, SHA_B, SHA_C]));
    expect(await store.referencedArtifacts({ exceptRuns: [loose.id] })).toEqual(new Set([SHA_A, SHA_C]));

    const dry = await store.purgeDeleted({ actor: "gc", dryRun: true });
    expect(dry.runs.sort()).toEqual([inOld.id, loose.id].sort());
    expect(dry.experiments).toEqual([e.id]);
    expect(dry.keptRuns).toEqual([named.id]);
    expect((await store.getRun(loose.id)).lifecycleStage).toBe("deleted");

    // Deleted too recently for the cutoff: nothing goes.
    const none = await store.purgeDeleted({ actor: "gc", deletedBeforeMs: c.now() - 5000 });
    expect(none).toEqual({ runs: [], experiments: [], keptRuns: [] });

    const done = await store.purgeDeleted({ actor: "gc" });
    expect(done).toEqual(dry);
    await expectCode(store.getRun(loose.id), "NOT_FOUND");
    await expectCode(store.getRun(inOld.id), "NOT_FOUND");
    await expectCode(store.getExperiment(e.id), "NOT_FOUND");
    expect((await store.getRun(named.id)).lifecycleStage).toBe("deleted");
    expect((await store.getRun(active.id)).lifecycleStage).toBe("active");
    expect(await store.referencedArtifacts()).toEqual(new Set([SHA_A, SHA_C]));

    const purges = (await store.listAuditEvents({ limit: 1000 })).filter((x) => x.action === "purge");
    expect(purges.map((x) => `${x.entity} ${x.runId ?? x.experimentId} ${x.actor}`).sort()).toEqual(
      [`run ${inOld.id} gc`, `run ${loose.id} gc`, `experiment ${e.id} gc`].sort(),
    );
    // The name of a purged experiment is free again.
    await store.createExperiment({ name: "old" });
  });
});

describe("migration 0002 on a database written before it", () => {
  it("reads existing runs and experiments as active and keeps numbering versions", async () => {
    const dataDir = await tempDir();
    const first = await openSqliteStore({ dataDir });
    const run = await first.createRun({ experimentId: "0" });
    await first.createRegisteredModel({ name: "m" });
    await first.createModelVersion({ name: "m", artifactSha256: SHA_A });
    await first.close();
    // Take the database back to the 0001 schema, as an older build left it.
    const raw = new Database(join(dataDir, "mlops.db"));
    try {
      raw.exec(`drop index runs_artifact_idx; drop index model_versions_artifact_idx;
        alter table runs drop column lifecycle_stage; alter table runs drop column deleted_at_ms;
        alter table experiments drop column deleted_at_ms;
        alter table registered_models drop column highest_version;
        alter table audit_events drop column run_id; alter table audit_events drop column experiment_id;
        delete from schema_migrations where id = '0002_deletes';`);
    } finally {
      raw.close();
    }
    const store = await openSqliteStore({ dataDir }); // this file's own migration, on SQLite
    expect((await store.getRun(run.id)).lifecycleStage).toBe("active");
    expect((await store.listExperiments())[0]?.lifecycleStage).toBe("active");
    expect((await store.createModelVersion({ name: "m", artifactSha256: SHA_B })).version).toBe(2);
    await store.deleteModelVersion("m", 2, WHO);
    expect((await store.createModelVersion({ name: "m", artifactSha256: SHA_B })).version).toBe(3);
    await store.close();
  });
});
