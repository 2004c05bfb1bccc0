// The rules of the house (README, "Project layout"), checked on the import graph: each rule
// passes on the tree, and each one is shown to catch a wrong import.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { IMPORT_RULES, importGraph, importsOf, ROOT, SCANNED, violations } from "./import-rules.js";

const GRAPH = importGraph(ROOT, SCANNED);

describe("architecture boundaries", () => {
  it("the import scan sees the tree", () => {
    const files = new Set(GRAPH.map((e) => e.file));
    expect(files.size).toBeGreaterThan(100);
    expect(GRAPH).toContainEqual({
      file: "src/app/create-app.ts",
      spec: "../core/model.js",
      target: "src/core/model.ts",
    });
  });

  for (const rule of IMPORT_RULES) {
    it(rule.title, () => {
      expect(violations(GRAPH, rule)).toEqual([]);
    });
  }

  it("only src/core loads the native addon", () => {
    const loaders = [...new Set(GRAPH.map((e) => e.file))].filter((f) =>
      /mlops_core\.node|createRequire/.test(readFileSync(join(ROOT, f), "utf8")),
    );
    expect(loaders.filter((f) => f.startsWith("src/") && !f.startsWith("src/core/"))).toEqual([]);
  });
});

describe("each rule catches a wrong import", () => {
  for (const rule of IMPORT_RULES) {
    it(rule.title, () => {
      const { file, spec } = rule.example;
      // The example as a real source file would carry it, parsed like the tree.
      const source = `import { x } from "./fine.js";\nimport { y } from "${spec}";\nexport const z = [x, y];\n`;
      expect(violations(importsOf(file, source), rule)).toEqual([`${file} → ${spec}`]);
      // The rule covers the example's file: the same import elsewhere in the tree counts too.
      expect(violations(importsOf(file, `export * from "${spec}";`), rule)).toHaveLength(1);
      expect(violations(importsOf(file, `await import("${spec}");`), rule)).toHaveLength(1);
    });
  }

  it("the checker reads static, re-export, side-effect and dynamic imports, not comments or strings", () => {
    const source = [
      'import a from "./a.js";',
      'import type { B } from "../b.js";',
      'export * from "./c.js";',
      'import "./d.js";',
      'const e = await import("./e.js");',
      '// import "./f.js";',
      'const g = "import g from \\"./g.js\\"";',
    ].join("\n");
    expect(importsOf("src/x/y.ts", source).map((e) => e.target)).toEqual([
      "src/x/a.ts",
      "src/b.ts",
      "src/x/c.ts",
      "src/x/d.ts",
      "src/x/e.ts",
    ]);
  });

  it("an allowed target stays allowed: bench may import the shared test kit", () => {
    const rule = IMPORT_RULES.find((r) => r.title.startsWith("bench never imports test/"));
    expect(rule).toBeDefined();
    if (!rule) return;
    expect(violations(importsOf("bench/run.ts", 'import "../test/kit/reference-scorer.js";'), rule)).toEqual(
      [],
    );
    expect(violations(importsOf("bench/run.ts", 'import "../test/integration/x.js";'), rule)).toHaveLength(1);
  });
});
