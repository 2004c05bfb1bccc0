// The import graph of the repo and the layering rules it must keep, as data, so that a test can show
// each rule catching a wrong import as well as passing on the tree.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, posix, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/** One import: the importing file and what it names, both repo-relative with "/" separators. */
export interface ImportEdge {
  file: string;
  spec: string;
  /** The imported file (`.js` read as `.ts`) for relative specifiers; the package specifier otherwise. */
  target: string;
}

/** Static, re-export, side-effect and dynamic imports of one source file (comments and strings ignored). */
export function importsOf(file: string, source: string): ImportEdge[] {
  return ts.preProcessFile(source, true, true).importedFiles.map(({ fileName: spec }) => ({
    file,
    spec,
    target: spec.startsWith(".") ? posix.join(posix.dirname(file), spec).replace(/\.js$/, ".ts") : spec,
  }));
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? tsFiles(path) : path.endsWith(".ts") ? [path] : [];
  });
}

/** Every import of every .ts file under `dirs` (repo-relative) of `root`. */
export function importGraph(root: string, dirs: readonly string[]): ImportEdge[] {
  return dirs.flatMap((dir) =>
    tsFiles(join(root, dir)).flatMap((path) =>
      importsOf(relative(root, path).split(sep).join("/"), readFileSync(path, "utf8")),
    ),
  );
}

/** A folder-level rule: files under `from` never import what `forbid` names. */
export interface ImportRule {
  title: string;
  /** Folder (or file) prefixes whose files the rule covers. */
  from: readonly string[];
  /** Prefixes inside `from` that the rule leaves out. */
  fromExcept?: readonly string[];
  /** Forbidden targets: repo path prefixes (`src/services/`), or patterns on a package specifier. */
  forbid: ReadonlyArray<string | RegExp>;
  /** Targets that stay allowed although `forbid` matches them. */
  except?: readonly string[];
  /** An import that breaks the rule: `import … from spec` in `file`. */
  example: { file: string; spec: string };
}

const startsWithAny = (path: string, prefixes: readonly string[] = []) =>
  prefixes.some((p) => path.startsWith(p));

/** The imports in `graph` that break `rule`, as "file → spec". */
export function violations(graph: readonly ImportEdge[], rule: ImportRule): string[] {
  return graph
    .filter((e) => startsWithAny(e.file, rule.from) && !startsWithAny(e.file, rule.fromExcept))
    .filter((e) =>
      rule.forbid.some((f) => (typeof f === "string" ? e.target.startsWith(f) : f.test(e.target))),
    )
    .filter((e) => !startsWithAny(e.target, rule.except))
    .map((e) => `${e.file} → ${e.spec}`);
}

/** Layers above the one being checked, by folder. */
const ABOVE_SERVICES = ["src/transports/", "src/workflows/", "src/app/", "src/cli/", "src/index.ts"];
const OUTSIDE_SRC = ["test/", "bench/", "tools/"];
/** The ways out of process a transport-free layer must not know about. */
const WIRE = /^(@grpc\/|@connectrpc\/|node:https?$|node:http2$)/;

/**
 * The rules of the house (README, "Project layout"): proto → gen → services → transports;
 * native → core → serving; store below both; src/rpc (codes, errors, bindings) below all of them.
 */
