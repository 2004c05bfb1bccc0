// `npm run bench [-- --quick] [-- --workers 1,2,4,8 --server-cpus 0-7 --load-cpus 8-15]`
//
// Trains the models with the real CLI into a temporary data directory, serves the RF with
// `mlops serve`, loads REST and gRPC Predict (and the Open Inference Protocol's infer on both) beside
// bare node:http, bare grpc-js and (when it can start) the seed's FastAPI stack, all in the same run, optionally records the worker scaling
// curve, compares the native core with onnxruntime-node, then writes bench/results/latest.{json,md}
// and exits non-zero when a gate fails. docs/benchmarks.md explains what is measured and why.
//
// main() runs the phases below in order; each takes the run's shared state and returns what the
// next ones need.
import { spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { loadCsv } from "../src/core/data/csv.js";
import { ClassifierModel } from "../src/core/model.js";
import { exportOnnxModel, specFromTrees } from "../src/models/export/onnx.js";
import {
  planSeedStack,
  startBareGrpc,
  startBareHttp,
  startNodeOnnx,
  startSeedStack,
} from "./lib/baselines.js";
import { type Child, killAllChildren } from "./lib/children.js";
import { type CoreSection, measureCoreApart } from "./lib/core-goals.js";
import { runGrpcJsLoad } from "./lib/grpc-js-load.js";
import { checkGrpcPredict, grpcFrame, PREDICT_PATH, predictRequestBytes } from "./lib/grpc-wire.js";
import { h2loadAvailable, runH2load } from "./lib/h2load.js";
import { type ImportSection, measureImports } from "./lib/import-goals.js";
import { JUDGED_LEVEL, judge, type RunResults } from "./lib/judge.js";
import type { LoadGenerator, LoadResult } from "./lib/load-result.js";
import { type MachineInfo, machineInfo } from "./lib/machine.js";
import { type MemorySection, measureMemory } from "./lib/memory-goals.js";
import {
  readArtifact,
  startMlopsServer,
  type TrainedModel,
  type TrainSpec,
  trainModel,
} from "./lib/mlops-server.js";
import { freePort } from "./lib/net.js";
import {
  checkGrpcOip,
  OIP_INFER_PATH,
  oipInferRequestBytes,
  oipRestBody,
  oipRestUrl,
} from "./lib/oip-wire.js";
import { compareWithOrt, type OnnxComparison } from "./lib/onnx-compare.js";
import { onnxSubject } from "./lib/onnx-subjects.js";
import { type BenchOptions, parseBenchArgs, USAGE, UsageError } from "./lib/options.js";
import {
  type BenchReport,
  type GrpcCheckRecord,
  type Measurement,
  renderMarkdown,
  type SectionStatus,
  type Target,
  writeReport,
} from "./lib/report.js";
import { measureRestBudget, processCpuSeconds, type RestBudget } from "./lib/rest-budget.js";
import { runRestLoad } from "./lib/rest-load.js";
import { type KeptRounds, type Measured, measureInRounds } from "./lib/rounds.js";
import { measureScaling } from "./lib/scaling.js";
import { SEED_BODY, SEED_FEATURES } from "./lib/seed-request.js";
import { measureTraining, type TrainingSection } from "./lib/training-goals.js";
import { failedGates, GATES } from "./lib/verdicts.js";

const SERVED: TrainSpec = {
  modelName: "ml_classifier",
  family: "rf",
  nEstimators: 100,
  maxDepth: 10,
  promote: "Production",
};
const GBDT: TrainSpec = {
  modelName: "bench_gbdt",
  family: "gbdt",
  nEstimators: 300,
  maxDepth: 6,
  promote: "Production",
};
/** The cold-start goal's model: 1,000 trees (full runs). */
const COLD: TrainSpec = {
  modelName: "bench_cold",
  family: "gbdt",
  nEstimators: 1000,
  maxDepth: 6,
  promote: "Production",
};
const TEST_ROWS = 2000;
/** REST connections of each worker-scaling point (the anchors' set-up). */
const SCALING_CONNECTIONS = 256;

interface Level {
  name: string;
  connections: number;
  streams: number;
}

const T0 = performance.now();

function log(message: string): void {
  process.stderr.write(`bench [${((performance.now() - T0) / 1000).toFixed(1)} s]: ${message}\n`);
}

function pinSelf(cpus: string): void {
  // -a: every thread of this process; threads started later inherit it.
  const r = spawnSync("taskset", ["-a", "-p", "-c", cpus, String(process.pid)], { stdio: "ignore" });
  if (r.status !== 0) throw new Error(`taskset could not pin this process to CPUs ${cpus}`);
}

/** This process's CPU list, as taskset prints it ("0-15"). */
function currentCpus(): string {
  const r = spawnSync("taskset", ["-c", "-p", String(process.pid)], { encoding: "utf8" });
  const m = r.stdout?.match(/list:\s*(\S+)/);
  if (r.status !== 0 || !m?.[1]) throw new Error("taskset could not read this process's CPU list");
  return m[1];
}

async function stopAll(children: (Child | undefined)[]): Promise<void> {
  await Promise.all(children.map((c) => c?.stop()));
}

/** What every phase shares: the options, the scratch data directory, the children to stop, the notes. */
interface Run {
  options: BenchOptions;
  command: string;
  machine: MachineInfo;
  started: number;
  /** This process's CPU list before pinning, to unpin for the ONNX section. */
  allCpus?: string;
  dataDir: string;
  /** Every child still to stop when the run ends, however it ends. */
  running: (Child | undefined)[];
  notes: string[];
  removeDataDir(): void;
}

async function main(argv: string[]): Promise<number> {
  const options = parseOptions(argv);
  if (options === undefined) return 2;
  const run = await openRun(options, argv);
  try {
    const seed = await startSeedStackEarly(run);
    const models = await trainModels(run);
    const servers = await startServers(run, models[0] as TrainedModel);
    const seedChild = await awaitSeedStack(run, seed);
    const load = await measureLoad(run, servers);
    await measureSeedStack(run, seed, seedChild, load);
    const budget = await measureBudget(run, models, load);
    const memory = await measureMemoryGoals(run, models);
    const scaling = await measureWorkerScaling(run);
    const onnx = await compareOnnx(run, models);
    const core = await measureCoreGoals(run);
    const imports = await measureImportGoals(run);
    const training = await measureTrainingGoals(run);
    const { measurements, grpcChecks } = load;
    const results: RunResults = {
      measurements,
      grpcChecks,
      seedStack: seed.status,
      scaling,
      onnx,
      core,
      imports,
      budget,
      memory,
      training,
      quick: run.options.quick,
    };
    return await report(run, models, load.grpcGenerator, results);
  } finally {
    await closeRun(run);
  }
}

/** The options, or undefined after printing the usage (exit 2). */
function parseOptions(argv: string[]): BenchOptions | undefined {
  try {
    return parseBenchArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n${USAGE}\n`);
      return undefined;
    }
    throw error;
  }
}

/** Pins the load generator (this process), creates the scratch data directory. */
async function openRun(options: BenchOptions, argv: string[]): Promise<Run> {
  const started = performance.now();
  const machine = machineInfo();
  // The load generator runs in this process: pinned for the load runs, unpinned again for ONNX.
  const allCpus = options.loadCpus ? currentCpus() : undefined;
  if (options.loadCpus) pinSelf(options.loadCpus);
  const dataDir = await mkdtemp(join(tmpdir(), "mlops-bench-"));
  const removeDataDir = () => rmSync(dataDir, { recursive: true, force: true });
  // Also on Ctrl-C / SIGTERM, which exit without running closeRun.
  process.once("exit", removeDataDir);
  return {
    options,
    command: `npm run bench${argv.length ? ` -- ${argv.join(" ")}` : ""}`,
    machine,
    started,
    allCpus,
    dataDir,
    running: [],
    notes: [],
    removeDataDir,
  };
}

async function closeRun(run: Run): Promise<void> {
  await stopAll(run.running);
  killAllChildren();
  run.removeDataDir();
  process.removeListener("exit", run.removeDataDir);
}

interface SeedPhase {
  status: SectionStatus;
  /** The start script as given, for messages. */
  script?: string;
  port: number;
  starting?: Promise<Child>;
}

/**
 * The seed stack may install Debian packages first: it starts now (training overlaps the install)
 * and is awaited before any load run, so that dpkg never competes with a measurement.
 */
async function startSeedStackEarly(run: Run): Promise<SeedPhase> {
  const plan = planSeedStack(run.options);
  if (!plan.run) {
    log(`seed stack skipped: ${plan.reason}`);
    return { status: { status: "skipped", reason: plan.reason }, port: 0 };
  }
  const port = await freePort();
  const starting = startSeedStack({
    script: plan.script,
    port,
    timeoutMs: plan.installed ? 60_000 : 240_000,
    cpus: run.options.serverCpus,
  });
  starting.then(
    (c) => run.running.push(c),
    () => undefined,
  );
  return { status: { status: "skipped" }, script: run.options.seedStackScript, port, starting };
}

async function trainModels(run: Run): Promise<TrainedModel[]> {
  const { options, dataDir } = run;
  log(`training ${SERVED.family} ${SERVED.nEstimators}×${SERVED.maxDepth} into ${dataDir}`);
  const models = [await trainModel(dataDir, options.data, SERVED, 120_000)];
  if (!options.quick) {
    for (const spec of [GBDT, COLD]) {
      log(`training ${spec.family} ${spec.nEstimators}×${spec.maxDepth}`);
      models.push(await trainModel(dataDir, options.data, spec, 300_000));
    }
  }
  return models;
}

/** The served model exported to ONNX (float32, as converters emit it), for the node:http + onnxruntime baseline. */
async function exportServedOnnx(run: Run, served: TrainedModel): Promise<string> {
  const model = ClassifierModel.fromBytes(await readArtifact(run.dataDir, served.sha256));
  try {
    const trees = model.exportTrees();
    if (!trees) throw new Error("the served model has no trees to export");
    const path = join(run.dataDir, "served.onnx");
    writeFileSync(path, exportOnnxModel(specFromTrees(trees, model.nFeatures), { precision: "float" }));
    return path;
  } finally {
    model.dispose();
  }
}

interface Servers {
  ours: Child;
  bareHttp: Child;
  bareGrpc: Child;
  /** node:http + onnxruntime-node on the served model; undefined when it could not start. */
  nodeOnnx?: Child;
  httpPort: number;
  grpcPort: number;
  bareHttpPort: number;
  bareGrpcPort: number;
  nodeOnnxPort: number;
}

async function startServers(run: Run, served: TrainedModel): Promise<Servers> {
  const cpus = run.options.serverCpus;
  const [httpPort, grpcPort, bareHttpPort, bareGrpcPort, nodeOnnxPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  log("starting mlops serve and the baselines");
  const onnxPath = await exportServedOnnx(run, served);
  const [ours, bareHttp, bareGrpc, nodeOnnx] = await Promise.all([
    startMlopsServer({ dataDir: run.dataDir, httpPort, grpcPort, workers: 1, cpus }),
    startBareHttp({ port: bareHttpPort, cpus }),
    startBareGrpc({ port: bareGrpcPort, cpus }),
    startNodeOnnx({ port: nodeOnnxPort, modelPath: onnxPath, cpus }).catch((error: Error) => {
      run.notes.push(`node:http + onnxruntime baseline did not start: ${error.message.split("\n")[0]}`);
      return undefined;
    }),
  ]);
  run.running.push(ours, bareHttp, bareGrpc, nodeOnnx);
  return { ours, bareHttp, bareGrpc, nodeOnnx, httpPort, grpcPort, bareHttpPort, bareGrpcPort, nodeOnnxPort };
}

/** The started seed stack, or undefined (with the reason in its status and the notes). */
async function awaitSeedStack(run: Run, seed: SeedPhase): Promise<Child | undefined> {
  if (!seed.starting) return undefined;
  log("waiting for the seed stack");
  try {
    return await seed.starting;
  } catch (error) {
    seed.status.status = "failed";
    seed.status.reason = (error as Error).message.split("\n")[0];
    run.notes.push(`seed stack (${seed.script}) did not run: ${seed.status.reason}`);
    return undefined;
  }
}

/** How long one load run measures, after how long a discarded warm-up. */
interface Turn {
  durationS: number;
  warmupS: number;
}

/** Runs one load of `level` against a port; REST by autocannon, gRPC by h2load or its fallback. */
interface Loaders {
  levels: Level[];
  grpcGenerator: LoadGenerator;
  rest(port: number, level: Level, turn: Turn): Promise<LoadResult>;
  grpc(port: number, level: Level, turn: Turn, replyFrameBytes: number): Promise<LoadResult>;
  /** The Open Inference Protocol's infer with the same row: REST `POST /v2/models/…/infer`, gRPC ModelInfer. */
  oipRest(port: number, level: Level, turn: Turn): Promise<LoadResult>;
  oipGrpc(port: number, level: Level, turn: Turn, replyFrameBytes: number): Promise<LoadResult>;
  /** Connect's unary Predict with a JSON body (`POST /mlops.v1.PredictService/Predict`), the same row. */
  connect(port: number, level: Level, turn: Turn): Promise<LoadResult>;
  /** A run at `level` in `round` (0-based): 1 connection runs shorter, later rounds warm up less. */
  turnAt(level: Level, round: number): Turn;
}

function createLoaders(run: Run): Loaders {
  const { options } = run;
  const grpcGenerator: LoadGenerator = h2loadAvailable() ? "h2load" : "grpc-js-client";
  if (grpcGenerator !== "h2load") {
    run.notes.push(
      "h2load (Debian nghttp2-client) is missing: gRPC load came from a grpc-js client, which saturates before " +
        "the servers do, so the gRPC ratios understate both.",
    );
  }
  const oipRequest = oipInferRequestBytes(SERVED.modelName, SEED_FEATURES);
  const grpcLoad = (path: string, request: Uint8Array) => {
    const body = grpcFrame(request);
    return (port: number, level: Level, { durationS, warmupS }: Turn, replyFrameBytes: number) =>
      grpcGenerator === "h2load"
        ? runH2load({
            url: `http://127.0.0.1:${port}${path}`,
            body,
            connections: level.connections,
            streams: level.streams,
            durationS,
            warmupS,
            cpus: options.loadCpus,
            replyFrameBytes,
          })
        : runGrpcJsLoad({
            port,
            path,
            request,
            connections: level.connections,
            inflight: level.streams,
            durationS,
            warmupS,
          });
  };
  return {
    levels: [
      { name: "c1", connections: 1, streams: 1 },
      { name: JUDGED_LEVEL, connections: 50, streams: options.grpcStreams },
    ],
    grpcGenerator,
    turnAt: (level, round) => ({
      durationS: level.connections === 1 ? options.durationC1S : options.durationS,
      warmupS: round === 0 ? options.warmupS : options.rewarmS,
    }),
    rest: (port, level, { durationS, warmupS }) =>
      runRestLoad({
        url: `http://127.0.0.1:${port}/predict`,
        body: SEED_BODY,
        connections: level.connections,
        durationS,
        warmupS,
      }),
    grpc: grpcLoad(PREDICT_PATH, predictRequestBytes(SEED_FEATURES)),
    oipRest: (port, level, { durationS, warmupS }) =>
      runRestLoad({
        url: oipRestUrl(port, SERVED.modelName),
        body: oipRestBody(SEED_FEATURES),
        connections: level.connections,
        durationS,
        warmupS,
      }),
    oipGrpc: grpcLoad(OIP_INFER_PATH, oipRequest),
    connect: (port, level, { durationS, warmupS }) =>
      runRestLoad({
        url: `http://127.0.0.1:${port}${PREDICT_PATH}`,
        body: SEED_BODY,
        connections: level.connections,
        durationS,
        warmupS,
      }),
  };
}

