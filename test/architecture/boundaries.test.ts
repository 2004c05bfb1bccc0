// The layering rules of the house (README, "Project layout"), checked on the import graph.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith(".ts") ? [path] : [];
  });
}

const SOURCES = files(join(ROOT, "src")).map((path) => ({
  path: relative(ROOT, path),
  imports: [...readFileSync(path, "utf8").matchAll(/^(?:import|export)[^;]*?from\s+"([^"]+)"/gms)].map(
    (m) => m[1],
  ),
}));

function offenders(inDir: (p: string) => boolean, bad: (spec: string) => boolean): string[] {
  return SOURCES.filter((f) => inDir(f.path)).flatMap((f) =>
    f.imports.filter(bad).map((s) => `${f.path} → ${s}`),
  );
}

describe("architecture boundaries", () => {
  it("the import scan sees the tree", () => {
    expect(SOURCES.length).toBeGreaterThan(50);
    expect(SOURCES.find((f) => f.path === "src/app/create-app.ts")?.imports).toContain("../core/model.js");
  });

  it("services know nothing of HTTP or gRPC", () => {
    expect(
      offenders(
        (p) => p.startsWith("src/services/"),
        (s) => /transports|@grpc\/|@connectrpc\/|node:http|node:http2/.test(s),
      ),
    ).toEqual([]);
  });

  it("only src/core reaches the native addon", () => {
    const loaders = SOURCES.filter((f) =>
      /mlops_core\.node|createRequire/.test(readFileSync(join(ROOT, f.path), "utf8")),
    );
    expect(loaders.map((f) => f.path).filter((p) => !p.startsWith("src/core/"))).toEqual([]);
    expect(
      offenders(
        (p) => !p.startsWith("src/core/"),
        (s) => /core\/native\.js$/.test(s),
      ),
    ).toEqual([]);
  });

  it("generated code is imported, never importing back into the house", () => {
    expect(
      offenders(
        (p) => p.startsWith("src/gen/"),
        (s) => s.startsWith("../../../") && !s.includes("/gen/"),
      ),
    ).toEqual([]);
  });

  it("the store, core and services never import transports, serving or the CLI", () => {
    expect(
      offenders(
        (p) => /^src\/(store|core|services)\//.test(p),
        (s) => /\/(transports|cli|app)\//.test(s),
      ),
    ).toEqual([]);
  });
});
