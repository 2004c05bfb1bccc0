// `npm run bench [-- --quick] [-- --workers 1,2,4,8 --server-cpus 0-7 --load-cpus 8-15]`
//
// Trains the models with the real CLI into a temporary data directory, serves the RF with
// `mlops serve`, loads REST and gRPC Predict beside bare node:http, bare grpc-js and (when it can
// start) the seed's FastAPI stack, all in the same run, optionally records the worker scaling
// curve, compares the native core with onnxruntime-node, then writes bench/results/latest.{json,md}
// and exits non-zero when a gate fails. docs/benchmarks.md explains what is measured and why.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { loadCsv } from "../src/core/data/csv.js";
import {
  SEED_STACK_SCRIPT,
  seedStackInstalled,
  startBareGrpc,
  startBareHttp,
  startSeedStack,
} from "./lib/baselines.js";
import { type Child, killAllChildren } from "./lib/children.js";
import { type CoreSection, coreVerdicts, measureCore } from "./lib/core-goals.js";
import { runGrpcJsLoad } from "./lib/grpc-js-load.js";
import { checkGrpcPredict, grpcFrame, PREDICT_PATH, predictRequestBytes } from "./lib/grpc-wire.js";
import { h2loadAvailable, runH2load } from "./lib/h2load.js";
import type { LoadGenerator, LoadResult } from "./lib/load-result.js";
import { machineInfo } from "./lib/machine.js";
import {
  readArtifact,
  startMlopsServer,
  type TrainedModel,
  type TrainSpec,
  trainModel,
} from "./lib/mlops-server.js";
import { freePort } from "./lib/net.js";
import { compareWithOrt, type OnnxComparison } from "./lib/onnx-compare.js";
import { onnxSubject } from "./lib/onnx-subjects.js";
import { type BenchOptions, parseBenchArgs, USAGE, UsageError } from "./lib/options.js";
import {
  type BenchReport,
  baselineFor,
  findMeasurement,
  type GrpcCheckRecord,
  type Measurement,
  renderMarkdown,
  type SectionStatus,
  type Target,
  writeReport,
} from "./lib/report.js";
import { runRestLoad } from "./lib/rest-load.js";
import { measureScaling } from "./lib/scaling.js";
import { SEED_BODY, SEED_FEATURES } from "./lib/seed-request.js";
import { failedGates, GATES, GOALS, gate, goal, loadGates, ratioGoal, type Verdict } from "./lib/verdicts.js";

const SERVED: TrainSpec = {
  modelName: "ml_classifier",
  family: "rf",
  nEstimators: 100,
  maxDepth: 10,
  promote: "Production",
};
const GBDT: TrainSpec = { modelName: "bench_gbdt", family: "gbdt", nEstimators: 300, maxDepth: 6 };
const TEST_ROWS = 2000;

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
  if (r.status !== 0 || !m) throw new Error("taskset could not read this process's CPU list");
  return m[1];
}

async function stopAll(children: (Child | undefined)[]): Promise<void> {
  await Promise.all(children.map((c) => c?.stop()));
}

