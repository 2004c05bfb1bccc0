import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireTool } from "./tools.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const monitoring = join(root, "monitoring");
let promtool = "";
let scratch = "";

function run(...args: string[]) {
  const r = spawnSync(promtool, args, { encoding: "utf8", timeout: 30_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

beforeAll(() => {
  promtool = requireTool("promtool", "prometheus");
  scratch = mkdtempSync(join(tmpdir(), "mlops-promtool-"));
});

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe("promtool on the committed monitoring files", () => {
  it("accepts monitoring/prometheus.yml, rule files included", () => {
    const r = run("check", "config", join(monitoring, "prometheus.yml"));
    expect(r.output).toContain("1 rule files found");
    expect(r.status, r.output).toBe(0);
  });

  it("accepts monitoring/alerts.yml with its four rules", () => {
    const r = run("check", "rules", join(monitoring, "alerts.yml"));
    expect(r.output).toContain("4 rules found");
    expect(r.status, r.output).toBe(0);
  });

  it("passes the alert unit tests: each alert fires on its synthetic series", () => {
    const r = run("test", "rules", join(monitoring, "alerts.test.yml"));
    expect(r.status, r.output).toBe(0);
  });
});

describe("the checks can fail", () => {
  it("rejects a rule whose PromQL does not parse", () => {
    const bad = join(scratch, "bad-rules.yml");
    writeFileSync(
      bad,
      readFileSync(join(monitoring, "alerts.yml"), "utf8").replace(
        "mlops_model_loaded == 0",
        "mlops_model_loaded ==",
      ),
    );
    expect(run("check", "rules", bad).status).not.toBe(0);
  });

  it("fails the unit tests when a threshold moves (10% instead of 5%)", () => {
    copyFileSync(join(monitoring, "alerts.test.yml"), join(scratch, "alerts.test.yml"));
    const rules = readFileSync(join(monitoring, "alerts.yml"), "utf8");
    expect(rules).toContain("> 0.05");
    writeFileSync(join(scratch, "alerts.yml"), rules.replace("> 0.05", "> 0.10"));
    const r = run("test", "rules", join(scratch, "alerts.test.yml"));
    expect(r.status).not.toBe(0);
    expect(r.output).toContain("MlopsApiHighErrorRatio");
  });
});
