// The store's query code stays dialect-neutral (a text rule; its import rules are in
// test/architecture/import-rules.ts, with the others).
import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const KYSELY = join(ROOT, "src", "store", "kysely");

const rel = (path: string) => relative(ROOT, path).split(sep).join("/");

describe("store boundaries", () => {
  it("keeps the dialect-neutral query code free of SQLite specifics", async () => {
    const files = (await readdir(KYSELY, { recursive: true })).filter((f) => f.endsWith(".ts"));
    expect(files.length).toBeGreaterThan(5);
    for (const name of files) {
      const file = join(KYSELY, name);
      // Comments may explain how SQLite differs; the code may not depend on it.
      const code = (await readFile(file, "utf8")).replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
      expect(code, rel(file)).not.toMatch(/SqliteDialect|SqliteDriver|sqlite_|PRAGMA|begin immediate/i);
    }
  });
});
