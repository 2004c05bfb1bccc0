import { spawn } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { openSqliteStore } from "../../src/store/index.js";
import { openTempStore, SHA_A, tempDir } from "./helpers.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/create-versions.ts", import.meta.url));
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

function runChild(args: string[]): Promise<number[]> {
  return new Promise((resolve, reject) => {
    // SQLite here: these children race to create and migrate a fresh file (PostgreSQL's migration
    // race: test/store/postgres.test.ts).
    const child = spawn(process.execPath, ["--import", "tsx", FIXTURE, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, MLOPS_DATABASE_URL: "" },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(JSON.parse(out));
      else reject(new Error(`child ${args[2]} exited ${code}: ${err}`));
    });
  });
}

describe("version numbering under concurrency", () => {
  it("is gap-free and unique for 50 concurrent creates in one process", async () => {
    const store = await openTempStore();
    await store.createRegisteredModel({ name: "m" });
    const created = await Promise.all(
      range(50).map(() => store.createModelVersion({ name: "m", artifactSha256: SHA_A })),
    );
    expect(created.map((v) => v.version).sort((a, b) => a - b)).toEqual(range(50));
    expect((await store.listModelVersions("m")).map((v) => v.version)).toEqual(range(50));
  });

  it("is gap-free across two store instances on one file in one process", async () => {
    // Each instance has its own connection; the lock wait must not stall the shared event loop.
    const dataDir = await tempDir();
    const a = await openTempStore({ dataDir });
    const b = await openTempStore({ dataDir });
    await a.createRegisteredModel({ name: "m" });
    const created = await Promise.all(
      range(40).map((i) => (i % 2 ? a : b).createModelVersion({ name: "m", artifactSha256: SHA_A })),
    );
    expect(created.map((v) => v.version).sort((x, y) => x - y)).toEqual(range(40));
  });

  it("is 1..40 when 4 processes open a fresh data dir at once and create 10 each", async () => {
    const dataDir = await tempDir();
    const barrier = join(dataDir, "barrier");
    await mkdir(barrier);
    const store = join(dataDir, "store"); // not created yet: the children race to create and migrate it
    const results = await Promise.all(
      range(4).map((i) => runChild([store, barrier, String(i), "4", "shared_model", "10"])),
    );
    for (const versions of results) expect(versions).toHaveLength(10);
    expect(results.flat().sort((a, b) => a - b)).toEqual(range(40));

    const check = await openSqliteStore({ dataDir: store });
    try {
      const listed = await check.listModelVersions("shared_model");
      expect(listed.map((v) => v.version)).toEqual(range(40));
      // Every child's versions are the ones it was told about.
      for (const [i, versions] of results.entries()) {
        const mine = listed.filter((v) => v.tags.child === String(i + 1)).map((v) => v.version);
        expect(mine).toEqual([...versions].sort((a, b) => a - b));
      }
    } finally {
      await check.close();
    }
  });
});
