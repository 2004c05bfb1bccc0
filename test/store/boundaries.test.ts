// The store's architectural rules, checked on the source tree itself.
import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SRC = join(ROOT, "src");

async function tsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await tsFiles(path)));
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

function imports(source: string): string[] {
  return [
    ...source.matchAll(/(?:import|export)[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g),
  ].map((m) => (m[1] ?? m[2])!); // one of the two alternatives matched
}

const rel = (path: string) => relative(ROOT, path).split(sep).join("/");

describe("store boundaries", () => {
  it("keeps better-sqlite3 and kysely inside src/store", async () => {
    const offenders: string[] = [];
    for (const file of await tsFiles(SRC)) {
      if (rel(file).startsWith("src/store/")) continue;
      for (const spec of imports(await readFile(file, "utf8"))) {
        if (/^(better-sqlite3|kysely)(\/|$)/.test(spec)) offenders.push(`${rel(file)} → ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it("keeps src/store free of generated protos and other layers; SQLite only in src/store/sqlite", async () => {
    const offenders: string[] = [];
    for (const file of await tsFiles(join(SRC, "store"))) {
      for (const spec of imports(await readFile(file, "utf8"))) {
        if (spec.startsWith(".")) {
          const target = rel(join(file, "..", spec));
          if (!target.startsWith("src/store/")) offenders.push(`${rel(file)} → ${spec}`);
        } else if (spec === "better-sqlite3" && !rel(file).startsWith("src/store/sqlite/")) {
          offenders.push(`${rel(file)} → ${spec}`);
        } else if (!/^(node:|kysely$|better-sqlite3$)/.test(spec)) {
          offenders.push(`${rel(file)} → ${spec}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it("keeps the dialect-neutral query code free of SQLite specifics", async () => {
    for (const file of await tsFiles(join(SRC, "store", "kysely"))) {
      // Comments may explain how SQLite differs; the code may not depend on it.
      const code = (await readFile(file, "utf8")).replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
      expect(code, rel(file)).not.toMatch(/SqliteDialect|SqliteDriver|sqlite_|PRAGMA|begin immediate/i);
    }
  });
});
