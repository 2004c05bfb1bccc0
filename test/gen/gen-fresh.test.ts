// src/gen and openapi/openapi.json are committed; this fails when someone edits proto/ (or the buf
// config, or the OpenAPI plugin and its hand-written routes) without running `npm run gen`.
// Generation goes to temp dirs so the working tree is never touched.
import { execFile } from "node:child_process";
import { cp, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "node_modules/.bin");
const COMMITTED = join(ROOT, "src/gen");
const OPENAPI = join(ROOT, "openapi");

interface GenTemplate {
  plugins: { out: string }[];
}

/** Runs buf as `npm run gen` would: protoc-gen-es is found on PATH in node_modules/.bin. */
async function buf(cwd: string, args: string[]): Promise<void> {
  await run(join(BIN, "buf"), args, {
    cwd,
    env: { ...process.env, PATH: `${BIN}${delimiter}${process.env.PATH ?? ""}` },
  });
}

/** Every file under dir, as sorted paths relative to dir. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

/** Files whose bytes differ between two trees holding the same file names. */
async function changedFiles(a: string, b: string, names: string[]): Promise<string[]> {
  const changed: string[] = [];
  for (const name of names) {
    const [x, y] = await Promise.all([readFile(join(a, name)), readFile(join(b, name))]);
    if (!x.equals(y)) changed.push(name);
  }
  return changed;
}

let work: string;
let fresh: string;
let freshOpenapi: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "mlops-gen-"));
  fresh = join(work, "fresh");
  freshOpenapi = join(work, "fresh-openapi");
  // Same workspace and template as `npm run gen`, only each plugin's `out` redirected.
  const template = parse(await readFile(join(ROOT, "buf.gen.yaml"), "utf8")) as GenTemplate;
  expect(template.plugins.map((p) => resolve(ROOT, p.out))).toEqual([COMMITTED, OPENAPI]);
  const [es, openapi] = template.plugins as [{ out: string }, { out: string }];
  es.out = fresh;
  openapi.out = freshOpenapi;
  const templatePath = join(work, "buf.gen.yaml");
  await writeFile(templatePath, stringify(template));
  await buf(ROOT, ["generate", "--template", templatePath]);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("src/gen", () => {
  it("is byte-identical to a fresh `buf generate` of proto/ (else run `npm run gen`)", async () => {
    const names = await listFiles(fresh);
    expect(names).toContain("mlops/v1/predict_pb.ts");
    expect(names).toContain("google/api/annotations_pb.ts");
    expect(await listFiles(COMMITTED), "files missing from or extra in src/gen").toEqual(names);
    expect(await changedFiles(fresh, COMMITTED, names), "stale files in src/gen").toEqual([]);
  });

  it("openapi/openapi.json is byte-identical to a fresh generation (else run `npm run gen`)", async () => {
    expect(await listFiles(freshOpenapi)).toEqual(["openapi.json"]);
    expect(await listFiles(OPENAPI), "files missing from or extra in openapi/").toEqual(["openapi.json"]);
    expect(await changedFiles(freshOpenapi, OPENAPI, ["openapi.json"]), "stale openapi.json").toEqual([]);
  });

  it("notices a proto edit that was not regenerated", async () => {
    // A copy of the workspace with one comment changed generates a different predict_pb.ts and
    // nothing else, so the comparison above is sensitive to any proto edit.
    const copy = join(work, "copy");
    await cp(join(ROOT, "proto"), join(copy, "proto"), { recursive: true });
    await cp(join(ROOT, "buf.yaml"), join(copy, "buf.yaml"));
    await cp(join(ROOT, "buf.gen.yaml"), join(copy, "buf.gen.yaml"));
    await cp(join(ROOT, "tools"), join(copy, "tools"), { recursive: true });
    await symlink(join(ROOT, "node_modules"), join(copy, "node_modules"));
    const predict = join(copy, "proto/mlops/v1/predict.proto");
    const text = await readFile(predict, "utf8");
    const edited = text.replace("// One row to score.", "// One row to score, edited.");
    expect(edited).not.toBe(text);
    await writeFile(predict, edited);
    await buf(copy, ["generate"]);

    const out = join(copy, "src/gen");
    const names = await listFiles(out);
    expect(names).toEqual(await listFiles(fresh));
    expect(await changedFiles(out, fresh, names)).toEqual(["mlops/v1/predict_pb.ts"]);
    // The comment is PredictRequest's description in the OpenAPI document too.
    expect(await changedFiles(join(copy, "openapi"), freshOpenapi, ["openapi.json"])).toEqual([
      "openapi.json",
    ]);
    expect(await readFile(join(copy, "openapi/openapi.json"), "utf8")).toContain("One row to score, edited.");
  });
});