interface LoadPhase {
  measurements: Measurement[];
  grpcChecks: GrpcCheckRecord[];
  grpcGenerator: LoadGenerator;
  loaders: Loaders;
  record(target: Target, protocol: "rest" | "grpc", level: Level, load: LoadResult): void;
}

/** One server comparison's load run, repeated once per round. */
interface LoadCell {
  target: Target;
  protocol: "rest" | "grpc";
  level: Level;
  measure: (round: number) => Promise<Measured>;
}

/**
 * gRPC correctness checks, then ours and its baseline back to back at each level (so drift on a
 * shared machine hits both alike), the whole sequence once per round (`--rounds`, odd rounds
 * backward, each cell's fastest round kept), the checks again, and the servers stopped.
 */
async function measureLoad(run: Run, servers: Servers): Promise<LoadPhase> {
  const measurements: Measurement[] = [];
  const grpcChecks: GrpcCheckRecord[] = [];
  const grpcCheck = async (target: Target, port: number, phase: "before" | "after") => {
    const r = await checkGrpcPredict(port, SEED_FEATURES);
    grpcChecks.push({ target, phase, ok: r.ok, failed: r.failed, firstError: r.firstError });
    return r;
  };
  const record = (
    target: Target,
    protocol: "rest" | "grpc",
    level: Level,
    load: LoadResult,
    serverCpuUs?: number,
    roundsRps?: number[],
  ) => {
    measurements.push({ target, protocol, level: level.name, load, serverCpuUs, roundsRps });
    log(
      `${protocol} ${level.name} ${target}: ${Math.round(load.rps)} rps, p50 ${load.latencyMs.p50.toFixed(2)} ms, ` +
        `p99 ${load.latencyMs.p99.toFixed(2)} ms, ${load.errors + load.non2xx} errors` +
        (serverCpuUs === undefined ? "" : `, server CPU ${serverCpuUs.toFixed(1)} µs/request`),
    );
  };
  /** A load run with the server's CPU time per successful request (warm-up included in neither). */
  const timed = async (child: Child, turn: Turn, work: (turn: Turn) => Promise<LoadResult>) => {
    const before = processCpuSeconds(child.pid);
    const load = await work(turn);
    const after = processCpuSeconds(child.pid);
    // The warm-up's requests are not in load.ok but its CPU is in the delta: count them at the same rate.
    const warmupShare = load.durationS > 0 ? turn.warmupS / load.durationS : 0;
    const cpuUs =
      before === undefined || after === undefined || load.ok === 0
        ? undefined
        : ((after - before) * 1e6) / (load.ok * (1 + warmupShare));
    return { load, cpuUs };
  };
  const { httpPort, grpcPort, bareHttpPort, bareGrpcPort } = servers;
  const oipCheck = async (phase: "before" | "after") => {
    const r = await checkGrpcOip(grpcPort, SERVED.modelName, SEED_FEATURES);
    grpcChecks.push({ target: "mlops-oip", phase, ok: r.ok, failed: r.failed, firstError: r.firstError });
    return r;
  };
  const oursCheck = await grpcCheck("mlops", grpcPort, "before");
  const oipChecked = await oipCheck("before");
  const bareCheck = await grpcCheck("bare-grpc-js", bareGrpcPort, "before");
  const loaders = createLoaders(run);
  const { rest, grpc } = loaders;
  // Every comparison as a cell, ours beside its baselines (before them in even rounds, after in odd).
  const cells: LoadCell[] = [];
  // `server`, where given, also has its CPU per request measured.
  const cell = (
    target: Target,
    protocol: "rest" | "grpc",
    level: Level,
    work: (turn: Turn) => Promise<LoadResult>,
    server?: Child,
  ) =>
    cells.push({
      target,
      protocol,
      level,
      measure: (round) => {
        const turn = loaders.turnAt(level, round);
        return server ? timed(server, turn, work) : work(turn).then((load) => ({ load }));
      },
    });
  for (const level of loaders.levels) {
    // The OIP runs sit right after our own route's, so drift hits both alike; quick runs keep them
    // to the judged level.
    const oip = !run.options.quick || level.name === JUDGED_LEVEL;
    cell("mlops", "rest", level, (t) => rest(httpPort, level, t), servers.ours);
    if (oip) cell("mlops-oip", "rest", level, (t) => loaders.oipRest(httpPort, level, t));
    if (level.name === JUDGED_LEVEL) {
      cell("mlops-connect", "rest", level, (t) => loaders.connect(httpPort, level, t));
    }
    cell("bare-node-http", "rest", level, (t) => rest(bareHttpPort, level, t), servers.bareHttp);
    const { nodeOnnx, nodeOnnxPort } = servers;
    if (nodeOnnx && (!run.options.quick || level.name === JUDGED_LEVEL)) {
      cell("node-onnx", "rest", level, (t) => rest(nodeOnnxPort, level, t), nodeOnnx);
    }
    cell("mlops", "grpc", level, (t) => grpc(grpcPort, level, t, oursCheck.replyFrameBytes));
    if (oip) {
      cell("mlops-oip", "grpc", level, (t) =>
        loaders.oipGrpc(grpcPort, level, t, oipChecked.replyFrameBytes),
      );
    }
    cell("bare-grpc-js", "grpc", level, (t) => grpc(bareGrpcPort, level, t, bareCheck.replyFrameBytes));
  }
  if (loaders.grpcGenerator === "h2load") {
    // The same 50 calls in flight from a grpc-js client (50 channels, one call each): what a Node
    // caller would see; a JS generator saturates early, so both sides are held back alike.
    const js: Level = { name: "c50-grpcjs", connections: 50, streams: 1 };
    const viaJs = (port: number, { durationS, warmupS }: Turn) =>
      runGrpcJsLoad({
        port,
        path: PREDICT_PATH,
        request: predictRequestBytes(SEED_FEATURES),
        connections: js.connections,
        inflight: js.streams,
        durationS,
        warmupS,
      });
    cell("mlops", "grpc", js, (t) => viaJs(grpcPort, t));
    cell("bare-grpc-js", "grpc", js, (t) => viaJs(bareGrpcPort, t));
  }
  if (!run.options.quick && loaders.grpcGenerator === "h2load") {
    // The anchors' gRPC ceiling set-up: 10 connections × 10 streams.
    const ceiling: Level = { name: "c10x10", connections: 10, streams: 10 };
    cell("mlops", "grpc", ceiling, (t) => grpc(grpcPort, ceiling, t, oursCheck.replyFrameBytes));
    cell("bare-grpc-js", "grpc", ceiling, (t) => grpc(bareGrpcPort, ceiling, t, bareCheck.replyFrameBytes));
  }
  const rounds = run.options.rounds;
  const kept = await measureInRounds(cells, rounds, (c, r, got) => {
    if (rounds > 1) {
      log(
        `round ${r + 1}/${rounds}: ${c.protocol} ${c.level.name} ${c.target}: ${Math.round(got.load.rps)} rps`,
      );
    }
  });
  for (const [i, c] of cells.entries()) {
    const k = kept[i] as KeptRounds;
    record(c.target, c.protocol, c.level, k.load, k.cpuUs, k.roundsRps);
  }
  await grpcCheck("mlops", grpcPort, "after");
  await oipCheck("after");
  await grpcCheck("bare-grpc-js", bareGrpcPort, "after");
  await stopAll([servers.ours, servers.bareHttp, servers.bareGrpc, servers.nodeOnnx]);
  return { measurements, grpcChecks, grpcGenerator: loaders.grpcGenerator, loaders, record };
}

