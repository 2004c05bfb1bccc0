// The stable error codes: one catalogue in code (ERROR_CODES), documented in docs/api.md in both
// directions, raised as documented. Codes are asserted, never wording.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  ClassifierModel,
  Code,
  ERROR_CODES,
  loadConfig,
  makeClassification,
  parseCsv,
  train,
} from "../../src/index.js";
import { httpStatusOf } from "../../src/rpc/code.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const CATALOGUE = Object.keys(ERROR_CODES).sort();

/** The first cell (a backticked code) and the other cells of every table row under "## Errors". */
function documentedCodes(): Map<string, string[]> {
  const text = read("docs/api.md");
  const start = text.indexOf("\n## Errors\n");
  expect(start, "docs/api.md has a ## Errors section").toBeGreaterThan(0);
  const end = text.indexOf("\n## ", start + 1);
  const section = text.slice(start, end < 0 ? undefined : end);
  const rows = new Map<string, string[]>();
  for (const [, code = "", rest = ""] of section.matchAll(/^\|\s*`([A-Z_]+)`\s*\|(.*)\|\s*$/gm)) {
    expect(rows.has(code), `${code} is documented once`).toBe(false);
    rows.set(
      code,
      rest.split("|").map((c) => c.trim()),
    );
  }
  return rows;
}

function files(dir: string, ext: RegExp): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = `${dir}/${name}`;
    if (statSync(join(ROOT, path)).isDirectory()) return path === "src/gen" ? [] : files(path, ext);
    return ext.test(name) ? [path] : [];
  });
}

/** `ERR_*` string literals in the sources that raise them (TypeScript and the addon's C++). */
function raisedInSource(): Set<string> {
  const sources = [...files("src", /\.ts$/), ...files("native", /\.(cc|h)$/)];
  const found = new Set<string>();
  for (const path of sources) {
    for (const [, code = ""] of read(path).matchAll(/["'`](ERR_[A-Z_]*[A-Z])["'`]/g)) found.add(code);
  }
  return found;
}

describe("the error catalogue", () => {
  it("holds every gRPC status name but OK, and the house's codes", () => {
    for (const name of Object.keys(Code)) {
      if (name === "OK") expect(ERROR_CODES).not.toHaveProperty(name);
      else expect(ERROR_CODES).toHaveProperty(name, "rpc");
    }
    expect(Object.isFrozen(ERROR_CODES)).toBe(true);
  });

  it("every catalogued code is documented in docs/api.md", () => {
    const documented = documentedCodes();
    expect(CATALOGUE.filter((code) => !documented.has(code))).toEqual([]);
  });

  it("every code docs/api.md documents is in the catalogue", () => {
    const documented = [...documentedCodes().keys()];
    expect(documented.filter((code) => !Object.hasOwn(ERROR_CODES, code))).toEqual([]);
  });

  it("docs/api.md gives each status code its gRPC number and HTTP status, and each other code its source", () => {
    for (const [code, cells] of documentedCodes()) {
      const source = ERROR_CODES[code as keyof typeof ERROR_CODES];
      if (source === "rpc") {
        const name = code as keyof typeof Code;
        expect(cells[0], code).toBe(String(Code[name]));
        expect(cells[1]?.split(" ")[0], code).toBe(String(httpStatusOf(name)));
      } else {
        expect(cells[0], code).toBe(source);
      }
    }
  });

  it("every ERR_* code any doc names is in the catalogue", () => {
    const docs = ["README.md", ...files("docs", /\.md$/)];
    const named = docs.flatMap((path) => [...read(path).matchAll(/\bERR_[A-Z_]*[A-Z]\b/g)].map((m) => m[0]));
    expect([...new Set(named)].filter((code) => !Object.hasOwn(ERROR_CODES, code))).toEqual([]);
  });

  it("the sources raise exactly the catalogued ERR_* codes", () => {
    const raised = [...raisedInSource()].sort();
    const catalogued = CATALOGUE.filter((code) => code.startsWith("ERR_"));
    expect(raised.filter((code) => !catalogued.includes(code))).toEqual([]);
    expect(catalogued.filter((code) => !raised.includes(code))).toEqual([]);
  });
});

describe("codes are raised as documented", () => {
  const codeOf = async (run: () => unknown): Promise<unknown> => {
    try {
      await run();
    } catch (error) {
      return (error as { code?: unknown }).code;
    }
    return "no error";
  };
  const data = makeClassification({ nSamples: 60, nFeatures: 3, nInformative: 2, nRedundant: 0, seed: 1 });

  it("ERR_CONFIG, ERR_DATA, ERR_MODEL_FORMAT, ERR_INVALID_ARG, ERR_SHAPE, ERR_MODEL_DISPOSED, ERR_TRAIN_*", async () => {
    const model = await train(data, { model: "logreg", maxIter: 5 });
    const cases: Array<[string, () => unknown]> = [
      ["ERR_CONFIG", () => loadConfig({}, { MLOPS_HTTP_PORT: "eighty" })],
      ["ERR_DATA", () => parseCsv("a,b\n1,2\n", { target: "label" })],
      ["ERR_MODEL_FORMAT", () => ClassifierModel.fromBytes(new Uint8Array(64))],
      ["ERR_INVALID_ARG", () => ClassifierModel.fromBytes("model" as unknown as Uint8Array)],
      ["ERR_SHAPE", () => model.predictProba(new Float64Array(4), 1)],
      ["ERR_TRAIN_INVALID", () => train(data, { model: "logreg", nEstimators: 5 } as never)],
      ["ERR_TRAIN_CANCELLED", () => train(data, { model: "gbdt" }, { signal: AbortSignal.abort() })],
      [
        "ERR_MODEL_DISPOSED",
        () => {
          model.dispose();
          return model.predictProba(new Float64Array(3), 1);
        },
      ],
    ];
    for (const [code, run] of cases) {
      expect(Object.hasOwn(ERROR_CODES, code), code).toBe(true);
      expect(await codeOf(run), code).toBe(code);
    }
  });
});
