// searchRuns with a filter expression and an order by any metric, param, tag or attribute, done in
// the database, with offset paging and a total; listRunKeys; experiment rename and run counts; the
// model versions a run lists.
import { describe, expect, it } from "vitest";
import type { RunOrderKey, Store } from "../../src/store/index.js";
import { expectCode, openTempStore, SHA_A } from "./helpers.js";

async function fixture(): Promise<{ store: Store; exp: string; ids: Record<string, string> }> {
  let t = 1_000;
  const store = await openTempStore({ now: () => t++ });
  const exp = (await store.createExperiment({ name: "search" })).id;
  const ids: Record<string, string> = {};
  const rows: [string, number | undefined, string, string][] = [
    ["a", 0.91, "gbdt", "ML"],
    ["b", 0.995, "gbdt", "ml"],
    ["c", 0.999, "rf", "ops"],
    ["d", undefined, "logistic", "ml"],
    ["e", Number.NaN, "gbdt", "ml"],
  ];
  for (const [name, auc, model, team] of rows) {
    const run = await store.createRun({ experimentId: exp, name, tags: { team } });
    ids[name] = run.id;
    await store.logBatch(run.id, {
      params: { model, n: String(name.charCodeAt(0)) },
      metrics: auc === undefined ? [] : [{ key: "roc_auc", value: auc }],
    });
  }
  await store.updateRun(ids.a!, { status: "FINISHED" });
  return { store, exp, ids };
}

const names = async (store: Store, exp: string, filter?: string, orderBy?: RunOrderKey[]) =>
  (await store.searchRuns({ experimentIds: [exp], filter, orderBy, limit: 1000 })).items.map((r) => r.name);

const by = (entity: RunOrderKey["field"]["entity"], key: string, descending = false): RunOrderKey =>
  ({ field: { entity, key }, descending }) as RunOrderKey;

describe("searchRuns filter", () => {
  it("filters by metrics, params, tags and attributes, as MLflow", async () => {
    const { store, exp } = await fixture();
    const sorted = async (f: string) => (await names(store, exp, f)).sort();
    expect(await sorted("metrics.roc_auc > 0.99 and params.model = 'gbdt'")).toEqual(["b"]);
    expect(await sorted("metrics.roc_auc > 0.99")).toEqual(["b", "c"]);
    // A run without the metric, or with NaN, never matches, not even !=.
    expect(await sorted("metrics.roc_auc != 0.91")).toEqual(["b", "c"]);
    expect(await sorted("params.model != 'gbdt'")).toEqual(["c", "d"]);
    expect(await sorted("params.model IN ('rf', 'logistic')")).toEqual(["c", "d"]);
    expect(await sorted("params.model NOT IN ('rf', 'logistic')")).toEqual(["a", "b", "e"]);
    // LIKE is case-sensitive on every dialect, ILIKE is not.
    expect(await sorted("tags.team LIKE 'm%'")).toEqual(["b", "d", "e"]);
    expect(await sorted("tags.team ILIKE 'm_'")).toEqual(["a", "b", "d", "e"]);
    expect(await sorted("tags.team = 'ML'")).toEqual(["a"]);
    expect(await sorted("status = 'FINISHED'")).toEqual(["a"]);
    expect(await sorted("attributes.run_name LIKE '%c%'")).toEqual(["c"]);
    expect(await sorted("start_time >= 0 and end_time > 0")).toEqual(["a"]);
    expect(await sorted("metrics.roc_auc < 0.92 or params.model = 'rf'")).toEqual(["a", "c"]);
    expect(await sorted("(metrics.roc_auc < 0.92 or params.model = 'rf') and tags.team = 'ops'")).toEqual([
      "c",
    ]);
    expect(await sorted("params.nothing = 'x'")).toEqual([]);
  });

  it("refuses a filter that does not parse with INVALID_ARGUMENT", async () => {
    const { store, exp } = await fixture();
    await expectCode(
      store.searchRuns({ experimentIds: [exp], filter: "metrics.roc_auc >> 1" }),
      "INVALID_ARGUMENT",
    );
  });
});