/** The seed stack's REST load, alone on the machine, then it is stopped. */
async function measureSeedStack(
  run: Run,
  seed: SeedPhase,
  child: Child | undefined,
  load: LoadPhase,
): Promise<void> {
  if (!child) return;
  const { loaders } = load;
  try {
    // Quick runs keep to the level its goal is judged at, to stay under a minute.
    const levels = run.options.quick ? loaders.levels.filter((l) => l.name === JUDGED_LEVEL) : loaders.levels;
    for (const level of levels) {
      load.record(
        "seed-stack",
        "rest",
        level,
        await loaders.rest(seed.port, level, loaders.turnAt(level, 0)),
      );
    }
    seed.status.status = "measured";
  } finally {
    await child.stop();
  }
}

/** Where a REST request's time goes, stage by stage, beside the servers' CPU per request (about 3 s). */
async function measureBudget(run: Run, models: TrainedModel[], load: LoadPhase): Promise<RestBudget> {
  log("REST per-stage budget");
  const served = models[0] as TrainedModel;
  const budget = await measureRestBudget({
    artifact: await readArtifact(run.dataDir, served.sha256),
    burst: 50,
  });
  const cpu = (target: Target) =>
    load.measurements.find((m) => m.target === target && m.protocol === "rest" && m.level === JUDGED_LEVEL)
      ?.serverCpuUs;
  const ours = cpu("mlops");
  const bare = cpu("bare-node-http");
  if (ours !== undefined && bare !== undefined) budget.serverCpuUs = { ours, bare };
  return budget;
}

