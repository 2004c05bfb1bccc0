// `mlops runs delete|restore`, `mlops experiments list|delete|restore`, `mlops models delete` and
// `mlops gc`, through the real binary, on a data directory seeded in-process with real artifacts.
import { access } from "node:fs/promises";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createArtifactStore, createStore } from "../../src/store/index.js";
import { storeOptionsFor } from "../kit/database.js";
import { assertBuilt, type CliResult, errorCode, json, mlops, tempDataDir } from "./helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});
beforeAll(() => assertBuilt());

interface Seeded {
  dataDir: string;
  cli: (...args: string[]) => Promise<CliResult>;
  runs: string[];
  shas: string[];
  experimentId: string;
}

/** Experiment "exp" with two runs, each with an artifact; v1 from run 0 (Production), v2 from run 1. */
async function seed(): Promise<Seeded> {
  const { dir: dataDir, cleanup } = await tempDataDir();
  cleanups.push(cleanup);
  const store = await createStore(await storeOptionsFor({ dataDir }));
  const artifacts = createArtifactStore({ dataDir });
  const runs: string[] = [];
  const shas: string[] = [];
  let experimentId = "";
  try {
    experimentId = (await store.createExperiment({ name: "exp" })).id;
    for (let i = 0; i < 2; i++) {
      const run = await store.createRun({ experimentId, name: `r${i}` });
      const { sha256 } = await artifacts.put(new TextEncoder().encode(`artifact ${i}`));
      await store.updateRun(run.id, { status: "FINISHED", artifactSha256: sha256 });
      runs.push(run.id);
      shas.push(sha256);
    }
    await store.createRegisteredModel({ name: "m" });
    for (let i = 0; i < 2; i++) {
      await store.createModelVersion({
        name: "m",
        artifactSha256: shas[i] as string,
        runId: runs[i] ?? null,
      });
    }
    await store.transitionStage("m", 1, "Production", { actor: "test" });
  } finally {
    await store.close();
  }
  return { dataDir, cli: (...args) => mlops(args, { dataDir }), runs, shas, experimentId };
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

describe("mlops runs delete | restore, experiments", () => {
  it("soft-deletes and restores runs; runs list --view shows them", async () => {
    const { cli, runs } = await seed();
    const [r0, r1] = runs as [string, string];
    const del = await cli("runs", "delete", r1);
    expect(del.code).toBe(0);
    expect(del.stdout).toContain(`run ${r1} deleted`);
    const listed = json<{ runs?: { run_id: string }[] }>(await cli("runs", "list", "--json"));
    expect(listed.runs?.map((r) => r.run_id)).toEqual([r0]);
    const deleted = json<{ runs?: { run_id: string; lifecycle_stage: string }[] }>(
      await cli("runs", "list", "--view", "deleted", "--json"),
    );
    expect(deleted.runs?.map((r) => [r.run_id, r.lifecycle_stage])).toEqual([
      [r1, "LIFECYCLE_STAGE_DELETED"],
    ]);
    const table = await cli("runs", "list", "--view", "all");
    expect(table.stdout).toContain("FINISHED (deleted)");
    expect((await cli("runs", "show", r1)).stdout).toMatch(/lifecycle:\s+deleted/);

    const again = await cli("runs", "delete", r1);
    expect([again.code, errorCode(again.stderr)]).toEqual([1, "FAILED_PRECONDITION"]);
    expect((await cli("runs", "list", "--view", "trash")).code).toBe(2);
    const back = await cli("runs", "restore", r1, "--json");
    expect(json<{ runs?: { lifecycle_stage: string }[] }>(back).runs?.[0]?.lifecycle_stage).toBe(
      "LIFECYCLE_STAGE_ACTIVE",
    );
  });

  it("deletes and restores an experiment by name with its runs", async () => {
    const { cli, experimentId } = await seed();
    expect((await cli("experiments", "list")).stdout).toMatch(/exp\s+active/);
    const del = await cli("experiments", "delete", "exp");
    expect(del.code).toBe(0);
    expect(del.stdout).toContain(`experiment exp (${experimentId}) deleted`);
    const active = json<{ experiments?: { name: string }[] }>(await cli("experiments", "list", "--json"));
    expect(active.experiments?.map((e) => e.name)).toEqual(["Default"]);
    expect((await cli("experiments", "list", "--view", "deleted")).stdout).toMatch(/exp\s+deleted/);
    expect(json<{ runs?: unknown[] }>(await cli("runs", "list", "--json")).runs ?? []).toEqual([]);
    const dflt = await cli("experiments", "delete", "Default");
    expect([dflt.code, errorCode(dflt.stderr)]).toEqual([1, "FAILED_PRECONDITION"]);
    const missing = await cli("experiments", "delete", "nope");
    expect(errorCode(missing.stderr)).toBe("NOT_FOUND");
    expect((await cli("experiments", "restore", experimentId)).code).toBe(0);
    expect(json<{ runs?: unknown[] }>(await cli("runs", "list", "--json")).runs).toHaveLength(2);
  });
});

describe("mlops models delete", () => {
  it("deletes a version, refuses a Production one, and asks --yes for a whole model", async () => {
    const { cli } = await seed();
    const refused = await cli("models", "delete", "m", "1");
    expect([refused.code, errorCode(refused.stderr)]).toEqual([1, "FAILED_PRECONDITION"]);
    expect(refused.stderr).toMatch(/Production/);
    const ok = await cli("models", "delete", "m", "v2");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("m v2 deleted");
    const history = await cli("models", "history", "m");
    expect(history.stdout).toMatch(/version deleted\s+None → -/);

    const noYes = await cli("models", "delete", "m");
    expect([noYes.code, errorCode(noYes.stderr)]).toEqual([2, "USAGE"]);
    expect(noYes.stderr).toContain("--yes");
    const serving = await cli("models", "delete", "m", "--yes");
    expect(errorCode(serving.stderr)).toBe("FAILED_PRECONDITION");
    // Archiving the served version asks for --yes (it leaves nothing to serve).
    expect((await cli("models", "promote", "m", "1", "archived", "--yes")).code).toBe(0);
    const gone = await cli("models", "delete", "m", "--yes");
    expect(gone.code).toBe(0);
    expect(errorCode((await cli("models", "describe", "m")).stderr)).toBe("NOT_FOUND");
  });
});

describe("mlops gc", () => {
  it("purges deleted runs, removes only unreferenced artifacts, and --dry-run changes nothing", async () => {
    const { cli, runs, shas, dataDir } = await seed();
    const artifacts = createArtifactStore({ dataDir });
    const [r0, r1] = runs as [string, string];
    const [a0, a1] = shas as [string, string];
    const orphan = await artifacts.put(new TextEncoder().encode("nobody uses me"));

    // Fresh files are inside the default grace period: nothing is removed yet.
    const graced = json<{ young_artifacts: unknown[]; removed_artifacts: unknown[] }>(
      await cli("gc", "--json"),
    );
    expect(graced.removed_artifacts).toEqual([]);
    expect(graced.young_artifacts).toHaveLength(1);

    // v2 goes, then its run: a1 is then referenced by nothing once the run is purged.
    expect((await cli("models", "delete", "m", "2")).code).toBe(0);
    expect((await cli("runs", "delete", r1)).code).toBe(0);
    expect((await cli("runs", "delete", r0)).code).toBe(0); // v1 names r0: kept, and so is a0

    const dry = json<Record<string, unknown>>(await cli("gc", "--dry-run", "--grace", "0", "--json"));
    expect(dry).toMatchObject({ dry_run: true, purged_runs: [r1], kept_runs: [r0], referenced_artifacts: 1 });
    expect((dry.removed_artifacts as { sha256: string }[]).map((a) => a.sha256).sort()).toEqual(
      [a1, orphan.sha256].sort(),
    );
    expect(await exists(artifacts.pathFor(a1))).toBe(true);
    expect(errorCode((await cli("runs", "show", r1)).stderr)).toBeUndefined();

    const text = await cli("gc", "--grace", "0");
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/purged 1 deleted run\(s\)/);
    expect(text.stdout).toMatch(/removed 2 unreferenced artifact\(s\)/);
    expect(await exists(artifacts.pathFor(a1))).toBe(false);
    expect(await exists(artifacts.pathFor(orphan.sha256))).toBe(false);
    expect(await exists(artifacts.pathFor(a0))).toBe(true);
    expect(errorCode((await cli("runs", "show", r1)).stderr)).toBe("NOT_FOUND");
    // The served version's artifact still loads.
    expect((await artifacts.get(a0)).byteLength).toBeGreaterThan(0);

    const second = json<Record<string, unknown>>(await cli("gc", "--grace", "0", "--json"));
    expect(second).toMatchObject({ purged_runs: [], removed_artifacts: [], referenced_artifacts: 1 });
    expect((await cli("gc", "--grace", "soon")).code).toBe(2);
  });
});