describe("searchRuns order", () => {
  it("orders by a metric on the database, runs without it (or NaN) last either way", async () => {
    const { store, exp } = await fixture();
    expect((await names(store, exp, undefined, [by("metric", "roc_auc", true)])).slice(0, 3)).toEqual([
      "c",
      "b",
      "a",
    ]);
    expect((await names(store, exp, undefined, [by("metric", "roc_auc")])).slice(0, 3)).toEqual([
      "a",
      "b",
      "c",
    ]);
    const last = (await names(store, exp, undefined, [by("metric", "roc_auc")])).slice(3).sort();
    expect(last).toEqual(["d", "e"]);
  });

  it("orders by params and tags as strings, by attributes, and by several keys", async () => {
    const { store, exp } = await fixture();
    // Params are strings (as MLflow stores them): "99" sorts after "101".
    expect(await names(store, exp, undefined, [by("param", "n", true)])).toEqual(["c", "b", "a", "e", "d"]);
    expect(await names(store, exp, undefined, [by("attribute", "run_name")])).toEqual([
      "a",
      "b",
      "c",
      "d",
      "e",
    ]);
    expect(
      await names(store, exp, undefined, [by("tag", "team"), by("attribute", "run_name", true)]),
    ).toEqual(["a", "e", "d", "b", "c"]);
    expect(await names(store, exp, "params.model = 'gbdt'", [by("metric", "roc_auc", true)])).toEqual([
      "b",
      "a",
      "e",
    ]);
  });

  it("pages any order by offset with a total, and refuses a token of another order", async () => {
    const { store, exp } = await fixture();
    const orderBy = [by("metric", "roc_auc", true)];
    const seen: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await store.searchRuns({ experimentIds: [exp], orderBy, limit: 2, pageToken });
      expect(page.totalSize).toBe(5);
      seen.push(...page.items.map((r) => r.name));
      pageToken = page.nextPageToken ?? undefined;
    } while (pageToken);
    expect(seen.slice(0, 3)).toEqual(["c", "b", "a"]);
    expect(seen).toHaveLength(5);
    const first = await store.searchRuns({ experimentIds: [exp], orderBy, limit: 2 });
    await expectCode(
      store.searchRuns({
        experimentIds: [exp],
        orderBy: [by("param", "n")],
        pageToken: first.nextPageToken!,
      }),
      "INVALID_ARGUMENT",
    );
    const filtered = await store.searchRuns({
      experimentIds: [exp],
      filter: "params.model = 'gbdt'",
      limit: 1,
    });
    expect(filtered.totalSize).toBe(3);
    await expectCode(
      store.searchRuns({
        experimentIds: [exp],
        orderBy: [{ field: { entity: "attribute", key: "color" } }] as never,
      }),
      "INVALID_ARGUMENT",
    );
  });
});

describe("run keys, experiment stats and rename, run model versions", () => {
  it("lists the keys of the experiments' runs", async () => {
    const { store, exp } = await fixture();
    expect(await store.listRunKeys([exp])).toEqual({
      metrics: ["roc_auc"],
      params: ["model", "n"],
      tags: ["team"],
    });
    expect(await store.listRunKeys(["0"])).toEqual({ metrics: [], params: [], tags: [] });
    await expectCode(store.listRunKeys([]), "INVALID_ARGUMENT");
  });

  it("counts runs and the last activity of each experiment, and renames one", async () => {
    const { store, exp, ids } = await fixture();
    const e = await store.getExperiment(exp);
    expect(e.runCount).toBe(5);
    const a = await store.getRun(ids.a!);
    expect(e.lastActivityMs).toBe(a.endTimeMs);
    expect((await store.getExperiment("0")).runCount).toBe(0);
    const renamed = await store.renameExperiment(exp, "renamed");
    expect(renamed).toMatchObject({ id: exp, name: "renamed", runCount: 5 });
    expect((await store.getExperimentByName("renamed")).id).toBe(exp);
    await expectCode(store.renameExperiment(exp, "Default"), "ALREADY_EXISTS");
    await expectCode(store.renameExperiment("99", "x"), "NOT_FOUND");
    await store.deleteExperiment(exp, { actor: "t" });
    await expectCode(store.renameExperiment(exp, "again"), "FAILED_PRECONDITION");
  });

  it("lists the model versions registered from a run", async () => {
    const { store, ids } = await fixture();
    await store.createRegisteredModel({ name: "m" });
    await store.createModelVersion({ name: "m", artifactSha256: SHA_A, runId: ids.b! });
    await store.createModelVersion({ name: "m", artifactSha256: SHA_A, runId: ids.b! });
    await store.transitionStage("m", 2, "Production", { actor: "t" });
    expect((await store.getRun(ids.b!)).modelVersions).toEqual([
      { name: "m", version: 1, stage: "None" },
      { name: "m", version: 2, stage: "Production" },
    ]);
    expect((await store.getRun(ids.a!)).modelVersions).toEqual([]);
  });
});
