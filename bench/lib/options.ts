// Command-line options of `npm run bench -- [flags]`, with every default in one place.
import { parseArgs } from "node:util";

export interface BenchOptions {
  /** Short runs for CI (< 1 min): 2 s loads, RF only, seed stack only when already installed. Default false. */
  quick: boolean;
  /**
   * Worker counts for the scaling curve (`--workers 1,2,4,8`). Default: none, so no curve; the gated
   * runs always use 1 worker.
   */
  workers: number[];
  /** CPU list (taskset -c) for every server process, ours and the baselines. Default none (unpinned). */
  serverCpus?: string;
  /** CPU list for the load generators (this process and h2load). Default none (unpinned). */
  loadCpus?: string;
  /** Measured seconds per load run at 50 connections. Default 2 (quick: 2). */
  durationS: number;
  /** Measured seconds per load run at 1 connection. Default 1.5 (quick: 1). */
  durationC1S: number;
  /**
   * Times every load run of the server comparisons is repeated, the whole sequence (ours beside its
   * baselines) once per round, odd rounds backward; a cell reports its fastest round, with the
   * errors of all rounds. Default 5 (quick: 1).
   */
  rounds: number;
  /** Discarded warm-up seconds before each load run of the first round. Default 2 (quick: 0.25). */
  warmupS: number;
  /**
   * Discarded seconds before each load run of the later rounds: the server is warm by then, and this
   * only lets the generator's connections settle. Default 0.5 (never more than warmupS).
   */
  rewarmS: number;
  /** gRPC streams per connection (h2load -m) at the gated levels. Default 1: connections = calls in flight. */
  grpcStreams: number;
  /** Seed stack: "auto" (full: start, installing if needed; quick: only if installed), "on", "off". Default "auto". */
  seedStack: "auto" | "on" | "off";
  /**
   * The seed stack's start script (`run-seed-stack.sh` of the project's reference baselines; it is
   * not part of this repository). `--seed-stack-script PATH`, else env `MLOPS_BENCH_SEED_STACK`.
   * Default none: the seed stack is skipped and the report says so.
   */
  seedStackScript?: string;
  /** Run the onnxruntime-node comparison. Default true. */
  onnx: boolean;
  /** Where latest.json and latest.md go. Default "bench/results". */
  outDir: string;
  /** Training CSV, plain or gzip (20 features + `label`). Default "data/classification_20f_10k.csv.gz". */
  data: string;
}

export const BENCH_DEFAULTS = Object.freeze({
  full: { durationS: 2, durationC1S: 1.5, warmupS: 2, rewarmS: 0.5, rounds: 5 },
  quick: { durationS: 2, durationC1S: 1, warmupS: 0.25, rewarmS: 0.25, rounds: 1 },
  grpcStreams: 1,
  seedStack: "auto" as const,
  outDir: "bench/results",
  data: "data/classification_20f_10k.csv.gz",
  /** Environment variable naming the seed stack's start script. */
  seedStackEnv: "MLOPS_BENCH_SEED_STACK",
});

export class UsageError extends Error {
  readonly code = "ERR_BENCH_USAGE";
}

