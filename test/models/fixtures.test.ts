import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The committed import fixtures are what their scripts make: each script runs again here (with
 * Debian's python3-xgboost, python3-sklearn and python3-onnx, which scripts/install-test-deps.sh
 * installs) into a fresh folder, and every file must come out byte for byte the same.
 */

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const PYTHON = "/usr/bin/python3";

function reproduces(script: string, folder: string): void {
  const out = mkdtempSync(join(tmpdir(), "mlops-fixtures-"));
  try {
    execFileSync(PYTHON, [join(ROOT, "scripts", "fixtures", script), out], {
      stdio: "pipe",
      timeout: 300_000,
    });
    const committed = join(ROOT, "test", "fixtures", "import", folder);
    const made = readdirSync(out).sort();
    expect(made).toEqual(readdirSync(committed).sort());
    for (const name of made) {
      expect(
        readFileSync(join(out, name)).equals(readFileSync(join(committed, name))),
        `${folder}/${name}`,
      ).toBe(true);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

describe("import fixtures", () => {
  it("scripts/fixtures/make-xgboost.py reproduces test/fixtures/import/xgboost", () => {
    reproduces("make-xgboost.py", "xgboost");
  }, 300_000);

  it("scripts/fixtures/make-onnx.py reproduces test/fixtures/import/onnx", () => {
    reproduces("make-onnx.py", "onnx");
  }, 300_000);
});
