// Throughput against the number of server workers: ours (`mlops serve --workers W`) beside a bare
// node:http cluster of W workers, each measured alone, servers pinned to one CPU set and the load
// generator to another. On a 2-core machine this only proves the command works; the curve needs
// a machine with 8+ cores (docs/benchmarks.md).
import { availableParallelism } from "node:os";
import { startBareHttp } from "./baselines.js";
import type { Child } from "./children.js";
import { startMlopsServer } from "./mlops-server.js";
import { freePort } from "./net.js";
import type { ScalingPoint } from "./report.js";
import { runRestLoad } from "./rest-load.js";
import { SEED_BODY } from "./seed-request.js";

export interface ScalingOptions {
  /** Worker counts, in order. Required. */
  workers: number[];
  /** Data directory with a Production model. Required. */
  dataDir: string;
  serverCpus?: string;
  loadCpus?: string;
  /** Connections of the REST load. Default 256 (as in anchors.md). */
  connections?: number;
  /** Measured seconds per point. Required. */
  durationS: number;
  /** Discarded warm-up seconds per point. Default 1. */
  warmupS?: number;
  /** autocannon worker threads. Default: the load CPUs (at most 8) when there are 4 or more, else 0. */
  loadWorkers?: number;
}

/** Number of CPUs in a Linux CPU list such as "0-7,12". */
export function countCpus(list: string): number {
  let n = 0;
  for (const part of list.split(",")) {
    const [a, b] = part.split("-").map(Number) as [number, number?]; // split gives one part at least
    n += b === undefined ? 1 : b - a + 1;
  }
  return n;
}

/** The default autocannon worker-thread count for a load CPU set. */
export function defaultLoadWorkers(loadCpus: string | undefined): number {
  const cpus = loadCpus ? countCpus(loadCpus) : availableParallelism();
  return cpus >= 4 ? Math.min(8, cpus) : 0;
}

async function measure(
  start: (port: number) => Promise<Child>,
  options: ScalingOptions,
  loadWorkers: number,
) {
  const port = await freePort();
  const server = await start(port);
  try {
    return await runRestLoad({
      url: `http://127.0.0.1:${port}/predict`,
      body: SEED_BODY,
      connections: options.connections ?? 256,
      durationS: options.durationS,
      warmupS: options.warmupS ?? 1,
      workers: loadWorkers,
    });
  } finally {
    await server.stop();
  }
}

/** One point per worker count: ours, then the bare cluster, never both running at once. */
export async function measureScaling(options: ScalingOptions): Promise<ScalingPoint[]> {
  const loadWorkers = options.loadWorkers ?? defaultLoadWorkers(options.loadCpus);
  const points: ScalingPoint[] = [];
  for (const workers of options.workers) {
    const ours = await measure(
      async (httpPort) =>
        startMlopsServer({
          dataDir: options.dataDir,
          httpPort,
          grpcPort: await freePort(),
          workers,
          cpus: options.serverCpus,
        }),
      options,
      loadWorkers,
    );
    const bare = await measure(
      (port) => startBareHttp({ port, workers, cpus: options.serverCpus }),
      options,
      loadWorkers,
    );
    points.push({ workers, ours, bare, ratio: ours.rps / bare.rps });
  }
  return points;
}
