// What only PostgreSQL has: several processes on one database (migrations, numbering and promotions
// racing for real), LISTEN/NOTIFY, and a database that goes away and comes back. The contract suite
// itself runs on PostgreSQL with MLOPS_TEST_DATABASE=postgres (test/kit/database.ts).
import { spawn } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStore, type Store, type StoreOptions } from "../../src/store/index.js";
import { MIGRATIONS } from "../../src/store/kysely/migrations.js";
import { createPool } from "../../src/store/postgres/pg-pool.js";
import { assertBuilt, mlops } from "../cli/helpers.js";
import { type PostgresServer, startPostgres } from "../kit/postgres.js";
import { expectCode, SHA_A, tempDir } from "./helpers.js";

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

let server: PostgresServer;
let nextDb = 0;
const stores: Store[] = [];

beforeAll(async () => {
  server = await startPostgres();
});

afterAll(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  await server?.destroy();
});

/** A fresh, empty (unmigrated) database. */
const freshDatabase = () => server.createDatabase(`pgtest_${process.pid}_${nextDb++}`);

async function open(url: string, options: Partial<StoreOptions> = {}): Promise<Store> {
  const store = await createStore({ dataDir: await tempDir(), url, ...options });
  stores.push(store);
  return store;
}

function runChild<T>(script: string, args: string[], url: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", fixture(script), ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, MLOPS_DATABASE_URL: url },
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
      if (code === 0) resolve(JSON.parse(out) as T);
      else reject(new Error(`${script} ${args[2]} exited ${code}: ${err}`));
    });
  });
}

async function barrier(): Promise<string> {
  const dir = join(await tempDir(), "barrier");
  await mkdir(dir);
  return dir;
}

describe("several processes on one PostgreSQL database", () => {
  it("migrates once when 4 processes start on an empty database together, and numbers 1..40", async () => {
    const url = await freshDatabase();
    const dataDir = await tempDir();
    const wait = await barrier();
    const results = await Promise.all(
      range(4).map((i) =>
        runChild<number[]>("create-versions.ts", [dataDir, wait, String(i), "4", "shared", "10"], url),
      ),
    );
    expect(results.flat().sort((a, b) => a - b)).toEqual(range(40));
    const check = await open(url);
    const listed = await check.listModelVersions("shared");
    expect(listed.map((v) => v.version)).toEqual(range(40));
    for (const [i, versions] of results.entries()) {
      const mine = listed.filter((v) => v.tags.child === String(i + 1)).map((v) => v.version);
      expect(mine).toEqual([...versions].sort((a, b) => a - b));
    }
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const { rows } = await c.query("select id from schema_migrations order by id");
      // Each migration recorded once: the advisory lock let one process apply them.
      expect(rows.map((r) => r.id)).toEqual(MIGRATIONS.map((m) => m.id));
    } finally {
      await c.end();
    }
  });

  it("leaves exactly one Production version and the audit in order when two processes promote at once", async () => {
    const url = await freshDatabase();
    const store = await open(url);
    await store.createRegisteredModel({ name: "m" });
    // Rounds of two processes promoting different versions at the same moment.
    for (let round = 0; round < 3; round++) {
      const a = await store.createModelVersion({ name: "m", artifactSha256: SHA_A });
      const b = await store.createModelVersion({ name: "m", artifactSha256: SHA_A });
      const before = (await store.listAuditEvents({ name: "m", limit: 1 }))[0]?.id ?? 0;
      const wait = await barrier();
      const dataDir = await tempDir();
      const results = await Promise.all(
        [a.version, b.version].map((v, i) =>
          runChild<{ version: number; stage: string }>(
            "promote.ts",
            [dataDir, wait, String(i), "2", "m", String(v)],
            url,
          ),
        ),
      );
      expect(results.map((r) => r.stage)).toEqual(["Production", "Production"]);
      const production = (await store.searchModelVersions({ name: "m", stage: "Production" })).items;
      expect(production).toHaveLength(1);
      const winner = production[0]!.version;
      const loser = winner === a.version ? b.version : a.version;
      expect((await store.getModelVersion("m", loser)).stage).toBe("Archived");
      // Oldest first: the loser's promotion, then the winner's with the loser's archiving (and,
      // after round 0, the first one archives the previous round's winner).
      const events = (await store.listAuditEvents({ name: "m" })).filter((e) => e.id > before).reverse();
      const promotions = events.filter((e) => e.to === "Production");
      expect(promotions.map((e) => e.version)).toEqual([loser, winner]);
      expect(events.map((e) => e.id)).toEqual(range(events.length).map((i) => before + i));
      const last = events.slice(events.indexOf(promotions[1]!));
      expect(last.map((e) => [e.version, e.from, e.to])).toEqual([
        [winner, "None", "Production"],
        [loser, "Production", "Archived"],
      ]);
    }
  });
});

