import { access } from "node:fs/promises";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import {
  createStore,
  isStoreError,
  openSqliteStore,
  resolveStoreOptions,
  STORE_DEFAULTS,
  StoreError,
} from "../../src/store/index.js";
import { expectCode, openTempStore, tempDir } from "./helpers.js";

describe("options", () => {
  it("documents and applies its defaults", () => {
    const o = resolveStoreOptions({ dataDir: "/x" });
    const pool = { poolSize: 10, connectTimeoutMs: 2000, statementTimeoutMs: 10_000, idleTimeoutMs: 30_000 };
    expect(STORE_DEFAULTS).toEqual({ busyTimeoutMs: 100, writeTimeoutMs: 10_000, ...pool });
    expect(o).toEqual({ dataDir: "/x", busyTimeoutMs: 100, writeTimeoutMs: 10_000, ...pool, now: Date.now });
    const now = () => 5;
    const url = "postgres://u@h:5432/db";
    expect(
      resolveStoreOptions({ dataDir: "/x", url, busyTimeoutMs: 0, writeTimeoutMs: 1, poolSize: 3, now }),
    ).toEqual({ dataDir: "/x", url, busyTimeoutMs: 0, writeTimeoutMs: 1, ...pool, poolSize: 3, now });
  });

  it("rejects nonsense options", () => {
    for (const bad of [
      { dataDir: "" },
      { dataDir: "/x", busyTimeoutMs: -1 },
      { dataDir: "/x", writeTimeoutMs: 1.5 },
      { dataDir: "/x", url: "mysql://h/db" },
      { dataDir: "/x", poolSize: 0 },
      { dataDir: "/x", connectTimeoutMs: -1 },
    ]) {
      let error: unknown;
      try {
        resolveStoreOptions(bad);
      } catch (e) {
        error = e;
      }
      expect(isStoreError(error, "INVALID_ARGUMENT")).toBe(true);
    }
  });

  it("uses the real clock by default", async () => {
    const before = Date.now();
    const store = await openTempStore();
    const e = await store.createExperiment({ name: "now" });
    expect(e.createdAtMs).toBeGreaterThanOrEqual(before);
    expect(e.createdAtMs).toBeLessThanOrEqual(Date.now());
  });
});

describe("opening", () => {
  it("creates the data dir and a WAL database in it", async () => {
    const dataDir = join(await tempDir(), "nested", "data");
    const store = await createStore({ dataDir });
    await store.ping();
    await store.close();
    await access(join(dataDir, "mlops.db"));
    const raw = new Database(join(dataDir, "mlops.db"), { readonly: true });
    try {
      expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
    } finally {
      raw.close();
    }
  });

  it("runs migrations once and keeps data across reopen", async () => {
    const dataDir = await tempDir();
    const first = await openSqliteStore({ dataDir });
    await first.createRegisteredModel({ name: "kept" });
    await first.close();
    for (let i = 0; i < 2; i++) {
      const again = await openSqliteStore({ dataDir });
      expect((await again.getRegisteredModel("kept")).name).toBe("kept");
      expect((await again.listExperiments()).map((e) => e.name)).toEqual(["Default"]);
      await again.close();
    }
    const raw = new Database(join(dataDir, "mlops.db"), { readonly: true });
    try {
      expect(raw.prepare("select id from schema_migrations").all()).toEqual([
        { id: "0001_initial" },
        { id: "0002_deletes" },
        { id: "0003_ui_search" },
        { id: "0004_mlflow" },
      ]);
    } finally {
      raw.close();
    }
  });

  it("refuses a database migrated by a newer build", async () => {
    const dataDir = await tempDir();
    await (await openSqliteStore({ dataDir })).close();
    const raw = new Database(join(dataDir, "mlops.db"));
    raw.prepare("insert into schema_migrations (id, applied_at_ms) values ('9999_future', 0)").run();
    raw.close();
    await expectCode(openSqliteStore({ dataDir }), "FAILED_PRECONDITION");
  });
});

describe("locking", () => {
  it("waits for another connection's write lock, reading meanwhile", async () => {
    const dataDir = await tempDir();
    // SQLite's file lock, whatever backend the suite runs on (PostgreSQL's: test/store/postgres.test.ts).
    const store = await openSqliteStore({ dataDir, busyTimeoutMs: 5 });
    const raw = new Database(join(dataDir, "mlops.db"));
    let unlock: NodeJS.Timeout | undefined;
    try {
      raw.exec("begin immediate");
      const write = store.createExperiment({ name: "after-unlock" });
      // WAL: reads go on while another connection holds the write lock.
      expect((await store.listExperiments()).map((e) => e.name)).toEqual(["Default"]);
      unlock = setTimeout(() => raw.exec("commit"), 150);
      expect((await write).name).toBe("after-unlock");
    } finally {
      clearTimeout(unlock);
      raw.close();
      await store.close();
    }
  });

  it("fails a write with UNAVAILABLE once the write timeout passes", async () => {
    const dataDir = await tempDir();
    // SQLite's file lock, held by another connection (PostgreSQL's row locks: test/store/postgres.test.ts).
    const store = await openSqliteStore({ dataDir, busyTimeoutMs: 5, writeTimeoutMs: 200 });
    const raw = new Database(join(dataDir, "mlops.db"));
    try {
      raw.exec("begin immediate");
      const started = Date.now();
      await expectCode(store.createRegisteredModel({ name: "blocked" }), "UNAVAILABLE");
      expect(Date.now() - started).toBeGreaterThanOrEqual(200);
      raw.exec("rollback");
      await expectCode(store.getRegisteredModel("blocked"), "NOT_FOUND");
      await store.createRegisteredModel({ name: "blocked" });
    } finally {
      raw.close();
      await store.close();
    }
  });
});

describe("ping and close", () => {
  it("pings while open and reports UNAVAILABLE after close", async () => {
    const store = await openSqliteStore({ dataDir: await tempDir() });
    await store.ping();
    const pending = store.createExperiment({ name: "in-flight" });
    await store.close();
    // close() lets work already started finish.
    expect((await pending).name).toBe("in-flight");
    await expectCode(store.ping(), "UNAVAILABLE");
    await expectCode(store.listExperiments(), "UNAVAILABLE");
    await store.close(); // idempotent
  });

  it("throws StoreError instances", async () => {
    const store = await openTempStore();
    const error = await store.getRegisteredModel("missing").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toBeInstanceOf(Error);
    expect((error as StoreError).code).toBe("NOT_FOUND");
    expect((error as StoreError).message).toContain("missing"); // names what was not found
  });
});
