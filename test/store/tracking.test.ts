import { describe, expect, it } from "vitest";
import { expectCode, openTempStore, SHA_A } from "./helpers.js";

describe("experiments", () => {
  it("has the MLflow Default experiment 0 and creates the next ids", async () => {
    const store = await openTempStore();
    const [dflt] = await store.listExperiments();
    expect(dflt).toMatchObject({ id: "0", name: "Default", lifecycleStage: "active", tags: {} });

    const e = await store.createExperiment({ name: "churn", tags: { team: "ml" } });
    expect(e).toMatchObject({ id: "1", name: "churn", lifecycleStage: "active", tags: { team: "ml" } });
    expect(await store.getExperiment("1")).toEqual(e);
    expect(await store.getExperimentByName("churn")).toEqual(e);
    const f = await store.createExperiment({ name: "fraud" });
    expect(f.id).toBe("2");
    expect((await store.listExperiments()).map((x) => x.name)).toEqual(["Default", "churn", "fraud"]);

    await store.setExperimentTag("1", "team", "platform");
    await store.setExperimentTag("1", "owner", "ada");
    expect((await store.getExperiment("1")).tags).toEqual({ team: "platform", owner: "ada" });
  });

  it("stamps createdAtMs with the injected clock", async () => {
    const store = await openTempStore({ now: () => 1_700_000_000_000 });
    expect((await store.createExperiment({ name: "x" })).createdAtMs).toBe(1_700_000_000_000);
  });

  it("reports duplicates, unknown ids and bad input by code", async () => {
    const store = await openTempStore();
    await store.createExperiment({ name: "dup" });
    await expectCode(store.createExperiment({ name: "dup" }), "ALREADY_EXISTS");
    await expectCode(store.getExperiment("42"), "NOT_FOUND");
    await expectCode(store.getExperimentByName("nope"), "NOT_FOUND");
    await expectCode(store.setExperimentTag("42", "k", "v"), "NOT_FOUND");
    await expectCode(store.getExperiment("abc"), "INVALID_ARGUMENT");
    await expectCode(store.createExperiment({ name: "  " }), "INVALID_ARGUMENT");
    await expectCode(store.createExperiment({ name: "t", tags: { "bad key!": "v" } }), "INVALID_ARGUMENT");
  });
});