/** RSS/PSS per process, what an extra worker adds, and cold start (full runs: with the 1,000-tree model). */
async function measureMemoryGoals(run: Run, models: TrainedModel[]): Promise<MemorySection | undefined> {
  log("memory per process and per extra worker, cold start");
  const label = (m: TrainedModel) => `${m.spec.family} ${m.spec.nEstimators}×${m.spec.maxDepth}`;
  const find = (spec: TrainSpec) => models.find((m) => m.spec === spec);
  const rf = find(SERVED) as TrainedModel;
  const gbdt = find(GBDT);
  const cold = find(COLD);
  try {
    return await measureMemory({
      dataDir: run.dataDir,
      rf: { modelName: rf.spec.modelName, label: label(rf) },
      gbdt: gbdt && { modelName: gbdt.spec.modelName, label: label(gbdt) },
      cold: cold && { modelName: cold.spec.modelName, label: label(cold) },
    });
  } catch (error) {
    run.notes.push(`memory section failed: ${(error as Error).message.split("\n")[0]}`);
    return undefined;
  }
}

/** GBDT fit time and AUC beside XGBoost on the shared and a generated 3-class set (full runs, ~1 min). */
async function measureTrainingGoals(run: Run): Promise<TrainingSection | undefined> {
  if (run.options.quick) return undefined;
  log("training: GBDT beside XGBoost hist, binary and 3-class");
  return measureTraining({ binaryCsv: run.options.data, threads: availableParallelism() });
}

