// What `mlops gc` stands on: the artifact store's list/remove and renewed mtime on put, and the gc
// workflow's rules (grace period, references, dry run), on real files and a real store.
import { mkdir, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createArtifactStore } from "../../src/store/index.js";
import { collectGarbage, GC_DEFAULTS } from "../../src/workflows/gc.js";
import { openTempStore, tempDir } from "./helpers.js";

const HOUR = 3_600_000;
const bytes = (s: string) => new TextEncoder().encode(s);

describe("artifact store for gc", () => {
  it("lists stored artifacts only, removes them, and renews the time of a repeated put", async () => {
    const dataDir = await tempDir();
    const artifacts = createArtifactStore({ dataDir });
    expect(await artifacts.list()).toEqual([]);
    const a = await artifacts.put(bytes("a"));
    const b = await artifacts.put(bytes("bb"));
    // Strays a crash or a user may leave are not artifacts.
    await writeFile(join(artifacts.root, a.sha256.slice(0, 2), ".tmp-1-abc"), "x");
    await mkdir(join(artifacts.root, "zz"), { recursive: true });
    await writeFile(join(artifacts.root, "zz", "f".repeat(64)), "x");
    const listed = await artifacts.list();
    expect(listed.map((x) => [x.sha256, x.size]).sort()).toEqual(
      [
        [a.sha256, 1],
        [b.sha256, 2],
      ].sort(),
    );

    const old = new Date(Date.now() - 5 * HOUR);
    await utimes(a.path, old, old);
    const before = (await artifacts.list()).find((x) => x.sha256 === a.sha256)?.mtimeMs ?? 0;
    await artifacts.put(bytes("a"));
    const after = (await artifacts.list()).find((x) => x.sha256 === a.sha256)?.mtimeMs ?? 0;
    expect(after - before).toBeGreaterThan(4 * HOUR);

    expect(await artifacts.remove(a.sha256)).toBe(true);
    expect(await artifacts.remove(a.sha256)).toBe(false);
    expect(await artifacts.has(a.sha256)).toBe(false);
  });
});

describe("collectGarbage", () => {
  it("removes old unreferenced artifacts, keeps referenced and young ones, and a dry run changes nothing", async () => {
    const dataDir = await tempDir();
    const store = await openTempStore({ dataDir });
    const artifacts = createArtifactStore({ dataDir });
    const used = await artifacts.put(bytes("used by a version"));
    const byRun = await artifacts.put(bytes("used by a run"));
    const old = await artifacts.put(bytes("old orphan"));
    const young = await artifacts.put(bytes("young orphan"));
    const past = new Date(Date.now() - 2 * HOUR);
    for (const p of [used.path, byRun.path, old.path]) await utimes(p, past, past);
    await store.createRegisteredModel({ name: "m" });
    await store.createModelVersion({ name: "m", artifactSha256: used.sha256 });
    const run = await store.createRun({ experimentId: "0" });
    await store.updateRun(run.id, { artifactSha256: byRun.sha256 });

    expect(GC_DEFAULTS).toEqual({ graceMs: HOUR, olderThanMs: 0 });
    const dry = await collectGarbage({ store, artifacts, actor: "t", dryRun: true });
    expect(dry.removed.map((a) => a.sha256)).toEqual([old.sha256]);
    expect(dry.young.map((a) => a.sha256)).toEqual([young.sha256]);
    expect(dry.referenced).toBe(2);
    expect(await artifacts.has(old.sha256)).toBe(true);

    const real = await collectGarbage({ store, artifacts, actor: "t" });
    expect(real.removed.map((a) => a.sha256)).toEqual([old.sha256]);
    expect(real.bytes).toBe("old orphan".length);
    expect(await artifacts.has(old.sha256)).toBe(false);
    expect(await artifacts.has(young.sha256)).toBe(true);

    // A deleted run's artifact goes only once gc has purged the run, and --older-than holds it back.
    await store.deleteRun(run.id, { actor: "t" });
    const held = await collectGarbage({ store, artifacts, actor: "t", olderThanMs: HOUR });
    expect(held.purged.runs).toEqual([]);
    expect(await artifacts.has(byRun.sha256)).toBe(true);
    const purged = await collectGarbage({ store, artifacts, actor: "t" });
    expect(purged.purged.runs).toEqual([run.id]);
    expect(purged.removed.map((a) => a.sha256)).toEqual([byRun.sha256]);
    expect(await artifacts.has(used.sha256)).toBe(true);

    await expect(collectGarbage({ store, artifacts, actor: "t", graceMs: -1 })).rejects.toThrow(RangeError);
  });
});
