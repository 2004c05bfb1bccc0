// What each kind of server process loads before it serves (decision 0030): the static import
// closure of its entry, read from the compiled dist/ that node runs. A dynamic import() is where a
// module starts to load on first use, so the walk stops there.
import { existsSync, readFileSync } from "node:fs";
import { join, posix } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { ROOT } from "./import-rules.js";

/** Static imports and re-exports of one compiled file, and its dynamic import() specifiers. */
function importsOfJs(source: string): { static: string[]; dynamic: string[] } {
  const file = ts.createSourceFile("x.js", source, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const found = { static: [] as string[], dynamic: [] as string[] };
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      if (ts.isStringLiteral(node.moduleSpecifier)) found.static.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      found.dynamic.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** Every dist/ file and package the entry loads before any dynamic import() runs. */
function staticClosure(entry: string): Set<string> {
  const seen = new Set<string>();
  const walk = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of importsOfJs(readFileSync(join(ROOT, file), "utf8")).static) {
      if (spec.startsWith(".")) walk(posix.join(posix.dirname(file), spec));
      else seen.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!);
    }
  };
  walk(entry);
  return seen;
}

const has = (closure: Set<string>, prefixes: readonly string[]) =>
  prefixes.filter((p) => [...closure].some((m) => m === p || m.startsWith(p)));

describe("what a server process loads at startup", () => {
  it("reads dist/ as node runs it", () => {
    expect(existsSync(join(ROOT, "dist/cli/main.js"))).toBe(true);
    const cli = staticClosure("dist/cli/main.js");
    // The walk sees the whole CLI: every command and what it imports.
    expect(
      has(cli, ["dist/cli/train.js", "dist/models/import/index.js", "commander", "cli-progress"]),
    ).toHaveLength(4);
    expect(importsOfJs('const m = await import("./a.js"); import "./b.js";')).toEqual({
      static: ["./b.js"],
      dynamic: ["./a.js"],
    });
  });

  it("a cluster worker's CLI entry holds the serve command alone", () => {
    const worker = staticClosure("dist/cli/worker-main.js");
    expect(worker.has("dist/cli/serve.js")).toBe(true);
    expect(
      has(worker, [
        "dist/cli/train.js",
        "dist/cli/models.js",
        "dist/cli/runs.js",
        "dist/cli/serve-bootstrap.js",
        "dist/workflows/",
        "cli-progress",
        "yaml",
      ]),
    ).toEqual([]);
  });

  it("the cluster's primary does not import the app", () => {
    const primary = staticClosure("dist/cluster/create-cluster.js");
    expect(primary.has("dist/cluster/primary.js")).toBe(true);
    expect(has(primary, ["dist/app/", "dist/transports/", "dist/store/", "@grpc/grpc-js", "kysely"])).toEqual(
      [],
    );
  });

  it("the app loads the importers, the ONNX writer and the MLmodel reader on first use", () => {
    const app = staticClosure("dist/app/start-app.js");
    expect(app.has("dist/services/registry-service.js")).toBe(true);
    expect(
      has(app, [
        "dist/models/import/index.js",
        "dist/models/export/onnx.js",
        "dist/models/mlflow/mlmodel.js",
        "dist/core/train.js",
        "yaml",
      ]),
    ).toEqual([]);
  });
});
