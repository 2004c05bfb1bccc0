// Memory and cold start of `mlops serve`, measured on the real CLI:
// - resident memory of each server process with a model loaded and a few hundred requests served:
//   RSS (what `ps` shows; pages shared between processes count in each) and PSS (shared pages
//   split between the processes that map them, so a cluster's PSS adds up to what it really uses);
// - what one more worker adds: the cluster's summed PSS with `--workers W+1` minus `--workers W`,
//   the median of a few such pairs (one pair moves by ±8 MiB here: each process is read wherever
//   its V8 heap stands between two collections);
// - cold start: from spawning `mlops serve --no-bootstrap` to the first successful `POST /predict`.
import { readdirSync, readFileSync } from "node:fs";
import { type Child, startChild } from "./children.js";
import { startMlopsServer } from "./mlops-server.js";
import { freePort, httpCall } from "./net.js";
import { isSeedReply, SEED_BODY } from "./seed-request.js";

export interface ProcessMemory {
  pid: number;
  role: "single" | "primary" | "worker";
  rssMiB: number;
  pssMiB: number;
}

export interface ServerMemory {
  /** What was served, e.g. "rf 100×10". */
  model: string;
  workers: number;
  processes: ProcessMemory[];
  totalRssMiB: number;
  totalPssMiB: number;
}

export interface MemorySection {
  /** One process serving each model. */
  single: ServerMemory[];
  /** The RF served by clusters of `workers` and `workers + 1`: the pair whose difference is the median. */
  clusters: ServerMemory[];
  /** Summed PSS of the larger cluster minus the smaller one's: the median over the pairs. */
  perExtraWorkerMiB?: number;
  /** That difference for each pair, in the order measured. */
  perExtraWorkerRunsMiB?: number[];
  /** Spawn → first successful /predict, best of `coldStartRuns`, ms; with the model it served. */
  coldStart?: { model: string; bestMs: number; runsMs: number[] };
}

const MiB = 1024 * 1024;

/** `Rss:` and `Pss:` of /proc/<pid>/smaps_rollup, in MiB. */
export function processMemory(pid: number): { rssMiB: number; pssMiB: number } {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  const kb = (key: string) => Number(text.match(new RegExp(`^${key}:\\s+(\\d+) kB`, "m"))?.[1] ?? Number.NaN);
  return { rssMiB: (kb("Rss") * 1024) / MiB, pssMiB: (kb("Pss") * 1024) / MiB };
}

/** Direct children of `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

async function warm(port: number, requests: number): Promise<void> {
  for (let i = 0; i < requests; i++) {
    const r = await httpCall(`http://127.0.0.1:${port}/predict`, { method: "POST", body: SEED_BODY });
    if (r.status !== 200) throw new Error(`POST /predict answered ${r.status}: ${r.text.slice(0, 200)}`);
  }
}

/** Starts `mlops serve --workers W` on `modelName`, serves a few hundred requests, reads every process's memory. */
export async function measureServerMemory(options: {
  dataDir: string;
  modelName: string;
  label: string;
  workers: number;
}): Promise<ServerMemory> {
  const [httpPort, grpcPort] = [await freePort(), await freePort()];
  const server = await startMlopsServer({
    dataDir: options.dataDir,
    httpPort,
    grpcPort,
    workers: options.workers,
    env: { MLOPS_MODEL_NAME: options.modelName, MLOPS_LOG_LEVEL: "warn" },
  });
  try {
    // Enough requests that every worker (connections are spread by the primary) has served some.
    await warm(httpPort, 100 * options.workers);
    const pids = options.workers > 1 ? [server.pid, ...childrenOf(server.pid)] : [server.pid];
    const processes = pids.map(
      (pid, i): ProcessMemory => ({
        pid,
        role: options.workers > 1 ? (i === 0 ? "primary" : "worker") : "single",
        ...processMemory(pid),
      }),
    );
    return {
      model: options.label,
      workers: options.workers,
      processes,
      totalRssMiB: processes.reduce((s, p) => s + p.rssMiB, 0),
      totalPssMiB: processes.reduce((s, p) => s + p.pssMiB, 0),
    };
  } finally {
    await server.stop();
  }
}