function positiveNumber(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag}: expected a positive number, got ${raw}`);
  return n;
}

/** A warm-up length: positive seconds, or exactly "0" for none. */
function seconds(flag: string, raw: string | undefined, fallback: number): number {
  return raw === "0" ? 0 : positiveNumber(flag, raw, fallback);
}

function cpuList(flag: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(raw))
    throw new UsageError(`${flag}: expected a CPU list like 0-7 or 0,2,4`);
  return raw;
}

/**
 * Parses argv (without node and the script) and the environment (for the seed stack's script);
 * throws UsageError on anything it does not know.
 */
export function parseBenchArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): BenchOptions {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const v = parsed.values;
  const quick = v.quick ?? false;
  const times = quick ? BENCH_DEFAULTS.quick : BENCH_DEFAULTS.full;
  const workers =
    v.workers === undefined
      ? []
      : v.workers.split(",").map((w) => {
          const n = Number(w);
          if (!Number.isInteger(n) || n < 1 || n > 1024) throw new UsageError(`--workers: bad count ${w}`);
          return n;
        });
  const seed = v["seed-stack"] ?? BENCH_DEFAULTS.seedStack;
  if (seed !== "auto" && seed !== "on" && seed !== "off")
    throw new UsageError("--seed-stack: auto, on or off");
  const seedScript = v["seed-stack-script"] ?? (env[BENCH_DEFAULTS.seedStackEnv] || undefined);
  if (seed === "on" && seedScript === undefined) {
    throw new UsageError(
      `--seed-stack on: say where the seed stack's script is (--seed-stack-script PATH or ${BENCH_DEFAULTS.seedStackEnv})`,
    );
  }
  const streams = positiveNumber("--grpc-streams", v["grpc-streams"], BENCH_DEFAULTS.grpcStreams);
  const rounds = positiveNumber("--rounds", v.rounds, times.rounds);
  if (!Number.isInteger(rounds)) throw new UsageError("--rounds: expected an integer");
  if (!Number.isInteger(streams)) throw new UsageError("--grpc-streams: expected an integer");
  const warmupS = seconds("--warmup", v.warmup, times.warmupS);
  return {
    quick,
    workers,
    serverCpus: cpuList("--server-cpus", v["server-cpus"]),
    loadCpus: cpuList("--load-cpus", v["load-cpus"]),
    durationS: positiveNumber("--duration", v.duration, times.durationS),
    durationC1S: positiveNumber("--duration-c1", v["duration-c1"], times.durationC1S),
    warmupS,
    rewarmS: Math.min(warmupS, seconds("--rewarm", v.rewarm, times.rewarmS)),
    rounds,
    grpcStreams: streams,
    seedStack: seed,
    seedStackScript: seedScript,
    onnx: !(v["no-onnx"] ?? false),
    outDir: v.out ?? BENCH_DEFAULTS.outDir,
    data: v.data ?? BENCH_DEFAULTS.data,
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      quick: { type: "boolean" },
      workers: { type: "string" },
      "server-cpus": { type: "string" },
      "load-cpus": { type: "string" },
      duration: { type: "string" },
      "duration-c1": { type: "string" },
      warmup: { type: "string" },
      rewarm: { type: "string" },
      rounds: { type: "string" },
      "grpc-streams": { type: "string" },
      "seed-stack": { type: "string" },
      "seed-stack-script": { type: "string" },
      "no-onnx": { type: "boolean" },
      out: { type: "string" },
      data: { type: "string" },
    },
  });
}

export const USAGE = `usage: npm run bench -- [flags]
  --quick                 short CI run (< 1 min): 2 s loads, RF only, seed stack only if installed
  --workers 1,2,4,8       also measure the worker scaling curve (ours vs a bare node:http cluster)
  --server-cpus 0-7       pin every server process (taskset -c)
  --load-cpus 8-15        pin the load generators (this process and h2load)
  --duration S            measured seconds per run at 50 connections (default 2)
  --duration-c1 S         measured seconds per run at 1 connection (default 1.5, quick 1)
  --warmup S              discarded warm-up seconds per run of the first round (default 2, quick 0.25)
  --rewarm S              discarded seconds per run of the later rounds (default 0.5, at most --warmup)
  --rounds N              repeat the server comparisons N times, alternating, odd rounds backward;
                          fastest round per cell (default 5, quick 1)
  --grpc-streams M        h2load streams per connection at the gated levels (default 1)
  --seed-stack auto|on|off  the seed FastAPI stack (default auto)
  --seed-stack-script SH  its start script, run-seed-stack.sh (default: env MLOPS_BENCH_SEED_STACK;
                          without either the seed stack is skipped)
  --no-onnx               skip the onnxruntime-node comparison
  --out DIR               where latest.json / latest.md go (default bench/results)
  --data CSV              training data, plain or gzip (default data/classification_20f_10k.csv.gz)`;
