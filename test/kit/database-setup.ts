// vitest setupFiles: after each test file, drop the PostgreSQL databases it created (a no-op on SQLite).
import { afterAll } from "vitest";
import { dropCreatedDatabases } from "./database.js";

afterAll(async () => {
  await dropCreatedDatabases();
});
