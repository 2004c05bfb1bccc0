// MLOPS_NATIVE_ADDON points the core at another build of the addon (npm run test:asan uses it for
// the sanitizer build): a file that is not there is ERR_NATIVE_MISSING naming it, in a fresh process.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

describe("MLOPS_NATIVE_ADDON", () => {
  it("loads the named file instead of build/, and names it when it is missing", () => {
    const script = `
      import { loadAddon } from "./src/core/native.ts";
      try { loadAddon(); console.log("loaded"); } catch (e) { console.log(e.code, e.message); }
    `;
    const res = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: new URL("../..", import.meta.url),
      env: { ...process.env, MLOPS_NATIVE_ADDON: "/nonexistent/mlops_core.node" },
      encoding: "utf8",
    });
    expect(res.stdout).toMatch(/^ERR_NATIVE_MISSING .*\/nonexistent\/mlops_core\.node/);
  });
});