async function measureWorkerScaling(run: Run): Promise<BenchReport["scaling"]> {
  const { options } = run;
  if (options.workers.length === 0) return undefined;
  log(`worker scaling: ${options.workers.join(", ")}`);
  const connections = SCALING_CONNECTIONS;
  try {
    const points = await measureScaling({
      workers: options.workers,
      dataDir: run.dataDir,
      serverCpus: options.serverCpus,
      loadCpus: options.loadCpus,
      connections,
      durationS: options.quick ? 3 : 8,
      warmupS: options.quick ? 0.5 : 1,
    });
    return {
      status: "measured",
      serverCpus: options.serverCpus,
      loadCpus: options.loadCpus,
      connections,
      points,
    };
  } catch (error) {
    return { status: "failed", reason: (error as Error).message, connections, points: [] };
  }
}

/** The native core against onnxruntime-node on the trained models, unpinned again. */
async function compareOnnx(run: Run, models: TrainedModel[]): Promise<BenchReport["onnx"]> {
  if (run.allCpus) pinSelf(run.allCpus);
  if (!run.options.onnx) return { status: "skipped", reason: "--no-onnx", comparisons: [] };
  try {
    return { status: "measured", comparisons: await onnxComparisons(run, models) };
  } catch (error) {
    return { status: "failed", reason: (error as Error).message, comparisons: [] };
  }
}

