import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { findOnPath, requireTool } from "./tools.js";

const dirs: string[] = [];
const savedPath = process.env.PATH;

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "mlops-tools-"));
  dirs.push(d);
  return d;
}

afterEach(() => {
  process.env.PATH = savedPath;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("findOnPath", () => {
  it("finds an executable and ignores a non-executable file of the same name", () => {
    const a = tempDir();
    const b = tempDir();
    writeFileSync(join(a, "tool"), "");
    writeFileSync(join(b, "tool"), "#!/bin/sh\n");
    chmodSync(join(b, "tool"), 0o755);
    expect(findOnPath("tool", `${a}:${b}`)).toBe(join(b, "tool"));
    expect(findOnPath("tool", a)).toBeUndefined();
  });
});

describe("requireTool", () => {
  it("fails (never skips) with a stable code and the apt command to run", () => {
    process.env.PATH = tempDir();
    let caught: unknown;
    try {
      requireTool("promtool", "prometheus");
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({ code: "ERR_MISSING_TOOL" });
    expect((caught as Error).message).toContain("apt-get install -y prometheus");
  });

  it("returns the tool's path when it is installed", () => {
    const d = tempDir();
    writeFileSync(join(d, "promtool"), "#!/bin/sh\n");
    chmodSync(join(d, "promtool"), 0o755);
    process.env.PATH = d;
    expect(requireTool("promtool", "prometheus")).toBe(join(d, "promtool"));
  });
});
