// The `exports` map is the package's public surface: a consumer reaches "mlops", its package.json and
// the protos, and Node's resolver (and TypeScript's) refuses every deeper path. Tested as a consumer
// sees it: a project with node_modules/mlops linked to this checkout. Needs a build (npm test makes one).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, ROOT } from "../cli/helpers.js";

let consumer = "";

beforeAll(() => {
  assertBuilt();
  consumer = mkdtempSync(join(tmpdir(), "mlops-consumer-"));
  mkdirSync(join(consumer, "node_modules"));
  symlinkSync(ROOT, join(consumer, "node_modules", "mlops"), "dir");
  writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "consumer", type: "module" }));
});

afterAll(() => {
  if (consumer) rmSync(consumer, { recursive: true, force: true });
});

/** What `import(spec)` does in the consumer: the export names it gives, or the error code it throws. */
function importAs(specs: readonly string[]): Record<string, { keys?: string[]; code?: string }> {
  const script = `
    const out = {};
    for (const spec of ${JSON.stringify(specs)}) {
      try {
        const opts = spec.endsWith(".json") ? { with: { type: "json" } } : undefined;
        out[spec] = { keys: Object.keys(await import(spec, opts)) };
      } catch (e) {
        out[spec] = { code: e.code ?? String(e) };
      }
    }
    console.log(JSON.stringify(out));`;
  const stdout = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: consumer,
    encoding: "utf8",
  });
  return JSON.parse(stdout);
}

describe("package exports", () => {
  it('lets a consumer import "mlops" and its package.json', () => {
    const got = importAs(["mlops", "mlops/package.json"]);
    expect(got.mlops?.keys).toEqual(
      expect.arrayContaining(["createApp", "createCluster", "ClassifierModel"]),
    );
    expect(got["mlops/package.json"]?.keys).toEqual(["default"]);
  });

  it("refuses deep imports with ERR_PACKAGE_PATH_NOT_EXPORTED", () => {
    const deep = [
      "mlops/dist/core/native.js",
      "mlops/dist/index.js",
      "mlops/src/index.ts",
      "mlops/bin/mlops.js",
    ];
    const got = importAs(deep);
    for (const spec of deep) expect(got[spec], spec).toEqual({ code: "ERR_PACKAGE_PATH_NOT_EXPORTED" });
  });

  it("resolves the protos, for clients that load them at run time", () => {
    const url = execFileSync(
      process.execPath,
      ["--input-type=module", "-e", 'console.log(import.meta.resolve("mlops/proto/mlops/v1/predict.proto"))'],
      { cwd: consumer, encoding: "utf8" },
    ).trim();
    expect(url).toBe(`file://${join(ROOT, "proto/mlops/v1/predict.proto")}`);
  });

  it("gives TypeScript consumers the types of the root entry only", () => {
    const options: ts.CompilerOptions = {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
    };
    const from = join(consumer, "index.ts");
    const resolve = (spec: string) =>
      ts.resolveModuleName(spec, from, options, ts.sys).resolvedModule?.resolvedFileName;
    expect(resolve("mlops")).toBe(join(ROOT, "dist/index.d.ts"));
    expect(resolve("mlops/dist/core/native.js")).toBeUndefined();
  });
});