async function onnxComparisons(run: Run, models: TrainedModel[]): Promise<OnnxComparison[]> {
  const data = await loadCsv(run.options.data, { target: "label" });
  const nTest = Math.min(TEST_ROWS, data.nRows);
  const rows = data.x.slice((data.nRows - nTest) * data.nFeatures);
  const comparisons: OnnxComparison[] = [];
  // The cold-start model is not one of the core's comparison models.
  for (const trained of models.filter((m) => m.spec !== COLD)) {
    const name = `${trained.spec.family} ${trained.spec.nEstimators}×${trained.spec.maxDepth}`;
    const subject = onnxSubject(name, await readArtifact(run.dataDir, trained.sha256));
    try {
      log(`onnxruntime comparison: ${name}`);
      comparisons.push(
        await compareWithOrt({
          name,
          model: subject.model,
          trees: subject.trees,
          rows,
          nRows: nTest,
          tolerance: GATES.onnxTolerance,
          cellMs: run.options.quick ? 100 : 750,
        }),
      );
    } finally {
      subject.model.dispose();
    }
  }
  return comparisons;
}

/** The core's own goals on the anchor models, beside XGBoost's predictor (full runs: ~30 s). */
async function measureCoreGoals(run: Run): Promise<CoreSection | undefined> {
  if (run.options.quick) return undefined;
  log("core goals: anchor models, XGBoost's predictor");
  return measureCoreApart({ cellMs: 750 });
}

