// The baselines measured in the same run: bare node:http, bare grpc-js, and the seed's own stack.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { type Child, startChild } from "./children.js";
import { waitForPredict } from "./mlops-server.js";

const TSX = ["--import", "tsx"];

async function started(child: Child, pattern: RegExp, timeoutMs: number): Promise<Child> {
  try {
    await child.waitForOutput(pattern, timeoutMs);
    return child;
  } catch (error) {
    await child.stop(1000);
    throw new Error(`${(error as Error).message}\n${child.output().slice(-2000)}`);
  }
}

/** bench/servers/bare-http.ts on 127.0.0.1:port, as a cluster of `workers` processes; ready when /predict answers. */
export async function startBareHttp(options: {
  port: number;
  workers?: number;
  cpus?: string;
}): Promise<Child> {
  const workers = options.workers ?? 1;
  const child = startChild({
    name: `bare node:http (workers ${workers})`,
    command: process.execPath,
    args: [
      ...TSX,
      "bench/servers/bare-http.ts",
      "--port",
      String(options.port),
      "--workers",
      String(workers),
    ],
    cpus: options.cpus,
  });
  await started(child, /listening/, 30_000);
  try {
    await waitForPredict(`http://127.0.0.1:${options.port}`, 30_000, child);
  } catch (error) {
    await child.stop(1000);
    throw error;
  }
  return child;
}

/** bench/servers/bare-grpc.ts on 127.0.0.1:port; ready once it has bound. */
export async function startBareGrpc(options: { port: number; cpus?: string }): Promise<Child> {
  const child = startChild({
    name: "bare grpc-js",
    command: process.execPath,
    args: [...TSX, "bench/servers/bare-grpc.ts", "--port", String(options.port)],
    cpus: options.cpus,
  });
  return started(child, /listening/, 30_000);
}

/** Where the seed stack's start script lives (beside the repository, as CI lays it out). */
export const SEED_STACK_SCRIPT = resolve("../shared/baselines/run-seed-stack.sh");

/** Whether the seed stack can start without installing anything first. */
export function seedStackInstalled(): boolean {
  if (!existsSync(SEED_STACK_SCRIPT)) return false;
  const probe = spawnSync("/usr/bin/python3", ["-c", "import fastapi, uvicorn, sklearn"], {
    stdio: "ignore",
  });
  return probe.status === 0;
}

/**
 * Starts the seed's FastAPI + sklearn stack on 127.0.0.1:port (installing its Debian packages on
 * first use, which is why the timeout is generous) and resolves once /predict answers.
 */
export async function startSeedStack(options: {
  port: number;
  timeoutMs: number;
  cpus?: string;
}): Promise<Child> {
  if (!existsSync(SEED_STACK_SCRIPT)) throw new Error(`${SEED_STACK_SCRIPT} not found`);
  const child = startChild({
    name: "seed stack (FastAPI + sklearn)",
    command: "bash",
    args: [SEED_STACK_SCRIPT],
    env: { ...process.env, PORT: String(options.port) },
    cpus: options.cpus,
  });
  try {
    await waitForPredict(`http://127.0.0.1:${options.port}`, options.timeoutMs, child);
    return child;
  } catch (error) {
    await child.stop(2000);
    throw new Error(`${(error as Error).message}\n${child.output().slice(-2000)}`);
  }
}