describe("runs", () => {
  it("creates, reads and finishes a run", async () => {
    let now = 1000;
    const store = await openTempStore({ now: () => now });
    const run = await store.createRun({ experimentId: "0", tags: { "mlflow.user": "ada" } });
    expect(run.id).toMatch(/^[0-9a-f]{32}$/);
    expect(run).toMatchObject({
      experimentId: "0",
      name: `run-${run.id.slice(0, 8)}`,
      status: "RUNNING",
      startTimeMs: 1000,
      endTimeMs: null,
      params: {},
      metrics: [],
      tags: { "mlflow.user": "ada" },
    });
    expect(run.artifactSha256).toBeUndefined();
    expect(await store.getRun(run.id)).toEqual(run);

    now = 5000;
    const done = await store.updateRun(run.id, { status: "FINISHED", artifactSha256: SHA_A, name: "gbdt-1" });
    expect(done).toMatchObject({
      status: "FINISHED",
      endTimeMs: 5000,
      name: "gbdt-1",
      artifactSha256: SHA_A,
    });
    // An explicit end time wins; a later status change keeps the recorded one.
    expect((await store.updateRun(run.id, { endTimeMs: 4000 })).endTimeMs).toBe(4000);
    expect((await store.updateRun(run.id, { status: "FAILED" })).endTimeMs).toBe(4000);
  });

  it("rejects bad run input by code", async () => {
    const store = await openTempStore();
    await expectCode(store.createRun({ experimentId: "9" }), "NOT_FOUND");
    await expectCode(store.getRun("0".repeat(32)), "NOT_FOUND");
    await expectCode(store.getRun("not-a-run"), "INVALID_ARGUMENT");
    const run = await store.createRun({ experimentId: "0", startTimeMs: 100 });
    await expectCode(store.updateRun(run.id, { status: "DONE" as never }), "INVALID_ARGUMENT");
    await expectCode(store.updateRun(run.id, { endTimeMs: 50 }), "INVALID_ARGUMENT");
    await expectCode(store.updateRun(run.id, { artifactSha256: "xyz" }), "INVALID_ARGUMENT");
  });

  it("keeps params immutable: same value is a no-op, a different one INVALID_ARGUMENT", async () => {
    const store = await openTempStore();
    const run = await store.createRun({ experimentId: "0" });
    await store.logParam(run.id, "lr", "0.1");
    await store.logParam(run.id, "lr", "0.1");
    await store.logParams(run.id, { lr: "0.1", depth: "6" });
    await expectCode(store.logParam(run.id, "lr", "0.2"), "INVALID_ARGUMENT");
    // The whole batch is refused, including its fresh keys and other parts.
    await expectCode(
      store.logBatch(run.id, {
        params: { lr: "0.3", trees: "100" },
        tags: { t: "1" },
        metrics: [{ key: "m", value: 1 }],
      }),
      "INVALID_ARGUMENT",
    );
    const after = await store.getRun(run.id);
    expect(after.params).toEqual({ lr: "0.1", depth: "6" });
    expect(after.tags).toEqual({});
    expect(after.metrics).toEqual([]);
    await expectCode(store.logParam(run.id, "lr", "x".repeat(6001)), "INVALID_ARGUMENT");
    await expectCode(store.logParam("f".repeat(32), "lr", "1"), "NOT_FOUND");
  });

  it("keeps metric history in step, timestamp, log order and the latest per key", async () => {
    const store = await openTempStore({ now: () => 777 });
    const run = await store.createRun({ experimentId: "0" });
    await store.logMetric(run.id, { key: "loss", value: 0.5, step: 2, timestampMs: 20 });
    await store.logMetrics(run.id, [
      { key: "loss", value: 0.9, step: 0, timestampMs: 10 },
      { key: "loss", value: 0.7, step: 1, timestampMs: 15 },
      { key: "auc", value: 0.8 },
    ]);
    // Same step and timestamp as an earlier point: log order breaks the tie, and it becomes the latest.
    await store.logMetric(run.id, { key: "loss", value: 0.45, step: 2, timestampMs: 20 });
    // An older step logged later is history, not the latest.
    await store.logMetric(run.id, { key: "loss", value: 1.5, step: 1, timestampMs: 30 });

    expect(await store.getMetricHistory(run.id, "loss")).toEqual([
      { key: "loss", value: 0.9, step: 0, timestampMs: 10 },
      { key: "loss", value: 0.7, step: 1, timestampMs: 15 },
      { key: "loss", value: 1.5, step: 1, timestampMs: 30 },
      { key: "loss", value: 0.5, step: 2, timestampMs: 20 },
      { key: "loss", value: 0.45, step: 2, timestampMs: 20 },
    ]);
    expect((await store.getRun(run.id)).metrics).toEqual([
      { key: "auc", value: 0.8, step: 0, timestampMs: 777 },
      { key: "loss", value: 0.45, step: 2, timestampMs: 20 },
    ]);
    expect(await store.getMetricHistory(run.id, "absent")).toEqual([]);
  });

  it("stores NaN and infinities faithfully", async () => {
    const store = await openTempStore();
    const run = await store.createRun({ experimentId: "0" });
    await store.logMetrics(run.id, [
      { key: "v", value: Number.NaN, step: 0 },
      { key: "v", value: Number.POSITIVE_INFINITY, step: 1 },
      { key: "v", value: Number.NEGATIVE_INFINITY, step: 2 },
    ]);
    const values = (await store.getMetricHistory(run.id, "v")).map((m) => m.value);
    expect(values).toEqual([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    await expectCode(store.logMetric(run.id, { key: "v", value: "1" as never }), "INVALID_ARGUMENT");
    await expectCode(store.logMetric(run.id, { key: "v", value: 1, step: 0.5 }), "INVALID_ARGUMENT");
  });

  it("sets, overwrites and deletes run tags", async () => {
    const store = await openTempStore();
    const run = await store.createRun({ experimentId: "0" });
    await store.setRunTag(run.id, "note", "a");
    await store.setRunTag(run.id, "note", "b");
    await store.logBatch(run.id, { tags: { other: "c" } });
    expect((await store.getRun(run.id)).tags).toEqual({ note: "b", other: "c" });
    await store.deleteRunTag(run.id, "note");
    expect((await store.getRun(run.id)).tags).toEqual({ other: "c" });
    await expectCode(store.deleteRunTag(run.id, "note"), "NOT_FOUND");
  });

  it("searches by experiment and status, ordered by start time, in pages", async () => {
    const store = await openTempStore();
    const a = await store.createExperiment({ name: "a" });
    const b = await store.createExperiment({ name: "b" });
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const run = await store.createRun({
        experimentId: i % 2 ? a.id : b.id,
        startTimeMs: 1000 + (i % 4) * 10,
      });
      ids.push(run.id);
      if (i % 3 === 0) await store.updateRun(run.id, { status: "FINISHED" });
    }
    await store.createRun({ experimentId: "0" }); // outside the search

    const seen: { start: number; id: string }[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await store.searchRuns({ experimentIds: [a.id, b.id], limit: 3, pageToken: token });
      seen.push(...page.items.map((r) => ({ start: r.startTimeMs, id: r.id })));
      token = page.nextPageToken ?? undefined;
      pages++;
    } while (token);
    expect(pages).toBe(3);
    const expected = [...seen].sort((x, y) => y.start - x.start || (y.id < x.id ? -1 : 1));
    expect(seen).toEqual(expected);
    expect(new Set(seen.map((s) => s.id))).toEqual(new Set(ids));

    const asc = await store.searchRuns({ experimentIds: [a.id, b.id], order: "asc", limit: 1000 });
    expect(asc.items.map((r) => r.id)).toEqual(expected.map((s) => s.id).reverse());

    const finished = await store.searchRuns({ experimentIds: [a.id, b.id], status: "FINISHED" });
    expect(finished.items.map((r) => r.id).sort()).toEqual([ids[0], ids[3], ids[6]].sort());
    const both = await store.searchRuns({ experimentIds: [a.id], status: ["RUNNING", "FINISHED"] });
    expect(both.items).toHaveLength(3);
    expect(both.nextPageToken).toBeNull();

    await expectCode(store.searchRuns({ experimentIds: [] }), "INVALID_ARGUMENT");
    await expectCode(store.searchRuns({ experimentIds: Array(1001).fill("0") }), "INVALID_ARGUMENT");
    await expectCode(store.searchRuns({ experimentIds: [a.id], pageToken: "garbage" }), "INVALID_ARGUMENT");
    await expectCode(store.searchRuns({ experimentIds: [a.id], limit: 0 }), "INVALID_ARGUMENT");
    // A token from the other sort order is refused rather than misread.
    const descPage = await store.searchRuns({ experimentIds: [a.id, b.id], limit: 1 });
    await expectCode(
      store.searchRuns({ experimentIds: [a.id, b.id], order: "asc", pageToken: descPage.nextPageToken! }),
      "INVALID_ARGUMENT",
    );
  });
});