export const IMPORT_RULES: readonly ImportRule[] = [
  {
    title: "src/rpc (codes, errors, bindings) imports nothing of the house outside itself",
    from: ["src/rpc/"],
    forbid: ["src/", ...OUTSIDE_SRC],
    except: ["src/rpc/"],
    example: { file: "src/rpc/service-error.ts", spec: "../services/predict-service.js" },
  },
  {
    title: "generated code imports nothing of the house outside src/gen",
    from: ["src/gen/"],
    forbid: ["src/", ...OUTSIDE_SRC],
    except: ["src/gen/"],
    example: { file: "src/gen/mlops/v1/predict_pb.ts", spec: "../../../rpc/code.js" },
  },
  {
    title:
      "src/store imports only itself, node: builtins, kysely, better-sqlite3, pg and the S3 client (no generated protos)",
    from: ["src/store/"],
    forbid: [
      "src/",
      ...OUTSIDE_SRC,
      /^(?!node:|kysely$|better-sqlite3$|pg$|@aws-sdk\/client-s3$|(src|test|bench)\/)/,
    ],
    except: ["src/store/"],
    example: { file: "src/store/kysely/models.ts", spec: "../../gen/mlops/v1/registry_pb.js" },
  },
  {
    title: "kysely stays inside src/store",
    from: ["src/"],
    fromExcept: ["src/store/"],
    forbid: [/^kysely(\/|$)/],
    example: { file: "src/services/registry-service.ts", spec: "kysely" },
  },
  {
    title: "better-sqlite3 stays inside src/store/sqlite (the query code is dialect-neutral)",
    from: ["src/"],
    fromExcept: ["src/store/sqlite/"],
    forbid: [/^better-sqlite3(\/|$)/],
    example: { file: "src/store/kysely/runs.ts", spec: "better-sqlite3" },
  },
  {
    title: "the S3 client stays inside src/store/artifacts/s3 (the rest sees the ArtifactStore interface)",
    from: ["src/", "bench/"],
    fromExcept: ["src/store/artifacts/s3/"],
    forbid: [/^@aws-sdk\//],
    example: { file: "src/store/artifacts/create-artifact-store.ts", spec: "@aws-sdk/client-s3" },
  },
  {
    title: "pg stays inside src/store/postgres (the query code is dialect-neutral)",
    from: ["src/"],
    fromExcept: ["src/store/postgres/"],
    forbid: [/^pg(\/|$)/],
    example: { file: "src/store/kysely/runs.ts", spec: "pg" },
  },
  {
    title: "the store and the core never import services, serving, transports, workflows, the app or the CLI",
    from: ["src/store/", "src/core/"],
    forbid: ["src/services/", "src/serving/", ...ABOVE_SERVICES],
    example: { file: "src/core/model.ts", spec: "../serving/batcher.js" },
  },
  {
    title: "serving never imports services, transports, workflows, the app or the CLI",
    from: ["src/serving/"],
    forbid: ["src/services/", ...ABOVE_SERVICES],
    example: { file: "src/serving/batcher.ts", spec: "../services/errors.js" },
  },
  {
    title: "services never import transports, workflows, the app or the CLI",
    from: ["src/services/"],
    forbid: ABOVE_SERVICES,
    example: { file: "src/services/predict-service.ts", spec: "../transports/pipeline.js" },
  },
  {
    title: "store, core, serving and services know nothing of HTTP or gRPC",
    from: ["src/store/", "src/core/", "src/serving/", "src/services/"],
    forbid: [WIRE],
    example: { file: "src/services/registry-service.ts", spec: "@grpc/grpc-js" },
  },
  {
    title:
      "src/models (artifact format, importers, exporters) sits on the core: no store, serving, services or above",
    from: ["src/models/"],
    forbid: ["src/store/", "src/serving/", "src/services/", ...ABOVE_SERVICES, WIRE],
    example: { file: "src/models/import/xgboost.ts", spec: "../../store/index.js" },
  },
  {
    title: "transports never import workflows, the app or the CLI",
    from: ["src/transports/"],
    forbid: ["src/workflows/", "src/app/", "src/cli/", "src/index.ts"],
    example: { file: "src/transports/http/server.ts", spec: "../../app/ops.js" },
  },
  {
    title: "transports/http never imports transports/grpc",
    from: ["src/transports/http/"],
    forbid: ["src/transports/grpc/"],
    example: { file: "src/transports/http/connect.ts", spec: "../grpc/server.js" },
  },
  {
    title: "the HTTP and gRPC transports never import transports/oip (the app wires it in)",
    from: ["src/transports/http/", "src/transports/grpc/"],
    forbid: ["src/transports/oip/"],
    example: { file: "src/transports/http/server.ts", spec: "../oip/rest.js" },
  },
  {
    title: "transports/oip uses the HTTP port's routes and body reading, never its server, Connect or gRPC",
    from: ["src/transports/oip/"],
    forbid: [
      "src/transports/grpc/",
      "src/transports/http/server.ts",
      "src/transports/http/connect.ts",
      "src/transports/pipeline.ts",
      /^@grpc\//,
      /^@connectrpc\//,
    ],
    example: { file: "src/transports/oip/grpc.ts", spec: "../grpc/server.js" },
  },
  {
    title:
      "tools/ (the OpenAPI plugin) works from descriptors alone: it imports nothing of src, test or bench",
    from: ["tools/"],
    forbid: ["src/", "test/", "bench/"],
    example: {
      file: "tools/protoc-gen-openapi/document.ts",
      spec: "../../src/gen/google/api/annotations_pb.js",
    },
  },
  {
    title: "only src/core imports the addon binding (the core's own tests may)",
    from: ["src/", "bench/"],
    fromExcept: ["src/core/"],
    forbid: ["src/core/native.ts"],
    example: { file: "src/serving/batcher.ts", spec: "../core/native.js" },
  },
  {
    title: "src never imports tests or benchmarks",
    from: ["src/"],
    forbid: OUTSIDE_SRC,
    example: { file: "src/core/index.ts", spec: "../../test/helpers/random-model.js" },
  },
  {
    title: "bench never imports test/ except the shared kit (test/kit/)",
    from: ["bench/"],
    forbid: ["test/"],
    except: ["test/kit/"],
    example: { file: "bench/lib/onnx-compare.ts", spec: "../../test/cli/helpers.js" },
  },
];

/** The repo's own folders, relative to its root. */
export const SCANNED = ["src", "bench", "test", "tools"] as const;
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
