// The program itself: version, help, global options, exit codes.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildProgram } from "../../src/cli/main.js";
import { createStore } from "../../src/store/index.js";
import { databaseUrlFor, storeOptionsFor } from "../kit/database.js";
import { assertBuilt, errorCode, json, mlops, ROOT, tempDataDir } from "./helpers.js";

const dirs: { dir: string; cleanup: () => Promise<void> }[] = [];
beforeAll(async () => {
  assertBuilt();
  dirs.push(await tempDataDir(), await tempDataDir());
  const store = await createStore(await storeOptionsFor({ dataDir: dirs[0]!.dir }));
  await store.createRegisteredModel({ name: "in_flag_dir" });
  await store.close();
});
afterAll(async () => {
  for (const d of dirs) await d.cleanup();
});

describe("mlops", () => {
  it("defines train, serve, models, runs, experiments, gc and migrate with their subcommands", () => {
    const program = buildProgram();
    const names = (c: typeof program) => c.commands.map((x) => x.name()).sort();
    expect(names(program)).toEqual(["experiments", "gc", "migrate", "models", "runs", "serve", "train"]);
    const sub = (name: string) => program.commands.find((c) => c.name() === name)!;
    expect(names(sub("models"))).toEqual([
      "alias",
      "delete",
      "describe",
      "export",
      "history",
      "import",
      "list",
      "promote",
    ]);
    expect(names(sub("runs"))).toEqual(["delete", "end", "list", "restore", "show"]);
    expect(names(sub("experiments"))).toEqual(["delete", "list", "restore"]);
  });

  it("prints its version, and exits 0 / 2 / 1 for help, usage errors and failures", async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { version: string };
    const dataDir = dirs[1]!.dir;
    const [version, short, help, unknown, badLevel, badEnv] = await Promise.all([
      mlops(["--version"], { dataDir }),
      mlops(["-V"], { dataDir }),
      mlops(["models", "--help"], { dataDir }),
      mlops(["modles", "list"], { dataDir }),
      mlops(["models", "list", "--log-level", "loud"], { dataDir }),
      mlops(["models", "list"], { dataDir, env: { MLOPS_HTTP_PORT: "http" } }),
    ]);
    expect([version.code, version.stdout.trim()]).toEqual([0, pkg.version]);
    expect([short.code, short.stdout.trim()]).toEqual([0, pkg.version]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/promote \[options\] <name> <version> <stage>/);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("modles"); // names what the user typed
    expect(badLevel.code).toBe(2);
    expect(badEnv.code).toBe(1);
    expect(errorCode(badEnv.stderr)).toBe("ERR_CONFIG");
  });

  it("takes --data-dir before or after the command, over MLOPS_DATA_DIR", async () => {
    const [flagDir, envDir] = dirs.map((d) => d.dir) as [string, string];
    const names = (stdout: string) =>
      (JSON.parse(stdout) as { registered_models?: { name: string }[] }).registered_models?.map(
        (m) => m.name,
      ) ?? [];
    // The data directory picks the registry only without a database URL: each command gets its
    // directory's own (the flag's, or the environment's).
    const url = async (dir: string) => ({ MLOPS_DATABASE_URL: (await databaseUrlFor(dir)) ?? "" });
    const [after, before, envOnly] = await Promise.all([
      mlops(["models", "list", "--json", "--data-dir", flagDir], {
        dataDir: envDir,
        env: await url(flagDir),
      }),
      mlops(["--data-dir", flagDir, "models", "list", "--json"], {
        dataDir: envDir,
        env: await url(flagDir),
      }),
      mlops(["models", "list", "--json"], { dataDir: envDir }),
    ]);
    expect(names(after.stdout)).toEqual(["in_flag_dir"]);
    expect(names(before.stdout)).toEqual(["in_flag_dir"]);
    expect(json(envOnly)).toEqual({});
  });

  it("a closed stdout (`--json | head -1`) ends quietly with 0, not an EPIPE stack", async () => {
    const { spawn } = await import("node:child_process");
    const child = spawn(process.execPath, [join(ROOT, "bin", "mlops.js"), "models", "list", "--json"], {
      env: { ...process.env, MLOPS_DATA_DIR: dirs[0]!.dir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    // The reader is gone before the CLI writes anything.
    child.stdout.destroy();
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });
});