/** Spawn → first successful seed-shaped `POST /predict`, in ms (polling every 5 ms). */
export async function coldStartMs(options: {
  dataDir: string;
  modelName: string;
  timeoutMs?: number;
}): Promise<number> {
  const [httpPort, grpcPort] = [await freePort(), await freePort()];
  const t0 = performance.now();
  const child: Child = startChild({
    name: "mlops serve (cold start)",
    command: process.execPath,
    args: [
      "bin/mlops.js",
      "--data-dir",
      options.dataDir,
      "--log-level",
      "warn",
      "serve",
      "--host",
      "127.0.0.1",
      "--http-port",
      String(httpPort),
      "--grpc-port",
      String(grpcPort),
      "--workers",
      "1",
      "--model-name",
      options.modelName,
      "--no-bootstrap",
    ],
  });
  try {
    const deadline = t0 + (options.timeoutMs ?? 60_000);
    for (;;) {
      if (!child.running())
        throw new Error(`mlops serve exited before answering:\n${child.output().slice(-2000)}`);
      try {
        const r = await httpCall(`http://127.0.0.1:${httpPort}/predict`, {
          method: "POST",
          body: SEED_BODY,
          timeoutMs: 1000,
        });
        if (r.status === 200 && isSeedReply(JSON.parse(r.text))) return performance.now() - t0;
      } catch {
        // Not listening yet.
      }
      if (performance.now() > deadline) throw new Error("mlops serve did not answer /predict in time");
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    await child.stop();
  }
}

/** Each pair's summed PSS difference (larger cluster minus smaller), and the pair at the median. */
export function extraWorker(
  pairs: readonly ServerMemory[][],
): Pick<MemorySection, "clusters" | "perExtraWorkerMiB" | "perExtraWorkerRunsMiB"> {
  // Each pair smaller cluster first, once; its difference, once.
  const sorted = pairs.map((pair) => [...pair].sort((a, b) => a.workers - b.workers));
  const runs = sorted.map(
    ([small, large]) => (large?.totalPssMiB ?? Number.NaN) - (small?.totalPssMiB ?? Number.NaN),
  );
  const order = runs.map((_, i) => i).sort((a, b) => (runs[a] as number) - (runs[b] as number));
  const at = order[(order.length - 1) >> 1] ?? -1;
  return {
    clusters: sorted[at] ?? [],
    perExtraWorkerMiB: runs[at] ?? Number.NaN,
    perExtraWorkerRunsMiB: runs,
  };
}

export async function measureMemory(options: {
  dataDir: string;
  rf: { modelName: string; label: string };
  gbdt?: { modelName: string; label: string };
  cold?: { modelName: string; label: string };
  /** The smaller cluster; the larger has one more worker. Default 2. */
  workers?: number;
  /** Cluster pairs measured for the extra worker (odd pairs start with the larger). Default 3. */
  pairs?: number;
  coldStartRuns?: number;
}): Promise<MemorySection> {
  const single = [await measureServerMemory({ dataDir: options.dataDir, ...options.rf, workers: 1 })];
  if (options.gbdt)
    single.push(await measureServerMemory({ dataDir: options.dataDir, ...options.gbdt, workers: 1 }));
  const w = options.workers ?? 2;
  const pairs: ServerMemory[][] = [];
  for (let i = 0; i < Math.max(1, options.pairs ?? 3); i++) {
    const sizes = i % 2 === 0 ? [w, w + 1] : [w + 1, w];
    const pair: ServerMemory[] = [];
    for (const workers of sizes)
      pair.push(await measureServerMemory({ dataDir: options.dataDir, ...options.rf, workers }));
    pairs.push(pair);
  }
  const section: MemorySection = { single, ...extraWorker(pairs) };
  if (options.cold) {
    const runsMs: number[] = [];
    for (let i = 0; i < (options.coldStartRuns ?? 3); i++) {
      runsMs.push(await coldStartMs({ dataDir: options.dataDir, modelName: options.cold.modelName }));
    }
    section.coldStart = { model: options.cold.label, bestMs: Math.min(...runsMs), runsMs };
  }
  return section;
}