/** Imported XGBoost models against our GBDT and onnxruntime-node (full runs: ~20 s). */
async function measureImportGoals(run: Run): Promise<ImportSection | undefined> {
  if (run.options.quick) return undefined;
  log("imported models: XGBoost 300×6 and a 1,000-tree import");
  return measureImports({ cellMs: 750 });
}

/** Judges the results, writes latest.{json,md}, prints the markdown; the exit code. */
async function report(
  run: Run,
  models: TrainedModel[],
  grpcGenerator: LoadGenerator,
  results: RunResults,
): Promise<number> {
  const verdicts = judge(results);
  const served = models[0];
  if (!served) throw new Error("no model was trained");
  const report: BenchReport = {
    schema: 1,
    command: run.command,
    mode: run.options.quick ? "quick" : "full",
    machine: run.machine,
    elapsedS: (performance.now() - run.started) / 1000,
    served: {
      modelName: served.spec.modelName,
      family: served.spec.family,
      nEstimators: served.spec.nEstimators,
      maxDepth: served.spec.maxDepth,
      version: served.version,
    },
    models,
    generators: { rest: "autocannon", grpc: grpcGenerator },
    pinning: { serverCpus: run.options.serverCpus, loadCpus: run.options.loadCpus },
    rounds: run.options.rounds,
    measurements: results.measurements,
    grpcChecks: results.grpcChecks,
    seedStack: results.seedStack,
    scaling: results.scaling,
    onnx: results.onnx,
    core: results.core,
    imports: results.imports,
    budget: results.budget,
    memory: results.memory,
    training: results.training,
    verdicts,
    notes: run.notes,
    passed: failedGates(verdicts).length === 0,
  };
  const paths = await writeReport(report, run.options.outDir);
  process.stdout.write(`${renderMarkdown(report)}\n`);
  log(`wrote ${paths.json} and ${paths.md}`);
  for (const v of failedGates(verdicts)) log(`GATE FAILED: ${v.name}: ${v.detail}`);
  return report.passed ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // A stray handle (a socket in TIME_WAIT teardown, a native pool) must not hold CI up.
    setTimeout(() => process.exit(code), 2000).unref();
  },
  (error) => {
    process.stderr.write(`bench: failed: ${(error as Error).stack ?? error}\n`);
    killAllChildren();
    process.exitCode = 1;
  },
);
