// The baselines measured in the same run: bare node:http, bare grpc-js, and the seed's own stack.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { type Child, startChild } from "./children.js";
import { waitForPredict } from "./mlops-server.js";
import { BENCH_DEFAULTS, type BenchOptions } from "./options.js";

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

/**
 * bench/servers/node-onnx.ts on 127.0.0.1:port scoring with onnxruntime-node on `modelPath` (an
 * ONNX file), one row per call: the server a Node team would write instead. Ready when /predict answers.
 */
export async function startNodeOnnx(options: {
  port: number;
  modelPath: string;
  cpus?: string;
}): Promise<Child> {
  const child = startChild({
    name: "node:http + onnxruntime-node",
    command: process.execPath,
    args: [
      ...TSX,
      "bench/servers/node-onnx.ts",
      "--port",
      String(options.port),
      "--model",
      options.modelPath,
    ],
    cpus: options.cpus,
  });
  await started(child, /listening/, 60_000);
  try {
    await waitForPredict(`http://127.0.0.1:${options.port}`, 30_000, child);
  } catch (error) {
    await child.stop(1000);
    throw error;
  }
  return child;
}

/** Whether Python's FastAPI, uvicorn and scikit-learn import, i.e. the seed stack starts without installing. */
export function seedPackagesInstalled(): boolean {
  const probe = spawnSync("/usr/bin/python3", ["-c", "import fastapi, uvicorn, sklearn"], {
    stdio: "ignore",
  });
  return probe.status === 0;
}

/** Whether this run measures the seed stack: its script (absolute) and whether it must install first, or why not. */
export type SeedStackPlan =
  | { run: true; script: string; installed: boolean }
  | { run: false; reason: string };

/**
 * The seed stack is the one optional baseline: it lives outside this repository and needs Python's
 * FastAPI. Without its script (or, in quick "auto" runs, without FastAPI) it is skipped, with the
 * reason in the report, and only the seed ratio goes unjudged.
 */
export function planSeedStack(
  options: Pick<BenchOptions, "seedStack" | "seedStackScript" | "quick">,
  installed: () => boolean = seedPackagesInstalled,
): SeedStackPlan {
  if (options.seedStack === "off") return { run: false, reason: "--seed-stack off" };
  if (options.seedStackScript === undefined) {
    return {
      run: false,
      reason: `no seed-stack script given: pass --seed-stack-script PATH or set ${BENCH_DEFAULTS.seedStackEnv}`,
    };
  }
  const script = resolve(options.seedStackScript);
  // "on" goes ahead regardless, so that a wrong path fails visibly instead of being skipped.
  if (options.seedStack === "auto" && !existsSync(script)) {
    return { run: false, reason: `${options.seedStackScript} not found` };
  }
  const ready = installed();
  if (options.seedStack === "auto" && options.quick && !ready) {
    return { run: false, reason: "--quick and Python's FastAPI, uvicorn or scikit-learn is not installed" };
  }
  return { run: true, script, installed: ready };
}

/**
 * Starts the seed's FastAPI + sklearn stack from its script on 127.0.0.1:port (the script installs
 * its Debian packages on first use, which is why the timeout is generous) and resolves once
 * /predict answers.
 */
export async function startSeedStack(options: {
  script: string;
  port: number;
  timeoutMs: number;
  cpus?: string;
}): Promise<Child> {
  if (!existsSync(options.script)) throw new Error(`${options.script} not found`);
  const child = startChild({
    name: "seed stack (FastAPI + sklearn)",
    command: "bash",
    args: [options.script],
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