async function main(argv: string[]): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n${USAGE}\n`);
      return 2;
    }
    throw error;
  }
  const started = performance.now();
  const machine = machineInfo();
  const command = `npm run bench${argv.length ? ` -- ${argv.join(" ")}` : ""}`;
  // The load generator runs in this process: pinned for the load runs, unpinned again for ONNX.
  const allCpus = options.loadCpus ? currentCpus() : undefined;
  if (options.loadCpus) pinSelf(options.loadCpus);
  const notes: string[] = [];
  const verdicts: Verdict[] = [];
  const dataDir = await mkdtemp(join(tmpdir(), "mlops-bench-"));
  // Also on Ctrl-C / SIGTERM, which exit without running the finally below.
  const removeDataDir = () => rmSync(dataDir, { recursive: true, force: true });
  process.once("exit", removeDataDir);
  const running: (Child | undefined)[] = [];
  try {
    // The seed stack may install Debian packages first: start it now (training overlaps the
    // install) and await it before any load run, so that dpkg never competes with a measurement.
    const seedPort = await freePort();
    const seedInstalled = seedStackInstalled();
    const seedWanted =
      options.seedStack === "on" || (options.seedStack === "auto" && (!options.quick || seedInstalled));
    const seedStatus: SectionStatus = { status: "skipped" };
    let seedChild: Child | undefined;
    const seedStarting = seedWanted
      ? startSeedStack({
          port: seedPort,
          timeoutMs: seedInstalled ? 60_000 : 240_000,
          cpus: options.serverCpus,
        })
      : undefined;
    if (!seedWanted) {
      seedStatus.reason =
        options.seedStack === "off" ? "--seed-stack off" : "--quick and its packages are not installed";
    }
    seedStarting?.then(
      (c) => running.push(c),
      () => undefined,
    );

    log(`training ${SERVED.family} ${SERVED.nEstimators}×${SERVED.maxDepth} into ${dataDir}`);
    const models: TrainedModel[] = [await trainModel(dataDir, options.data, SERVED, 120_000)];
    if (!options.quick && options.onnx) {
      log(`training ${GBDT.family} ${GBDT.nEstimators}×${GBDT.maxDepth}`);
      models.push(await trainModel(dataDir, options.data, GBDT, 180_000));
    }

    const [httpPort, grpcPort, bareHttpPort, bareGrpcPort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    log("starting mlops serve and the bare baselines");
    const [ours, bareHttp, bareGrpc] = await Promise.all([
      startMlopsServer({ dataDir, httpPort, grpcPort, workers: 1, cpus: options.serverCpus }),
      startBareHttp({ port: bareHttpPort, cpus: options.serverCpus }),
      startBareGrpc({ port: bareGrpcPort, cpus: options.serverCpus }),
    ]);
    running.push(ours, bareHttp, bareGrpc);
    if (seedStarting) {
      log("waiting for the seed stack");
      try {
        seedChild = await seedStarting;
      } catch (error) {
        seedStatus.status = "failed";
        seedStatus.reason = (error as Error).message.split("\n")[0];
        notes.push(
          `seed stack (${relative(process.cwd(), SEED_STACK_SCRIPT)}) did not run: ${seedStatus.reason}`,
        );
      }
    }

    const grpcChecks: GrpcCheckRecord[] = [];
    const grpcCheck = async (target: Target, port: number, phase: "before" | "after") => {
      const r = await checkGrpcPredict(port, SEED_FEATURES);
      grpcChecks.push({ target, phase, ok: r.ok, failed: r.failed, firstError: r.firstError });
      return r;
    };
    const oursCheck = await grpcCheck("mlops", grpcPort, "before");
    const bareCheck = await grpcCheck("bare-grpc-js", bareGrpcPort, "before");

    const grpcGenerator: LoadGenerator = h2loadAvailable() ? "h2load" : "grpc-js-client";
    if (grpcGenerator !== "h2load") {
      notes.push(
        "h2load (Debian nghttp2-client) is missing: gRPC load came from a grpc-js client, which saturates before " +
          "the servers do, so the gRPC ratios understate both.",
      );
    }
    const grpcBody = grpcFrame(predictRequestBytes(SEED_FEATURES));
    const warmupS = options.warmupS;
    const rest = (port: number, level: Level, durationS: number) =>
      runRestLoad({
        url: `http://127.0.0.1:${port}/predict`,
        body: SEED_BODY,
        connections: level.connections,
        durationS,
        warmupS,
      });
    const grpc = (
      port: number,
      level: Level,
      durationS: number,
      replyFrameBytes: number,
    ): Promise<LoadResult> =>
      grpcGenerator === "h2load"
        ? runH2load({
            url: `http://127.0.0.1:${port}${PREDICT_PATH}`,
            body: grpcBody,
            connections: level.connections,
            streams: level.streams,
            durationS,
            warmupS,
            cpus: options.loadCpus,
            replyFrameBytes,
          })
        : runGrpcJsLoad({
            port,
            path: PREDICT_PATH,
            request: predictRequestBytes(SEED_FEATURES),
            connections: level.connections,
            inflight: level.streams,
            durationS,
            warmupS,
          });

    const levels: Level[] = [
      { name: "c1", connections: 1, streams: 1 },
      { name: "c50", connections: 50, streams: options.grpcStreams },
    ];
    const measurements: Measurement[] = [];
    const record = (target: Target, protocol: "rest" | "grpc", level: Level, load: LoadResult) => {
      measurements.push({ target, protocol, level: level.name, load });
      log(
        `${protocol} ${level.name} ${target}: ${Math.round(load.rps)} rps, p50 ${load.latencyMs.p50.toFixed(2)} ms, ` +
          `p99 ${load.latencyMs.p99.toFixed(2)} ms, ${load.errors + load.non2xx} errors`,
      );
    };
    // Ours and its baseline back to back at each level, so drift on a shared machine hits both alike.
    for (const level of levels) {
      const d = level.connections === 1 ? options.durationC1S : options.durationS;
      record("mlops", "rest", level, await rest(httpPort, level, d));
      record("bare-node-http", "rest", level, await rest(bareHttpPort, level, d));
      record("mlops", "grpc", level, await grpc(grpcPort, level, d, oursCheck.replyFrameBytes));
      record("bare-grpc-js", "grpc", level, await grpc(bareGrpcPort, level, d, bareCheck.replyFrameBytes));
    }
    if (!options.quick && grpcGenerator === "h2load") {
      // anchors.md's gRPC ceiling set-up: 10 connections × 10 streams.
      const ceiling: Level = { name: "c10x10", connections: 10, streams: 10 };
      record(
        "mlops",
        "grpc",
        ceiling,
        await grpc(grpcPort, ceiling, options.durationS, oursCheck.replyFrameBytes),
      );
      record(
        "bare-grpc-js",
        "grpc",
        ceiling,
        await grpc(bareGrpcPort, ceiling, options.durationS, bareCheck.replyFrameBytes),
      );
    }
    await grpcCheck("mlops", grpcPort, "after");
    await grpcCheck("bare-grpc-js", bareGrpcPort, "after");
    await stopAll([ours, bareHttp, bareGrpc]);

    if (seedChild) {
      try {
        // Quick runs keep to the level its goal is judged at, to stay under a minute.
        for (const level of options.quick ? levels.filter((l) => l.name === "c50") : levels) {
          const d = level.connections === 1 ? options.durationC1S : options.durationS;
          record("seed-stack", "rest", level, await rest(seedPort, level, d));
        }
        seedStatus.status = "measured";
      } finally {
        await seedChild.stop();
      }
    }

    let scaling: BenchReport["scaling"];
    if (options.workers.length > 0) {
      log(`worker scaling: ${options.workers.join(", ")}`);
      const connections = 256;
      try {
        const points = await measureScaling({
          workers: options.workers,
          dataDir,
          serverCpus: options.serverCpus,
          loadCpus: options.loadCpus,
          connections,
          durationS: options.quick ? 3 : 8,
          warmupS: options.quick ? 0.5 : 1,
        });
        scaling = {
          status: "measured",
          serverCpus: options.serverCpus,
          loadCpus: options.loadCpus,
          connections,
          points,
        };
        for (const p of points) {
          verdicts.push(
            ratioGoal(
              `workers ${p.workers}: ≥ ${GOALS.scalingVsBare}× bare cluster`,
              p.ours.rps,
              p.bare.rps,
              GOALS.scalingVsBare,
            ),
          );
        }
      } catch (error) {
        scaling = { status: "failed", reason: (error as Error).message, connections, points: [] };
      }
    }

    if (allCpus) pinSelf(allCpus);
    const onnx: BenchReport["onnx"] = { status: "skipped", comparisons: [] };
    if (!options.onnx) onnx.reason = "--no-onnx";
    else {
      try {
        onnx.comparisons = await runOnnx(options, dataDir, models);
        onnx.status = "measured";
      } catch (error) {
        onnx.status = "failed";
        onnx.reason = (error as Error).message;
      }
    }

    // The core's own goals on the anchor models (full runs only: about half a minute).
    let core: CoreSection | undefined;
    if (!options.quick) {
      log("core goals: anchor models, XGBoost's predictor");
      core = await measureCore({ cellMs: 750 });
      verdicts.push(...coreVerdicts(core));
    }
    verdicts.unshift(...gatesAndGoals(measurements, grpcChecks, onnx.comparisons));
    if (onnx.status === "failed") verdicts.push(gate("ONNX comparison ran", false, onnx.reason ?? ""));
    if (scaling?.status === "failed") verdicts.push(goal("worker scaling ran", false, scaling.reason ?? ""));
    if (seedStatus.status !== "measured") {
      verdicts.push(goal(`≥ ${GOALS.vsSeed}× the seed stack`, undefined, `seed stack ${seedStatus.status}`));
    }
    const served = models[0];
    const report: BenchReport = {
      schema: 1,
      command,
      mode: options.quick ? "quick" : "full",
      machine,
      elapsedS: (performance.now() - started) / 1000,
      served: {
        modelName: served.spec.modelName,
        family: served.spec.family,
        nEstimators: served.spec.nEstimators,
        maxDepth: served.spec.maxDepth,
        version: served.version,
      },
      models,
      generators: { rest: "autocannon", grpc: grpcGenerator },
      pinning: { serverCpus: options.serverCpus, loadCpus: options.loadCpus },
      measurements,
      grpcChecks,
      seedStack: seedStatus,
      scaling,
      onnx,
      core,
      verdicts,
      notes,
      passed: false,
    };
    report.passed = failedGates(verdicts).length === 0;
    const paths = await writeReport(report, options.outDir);
    process.stdout.write(`${renderMarkdown(report)}\n`);
    log(`wrote ${paths.json} and ${paths.md}`);
    for (const v of failedGates(verdicts)) log(`GATE FAILED: ${v.name}: ${v.detail}`);
    return report.passed ? 0 : 1;
  } finally {
    await stopAll(running);
    killAllChildren();
    removeDataDir();
    process.removeListener("exit", removeDataDir);
  }
}

