// Stateless replicas for the scale-out tests and the registry bench: `mlops` CLI calls and `mlops
// serve` processes that share one PostgreSQL registry and one artifact location.

import { type Child, runToCompletion } from "../../bench/lib/children.js";
import { startMlopsServer } from "../../bench/lib/mlops-server.js";
import { freePort } from "../../bench/lib/net.js";

export interface SharedRegistry {
  /** MLOPS_DATABASE_URL of every process. */
  databaseUrl: string;
  /** MLOPS_DATA_DIR of every process: where the artifacts live unless `env` names a bucket. */
  dataDir: string;
  /** More environment for every process (e.g. an artifact store URL). Default none. */
  env?: Record<string, string>;
}

export interface Replica {
  readonly index: number;
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly baseUrl: string;
  readonly child: Child;
}

const envOf = (shared: SharedRegistry): NodeJS.ProcessEnv => ({
  ...process.env,
  MLOPS_DATABASE_URL: shared.databaseUrl,
  MLOPS_DATA_DIR: shared.dataDir,
  MLOPS_MODEL_NAME: "",
  MLOPS_LOG_LEVEL: "",
  ...shared.env,
});

/** Runs `mlops <args>` against the shared registry and returns its stdout (+stderr); throws on failure. */
export function cli(shared: SharedRegistry, args: string[], timeoutMs = 120_000): Promise<string> {
  return runToCompletion(
    {
      name: `mlops ${args.slice(0, 2).join(" ")}`,
      command: process.execPath,
      args: ["bin/mlops.js", ...args],
      env: envOf(shared),
    },
    timeoutMs,
  );
}

/** `mlops train` of a small GBDT (optionally promoted); returns the new version number. */
export async function trainVersion(shared: SharedRegistry, promote?: string): Promise<number> {
  const out = await cli(shared, [
    "train",
    "--model",
    "gbdt",
    "--n-estimators",
    "20",
    "--max-depth",
    "3",
    "--json",
    ...(promote ? ["--promote", promote] : []),
  ]);
  const m = out.match(/"version":\s*(\d+)/);
  if (!m) throw new Error(`mlops train --json printed no version:\n${out.slice(-2000)}`);
  return Number(m[1]);
}

/** `count` single-worker `mlops serve` processes on free ports, resolved once each answers /predict. */
export async function startReplicas(shared: SharedRegistry, count: number): Promise<Replica[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const [httpPort, grpcPort] = [await freePort(), await freePort()];
      const child = await startMlopsServer({
        dataDir: shared.dataDir,
        httpPort,
        grpcPort,
        env: envOf(shared),
      });
      return { index, httpPort, grpcPort, baseUrl: `http://127.0.0.1:${httpPort}`, child };
    }),
  );
}

/** The version a replica serves, from GET /model-info (undefined when it serves none or does not answer). */
export async function servedVersion(replica: Replica): Promise<number | undefined> {
  try {
    const res = await fetch(`${replica.baseUrl}/model-info`, { signal: AbortSignal.timeout(2000) });
    if (res.status !== 200) return undefined;
    return Number(((await res.json()) as { model_version: string }).model_version);
  } catch {
    return undefined;
  }
}

/**
 * Polls every replica until it serves `version`; resolves with how long each took, in ms from `since`
 * (performance.now()). Rejects after `timeoutMs`.
 */
export async function waitForVersion(
  replicas: readonly Replica[],
  version: number,
  since: number,
  timeoutMs = 10_000,
): Promise<number[]> {
  return Promise.all(
    replicas.map(async (r) => {
      for (;;) {
        if ((await servedVersion(r)) === version) return performance.now() - since;
        if (performance.now() - since > timeoutMs) {
          throw new Error(`replica ${r.index} did not serve v${version} within ${timeoutMs} ms`);
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }),
  );
}
