import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { importModel } from "../../src/models/import/index.js";
import { expectedAt, expectParity } from "./fixture-data.js";

/**
 * The committed import fixtures are what their scripts make: each script runs again here (with
 * Debian's python3-xgboost, python3-sklearn and python3-onnx, which scripts/install-test-deps.sh
 * installs) into a fresh folder, and every model file must come out byte for byte the same. The
 * expected outputs (`*.expected.json.gz`) hold scikit-learn's own predict_proba, whose last bits
 * depend on the BLAS build and CPU it ran on (seen: 1 ulp on a fresh machine), so their numbers are
 * compared to 1e-12 relative and everything else in them exactly.
 *
 * Some scikit-learn fits are not bit-reproducible across CPUs either (GradientBoosting's
 * multinomial fit builds other trees on an AVX2 machine than on the AVX-512 one that made the
 * files). Where the rebuilt model file differs, the rebuilt pair must still hold: our import of the
 * rebuilt model agrees with the rebuilt expected outputs within 1e-6 on every row, the same check
 * the parity tests make of the committed pair.
 */

const EXPECTED_SUFFIX = ".expected.json.gz";

function sameJson(a: unknown, b: unknown, path: string): void {
  if (typeof a === "number" && typeof b === "number") {
    const scale = Math.max(Math.abs(a), Math.abs(b), Number.MIN_VALUE);
    expect(Math.abs(a - b) / scale <= 1e-12, `${path}: ${a} vs ${b}`).toBe(true);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    expect(a.length, path).toBe(b.length);
    for (const [i, x] of a.entries()) sameJson(x, b[i], `${path}[${i}]`);
    return;
  }
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object") {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    expect(Object.keys(ao).sort(), path).toEqual(Object.keys(bo).sort());
    for (const k of Object.keys(ao)) sameJson(ao[k], bo[k], `${path}.${k}`);
    return;
  }
  expect(a, path).toEqual(b);
}

function readJsonGz(file: string): unknown {
  return JSON.parse(gunzipSync(readFileSync(file)).toString("utf8"));
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const PYTHON = "/usr/bin/python3";

function reproduces(script: string, folder: string, format: "xgboost" | "onnx"): void {
  const out = mkdtempSync(join(tmpdir(), "mlops-fixtures-"));
  try {
    execFileSync(PYTHON, [join(ROOT, "scripts", "fixtures", script), out], {
      stdio: "pipe",
      timeout: 300_000,
    });
    const committed = join(ROOT, "test", "fixtures", "import", folder);
    const made = readdirSync(out).sort();
    expect(made).toEqual(readdirSync(committed).sort());
    const models = made.filter((name) => !name.endsWith(EXPECTED_SUFFIX));
    for (const name of models) {
      const stem = name.slice(0, name.lastIndexOf("."));
      const expectedName = `${stem}${EXPECTED_SUFFIX}`;
      const rebuilt = readFileSync(join(out, name));
      if (rebuilt.equals(readFileSync(join(committed, name)))) {
        if (made.includes(expectedName)) {
          sameJson(
            readJsonGz(join(out, expectedName)),
            readJsonGz(join(committed, expectedName)),
            `${folder}/${expectedName}`,
          );
        }
        continue;
      }
      // This CPU's fit made another model: the rebuilt pair must agree as the committed one does.
      expect(made, `${folder}/${name} differs and has no expected outputs`).toContain(expectedName);
      const imported = importModel(new Uint8Array(rebuilt), { format });
      expectParity(imported.model, expectedAt(join(out, expectedName)));
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

describe("import fixtures", () => {
  it("scripts/fixtures/make-xgboost.py reproduces test/fixtures/import/xgboost", () => {
    reproduces("make-xgboost.py", "xgboost", "xgboost");
  }, 300_000);

  it("scripts/fixtures/make-onnx.py reproduces test/fixtures/import/onnx", () => {
    reproduces("make-onnx.py", "onnx", "onnx");
  }, 300_000);

  it("scripts/fixtures/make-mlflow.py reproduces test/fixtures/mlflow (MLflow model folders)", () => {
    const out = mkdtempSync(join(tmpdir(), "mlops-fixtures-"));
    try {
      execFileSync(PYTHON, [join(ROOT, "scripts", "fixtures", "make-mlflow.py"), out], {
        stdio: "pipe",
        timeout: 300_000,
      });
      const committed = join(ROOT, "test", "fixtures", "mlflow");
      const files = (dir: string): string[] =>
        readdirSync(dir, { recursive: true, withFileTypes: true })
          .filter((e) => e.isFile())
          .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
          .sort();
      expect(files(out)).toEqual(files(committed));
      for (const name of files(out)) {
        if (name.endsWith(EXPECTED_SUFFIX)) {
          sameJson(readJsonGz(join(out, name)), readJsonGz(join(committed, name)), `mlflow/${name}`);
          continue;
        }
        expect(
          readFileSync(join(out, name)).equals(readFileSync(join(committed, name))),
          `mlflow/${name}`,
        ).toBe(true);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 300_000);
});
