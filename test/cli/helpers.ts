// Runs the real `mlops` binary (node bin/mlops.js, over dist/ from `npm run build`) against a
// temporary data directory.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { databaseEnvFor } from "../kit/database.js";

export const ROOT = resolve(import.meta.dirname, "..", "..");
export const BIN = join(ROOT, "bin", "mlops.js");
export { DATASET } from "../helpers/dataset.js";

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface MlopsOptions {
  dataDir: string;
  env?: Record<string, string>;
  /** Called with the child's stderr as it grows, e.g. to send a signal at the right moment. */
  onStderr?: (text: string, child: ReturnType<typeof spawn>) => void;
  timeoutMs?: number;
}

export function assertBuilt(): void {
  if (!existsSync(join(ROOT, "dist", "cli", "main.js"))) {
    throw new Error("dist/ is missing: run `npm run build` first (npm test does it in pretest)");
  }
}

/** Runs the CLI on `options.dataDir` (and, in a PostgreSQL run, that directory's database). */
export async function mlops(args: string[], options: MlopsOptions): Promise<CliResult> {
  const database = await databaseEnvFor(options.dataDir);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: {
        ...process.env,
        MLOPS_DATA_DIR: options.dataDir,
        MLOPS_LOG_LEVEL: "",
        MLOPS_MODEL_NAME: "",
        ...database,
        ...options.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
      options.onStderr?.(stderr, child);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}

/** The stable code of a failure line `error: CODE: message` on stderr. */
export function errorCode(stderr: string): string | undefined {
  return /^error: ([A-Z][A-Z0-9_]*): /m.exec(stderr)?.[1];
}

export async function tempDataDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "mlops-cli-"));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Parses stdout as JSON, with the output in the message when it is not. */
export function json<T = Record<string, unknown>>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(
      `stdout is not JSON (exit ${result.code}):\n${result.stdout}\n--- stderr ---\n${result.stderr}`,
    );
  }
}
