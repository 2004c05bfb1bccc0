// Which database a test's data directory gets. `MLOPS_TEST_DATABASE=postgres npm test` runs the whole
// suite on PostgreSQL: the global setup (test/kit/postgres-global-setup.ts) starts one server with a
// migrated template database, and every data directory a test uses gets its own database cloned
// from it, so each directory is one registry exactly as its SQLite file is. Otherwise: SQLite.
import { createHash } from "node:crypto";
import { cpSync } from "node:fs";
import { resolve } from "node:path";
import pg from "pg";
import type { StoreOptions } from "../../src/store/index.js";

export type TestBackend = "sqlite" | "postgres";

/** The backend of this test run. */
export const testBackend = (): TestBackend =>
  process.env.MLOPS_TEST_DATABASE === "postgres" ? "postgres" : "sqlite";

/** Set by the global setup: the server's superuser URL (database `postgres`). */
export const ADMIN_URL_ENV = "MLOPS_TEST_POSTGRES_URL";
/** The migrated database every test database is cloned from. */
export const TEMPLATE_DB = "mlops_template";

const created = new Map<string, Promise<string>>();

function adminUrl(): string {
  const url = process.env[ADMIN_URL_ENV];
  if (!url) throw new Error(`${ADMIN_URL_ENV} is unset: the PostgreSQL global setup did not run`);
  return url;
}

const withDatabase = (url: string, name: string): string => {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
};

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: adminUrl() });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A database name per data directory (the same in every process that asks). */
const databaseName = (dataDir: string): string =>
  `t_${createHash("sha256").update(resolve(dataDir)).digest("hex").slice(0, 24)}`;

/**
 * The PostgreSQL URL for `dataDir` in a PostgreSQL run (its database is created from the template on
 * first use), undefined in a SQLite run.
 */
export function databaseUrlFor(dataDir: string): Promise<string | undefined> {
  if (testBackend() !== "postgres") return Promise.resolve(undefined);
  const name = databaseName(dataDir);
  let url = created.get(name);
  if (!url) {
    url = admin(async (c) => {
      try {
        await c.query(`CREATE DATABASE "${name}" TEMPLATE "${TEMPLATE_DB}"`);
      } catch (error) {
        if ((error as { code?: string }).code !== "42P04") throw error; // another process made it
      }
      return withDatabase(adminUrl(), name);
    });
    created.set(name, url);
    url.catch(() => created.delete(name));
  }
  return url;
}

/** `{dataDir, url}` for createStore: the data directory's database in a PostgreSQL run. */
export async function storeOptionsFor<T extends StoreOptions>(options: T): Promise<T> {
  const url = await databaseUrlFor(options.dataDir);
  return url === undefined ? options : { ...options, url };
}

/** `{MLOPS_DATABASE_URL}` for a child process on `dataDir` (empty in a SQLite run). */
export async function databaseEnvFor(dataDir: string): Promise<Record<string, string>> {
  const url = await databaseUrlFor(dataDir);
  return url === undefined ? {} : { MLOPS_DATABASE_URL: url };
}

/** Drops the databases this process created (the setup file calls it after each test file). */
export async function dropCreatedDatabases(): Promise<void> {
  const names = [...created.keys()];
  created.clear();
  if (names.length === 0) return;
  await admin(async (c) => {
    for (const name of names) await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });
}

/**
 * Copies data directory `from` to `to` (a fresh path): the files, and in a PostgreSQL run its
 * database (cloned; nothing may be connected to it meanwhile).
 */
export async function copyDataDir(from: string, to: string): Promise<void> {
  cpSync(from, to, { recursive: true });
  if (testBackend() !== "postgres") return;
  const source = databaseName(from);
  await databaseUrlFor(from); // make sure it exists
  const name = databaseName(to);
  const url = admin(async (c) => {
    await c.query(`CREATE DATABASE "${name}" TEMPLATE "${source}"`);
    return withDatabase(adminUrl(), name);
  });
  created.set(name, url);
  await url;
}
