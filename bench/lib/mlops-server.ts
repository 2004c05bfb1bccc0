// Our side of the benchmark: models trained with the real CLI into a temporary data directory,
// and `mlops serve` started on loopback as a child process.
import { createArtifactStore } from "../../src/store/index.js";
import { type Child, runToCompletion, startChild } from "./children.js";
import { httpCall, waitUntil } from "./net.js";
import { isSeedReply, SEED_BODY } from "./seed-request.js";

const CLI = "bin/mlops.js";

export interface TrainSpec {
  /** Registered model to add the version to. Required. */
  modelName: string;
  family: "rf" | "gbdt";
  nEstimators: number;
  maxDepth: number;
  /** Stage to promote to (the served model goes to Production). Default none. */
  promote?: string;
}

export interface TrainedModel {
  spec: TrainSpec;
  version: number;
  sha256: string;
  /** The trainer's own time (from `mlops train --json`). */
  trainMs: number;
  /** Wall time of the whole CLI call (start-up, CSV load, training, evaluation, registration). */
  wallMs: number;
  rocAuc?: number;
}

function field(text: string, key: string, pattern: string): string {
  const m = text.match(new RegExp(`"${key}":\\s*${pattern}`));
  if (!m?.[1]) throw new Error(`mlops train --json: no ${key} in output:\n${text.slice(-2000)}`);
  return m[1];
}

/** `mlops train` (with --json) into `dataDir`; bounded by `timeoutMs`. */
export async function trainModel(
  dataDir: string,
  csvPath: string,
  spec: TrainSpec,
  timeoutMs: number,
): Promise<TrainedModel> {
  const args = [
    CLI,
    "--data-dir",
    dataDir,
    "--log-level",
    "warn",
    "train",
    "--data",
    csvPath,
    "--target",
    "label",
    "--model",
    spec.family,
    "--n-estimators",
    String(spec.nEstimators),
    "--max-depth",
    String(spec.maxDepth),
    "--model-name",
    spec.modelName,
    "--json",
    ...(spec.promote ? ["--promote", spec.promote] : []),
  ];
  const t0 = performance.now();
  const out = await runToCompletion(
    { name: `mlops train ${spec.family}`, command: process.execPath, args },
    timeoutMs,
  );
  const wallMs = performance.now() - t0;
  const auc = out.match(/"roc_auc":\s*([-\d.eE+]+)/);
  return {
    spec,
    version: Number(field(out, "version", "(\\d+)")),
    sha256: field(out, "artifact_sha256", '"([0-9a-f]{64})"'),
    trainMs: Number(field(out, "train_ms", "([\\d.]+)")),
    wallMs,
    rocAuc: auc ? Number(auc[1]) : undefined,
  };
}

/** The stored artifact of a trained version (hash-verified by the artifact store). */
export function readArtifact(dataDir: string, sha256: string): Promise<Uint8Array> {
  return createArtifactStore({ dataDir }).get(sha256);
}

export interface ServeOptions {
  dataDir: string;
  httpPort: number;
  grpcPort: number;
  /** Server processes (`--workers`). Default 1. */
  workers?: number;
  /** Pin the server with `taskset -c`. Default none. */
  cpus?: string;
  /** How long start-up may take until POST /predict answers. Default 60 s. */
  startTimeoutMs?: number;
  /** Extra environment (e.g. MLOPS_* settings). Default none. */
  env?: NodeJS.ProcessEnv;
}

/** Starts `mlops serve` and resolves once /health is 200 and /predict returns a seed-shaped reply. */
export async function startMlopsServer(options: ServeOptions): Promise<Child> {
  const child = startChild({
    name: `mlops serve (workers ${options.workers ?? 1})`,
    command: process.execPath,
    args: [
      CLI,
      "--data-dir",
      options.dataDir,
      "--log-level",
      "info",
      "serve",
      "--host",
      "127.0.0.1",
      "--http-port",
      String(options.httpPort),
      "--grpc-port",
      String(options.grpcPort),
      "--workers",
      String(options.workers ?? 1),
      "--no-bootstrap",
    ],
    // No drain grace (there is no load balancer to tell): a stop is a prompt SIGTERM drain.
    env: { ...process.env, MLOPS_DRAIN_GRACE_S: "0", ...options.env },
    cpus: options.cpus,
  });
  try {
    const timeoutMs = options.startTimeoutMs ?? 60_000;
    await waitForPredict(`http://127.0.0.1:${options.httpPort}`, timeoutMs, child);
    const workers = options.workers ?? 1;
    if (workers > 1) {
      // The first worker answering is not all of them: wait for every worker's "listening" line.
      await waitUntil(
        async () =>
          /all workers listening/.test(child.output()) ||
          (child.output().match(/"msg":"listening: /g)?.length ?? 0) >= workers,
        {
          timeoutMs,
          what: `${workers} workers listening`,
          abortReason: () => (child.running() ? undefined : "exited"),
        },
      );
    }
    return child;
  } catch (error) {
    await child.stop(1000);
    throw new Error(`${(error as Error).message}\n--- server output ---\n${child.output().slice(-3000)}`);
  }
}

/** Polls `POST /predict` with the seed body until it returns a seed-shaped 200 reply. */
export async function waitForPredict(baseUrl: string, timeoutMs: number, child?: Child): Promise<void> {
  await waitUntil(
    async () => {
      const res = await httpCall(`${baseUrl}/predict`, { method: "POST", body: SEED_BODY });
      return res.status === 200 && isSeedReply(JSON.parse(res.text));
    },
    {
      timeoutMs,
      intervalMs: 200,
      what: `POST ${baseUrl}/predict answering`,
      abortReason: () => (child && !child.running() ? `${child.name} exited` : undefined),
    },
  );
}