function gatesAndGoals(
  measurements: Measurement[],
  grpcChecks: GrpcCheckRecord[],
  onnx: OnnxComparison[],
): Verdict[] {
  const verdicts: Verdict[] = [];
  const report = { measurements };
  for (const m of measurements) {
    if (m.target !== "mlops") continue;
    verdicts.push(...loadGates(`${m.protocol === "rest" ? "REST" : "gRPC"} ${m.level}`, m.load));
  }
  const ours = grpcChecks.filter((c) => c.target === "mlops");
  const failed = ours.reduce((s, c) => s + c.failed, 0);
  verdicts.push(
    gate(
      "gRPC replies are OK PredictResponses (grpc-js, before and after load)",
      failed === 0 && ours.length > 0,
      `${ours.reduce((s, c) => s + c.ok, 0)} ok, ${failed} failed${ours.find((c) => c.firstError) ? `: ${ours.find((c) => c.firstError)?.firstError}` : ""}`,
    ),
  );
  for (const c of onnx) {
    verdicts.push(
      gate(
        `${c.name}: onnxruntime agrees ≤ ${GATES.onnxTolerance}`,
        c.agreed,
        `max |Δp| ${c.agreement.maxAbsDiff.toExponential(2)} on ${c.agreement.rows} rows`,
      ),
    );
  }
  for (const protocol of ["rest", "grpc"] as const) {
    const o = findMeasurement(report, "mlops", protocol, "c50");
    const b = findMeasurement(report, baselineFor(protocol), protocol, "c50");
    if (!o) continue;
    const min = protocol === "rest" ? GOALS.restVsBare : GOALS.grpcVsBare;
    const label = protocol === "rest" ? "REST c50 ≥ 0.70× bare node:http" : "gRPC c50 ≥ 0.80× bare grpc-js";
    verdicts.push(ratioGoal(label, o.load.rps, b?.load.rps, min));
    verdicts.push(
      goal(
        `${protocol === "rest" ? "REST" : "gRPC"} c50 p99 ≤ ${GOALS.p99MsAt50} ms`,
        o.load.latencyMs.p99 <= GOALS.p99MsAt50,
        `p99 ${o.load.latencyMs.p99.toFixed(2)} ms`,
      ),
    );
  }
  const seed = findMeasurement(report, "seed-stack", "rest", "c50");
  const oursRest = findMeasurement(report, "mlops", "rest", "c50");
  if (seed && oursRest) {
    verdicts.push(
      ratioGoal(`REST c50 ≥ ${GOALS.vsSeed}× the seed stack`, oursRest.load.rps, seed.load.rps, GOALS.vsSeed),
    );
  }
  for (const c of onnx) {
    for (const cell of c.cells) {
      verdicts.push(
        goal(
          `${c.name} batch ${cell.batch}, ${cell.threads} thread(s): ≥ ${GOALS.vsOrt}× onnxruntime`,
          cell.ratio >= GOALS.vsOrt,
          `${cell.ratio.toFixed(2)}×`,
        ),
      );
      if (cell.batch === 1 && cell.threads === 1) {
        const us = 1e6 / cell.oursRowsPerS;
        verdicts.push(
          goal(
            `${c.name} single-row call ≤ ${GOALS.singleRowUs} µs`,
            us <= GOALS.singleRowUs,
            `${us.toFixed(2)} µs`,
          ),
        );
      }
    }
  }
  return verdicts;
}

async function runOnnx(options: BenchOptions, dataDir: string, models: TrainedModel[]) {
  const data = await loadCsv(options.data, { target: "label" });
  const nTest = Math.min(TEST_ROWS, data.nRows);
  const rows = data.x.slice((data.nRows - nTest) * data.nFeatures);
  const comparisons: OnnxComparison[] = [];
  for (const trained of models) {
    const name = `${trained.spec.family} ${trained.spec.nEstimators}×${trained.spec.maxDepth}`;
    const subject = onnxSubject(name, await readArtifact(dataDir, trained.sha256));
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
          cellMs: options.quick ? 100 : 750,
        }),
      );
    } finally {
      subject.model.dispose();
    }
  }
  return comparisons;
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