describe("mlops migrate", () => {
  it("applies every migration to an empty database once, then finds the schema current", async () => {
    assertBuilt();
    const url = await freshDatabase();
    const dataDir = await tempDir();
    const first = await mlops(["migrate", "--json"], { dataDir, env: { MLOPS_DATABASE_URL: url } });
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({
      database: url,
      applied: MIGRATIONS.map((m) => m.id),
    });
    const again = await mlops(["migrate", "--json", "--database-url", url], { dataDir });
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).applied).toEqual([]);
  });
});

describe("LISTEN/NOTIFY", () => {
  it("tells every store on the database about a promotion (NOTIFY: the store never polls)", async () => {
    const url = await freshDatabase();
    const writer = await open(url);
    const reader = await open(url);
    const heard: (string | null)[] = [];
    const unsubscribe = reader.onServingChange((name) => heard.push(name));
    await writer.createRegisteredModel({ name: "m" });
    const v = await writer.createModelVersion({ name: "m", artifactSha256: SHA_A });
    // The subscription connects in the background: wait until it hears something.
    const deadline = Date.now() + 5000;
    while (!heard.includes("m") && Date.now() < deadline) {
      await writer.setAlias("m", `a${heard.length}x`, v.version, { actor: "t" });
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(heard).toContain("m");
    heard.length = 0;
    const started = Date.now();
    await writer.transitionStage("m", v.version, "Production", { actor: "t" });
    // Delivered at commit, in milliseconds; the bound is only there to end the wait (a loaded CI
    // host once took over a second), not a timing goal.
    while (!heard.includes("m") && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 5));
    expect(heard).toEqual(["m"]);
    // Tags and descriptions do not change what serves.
    await writer.setModelVersionTag("m", v.version, "k", "v");
    await new Promise((r) => setTimeout(r, 100));
    expect(heard).toEqual(["m"]);
    unsubscribe();
  });
});

describe("a database that goes away", () => {
  it("fails calls with UNAVAILABLE at once, then recovers by itself, and says so to listeners", async () => {
    const url = await freshDatabase();
    const store = await open(url);
    await store.createRegisteredModel({ name: "m" });
    const heard: (string | null)[] = [];
    store.onServingChange((name) => heard.push(name));
    await new Promise((r) => setTimeout(r, 300)); // the LISTEN connection is up
    await server.stop();
    try {
      const started = Date.now();
      await expectCode(store.getRegisteredModel("m"), "UNAVAILABLE");
      await expectCode(store.createRegisteredModel({ name: "n" }), "UNAVAILABLE");
      await expectCode(store.ping(), "UNAVAILABLE");
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await server.start();
    }
    expect((await store.getRegisteredModel("m")).name).toBe("m");
    await store.createRegisteredModel({ name: "n" });
    // The listener is told it may have missed changes once its connection is back.
    const deadline = Date.now() + 5000;
    while (!heard.includes(null) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(heard).toContain(null);
  });

  it("outlives a connection the server ends while it is checked out, and replaces it", async () => {
    const url = await freshDatabase();
    const pool = createPool(url, {
      poolSize: 2,
      connectTimeoutMs: 2000,
      statementTimeoutMs: 5000,
      idleTimeoutMs: 10_000,
    });
    try {
      const client = await pool.connect();
      const { rows } = await client.query<{ pid: number }>("select pg_backend_pid() as pid");
      // What a database restart does to every session: the server ends it, here between two
      // queries, when node-postgres has no query to fail and emits "error" on the client instead.
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query("select pg_terminate_backend($1)", [rows[0]!.pid]);
      await admin.end();
      await new Promise((r) => setTimeout(r, 300));
      await expect(client.query("select 1")).rejects.toThrow();
      client.release();
      // The broken connection left the pool; a new one answers.
      expect((await pool.query<{ one: number }>("select 1 as one")).rows[0]!.one).toBe(1);
    } finally {
      await pool.end();
    }
  });

  it("gives UNAVAILABLE within the connect timeout when no connection is free", async () => {
    const url = await freshDatabase();
    const store = await open(url, { poolSize: 1, connectTimeoutMs: 200, statementTimeoutMs: 300 });
    await store.createRegisteredModel({ name: "m" });
    // Another session holds the model's row lock: the write waits, and statement_timeout ends it.
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query("begin");
      await c.query("select * from registered_models where name = 'm' for update");
      const started = Date.now();
      const blocked = store.transitionStage("m", 1, "Staging", { actor: "t" }).catch((e: unknown) => e);
      // The pool's one connection is busy with it: a read waits for the connect timeout.
      await expectCode(store.getRegisteredModel("m"), "UNAVAILABLE");
      expect(await blocked).toMatchObject({ code: expect.stringMatching(/^(UNAVAILABLE|NOT_FOUND)$/) });
      expect(Date.now() - started).toBeLessThan(3000);
      await c.query("rollback");
    } finally {
      await c.end();
    }
    expect((await store.getRegisteredModel("m")).name).toBe("m");
  });
});
