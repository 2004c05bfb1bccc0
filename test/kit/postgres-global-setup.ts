// vitest globalSetup: in a PostgreSQL run (MLOPS_TEST_DATABASE=postgres) starts one PostgreSQL 15 for
// the whole suite and migrates a template database that test/kit/database.ts clones per data
// directory. In a SQLite run it does nothing.
import { openPostgresStore } from "../../src/store/postgres/open-postgres-store.js";
import { ADMIN_URL_ENV, TEMPLATE_DB, testBackend } from "./database.js";
import { type PostgresServer, startPostgres } from "./postgres.js";

let server: PostgresServer | undefined;

export async function setup(): Promise<void> {
  if (testBackend() !== "postgres") return;
  server = await startPostgres();
  const url = await server.createDatabase(TEMPLATE_DB);
  const store = await openPostgresStore({ dataDir: "/nonexistent", url });
  await store.close();
  // Inherited by the test processes (and the servers and CLIs they spawn).
  process.env[ADMIN_URL_ENV] = server.url();
}

export async function teardown(): Promise<void> {
  await server?.destroy();
  server = undefined;
}
