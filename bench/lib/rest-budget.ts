// Where a REST `/predict` request's time goes, stage by stage, measured on the server's own code:
// the same parser, row check, batcher, native model, encoder and pipeline (metrics, logging) that
// `mlops serve` runs, each called in this process many times on the seed's request (best of a few
// rounds), plus the whole JS path without HTTP. Beside the load runs' CPU time per request of our
// server and of bare node:http, it says how much of the difference each stage explains, so that a
// regression shows where it is.
import { readFileSync } from "node:fs";
import type { DescMethodUnary } from "@bufbuild/protobuf";
import { loadConfig } from "../../src/config/config.js";
import { ClassifierModel } from "../../src/core/model.js";
import { PredictService } from "../../src/gen/mlops/v1/predict_pb.js";
import { createLogger } from "../../src/observability/logger.js";
import { createMetrics } from "../../src/observability/metrics.js";
import { toRow } from "../../src/services/features.js";
import { createPredictService, type PredictResult } from "../../src/services/predict-service.js";
import { type BatchModel, createBatcher } from "../../src/serving/batcher.js";
import type { ModelManager, ServedModel } from "../../src/serving/model-manager.js";
import { parseJsonObject } from "../../src/transports/http/body.js";
import { compileRestRoutes } from "../../src/transports/http/rest-routes.js";
import { leanPredictRoute, predictJson } from "../../src/transports/http/routes.js";
import { createPipeline, type InvokeMeta } from "../../src/transports/pipeline.js";
import { SEED_BODY } from "./seed-request.js";

export interface BudgetStage {
  /** parse, validate, queue to the batcher, native call, encode, metrics and logging. */
  stage: string;
  /** What was timed. */
  what: string;
  usPerRequest: number;
}

export interface RestBudget {
  /** Concurrent rows per batcher flush in the measurement (the judged level's connections). */
  burst: number;
  stages: BudgetStage[];
  /** Σ stages. */
  sumUs: number;
  /** The whole JS path without HTTP: pipeline + lean route + service + batcher + native, per request. */
  jsPathUs: number;
  /** CPU time (user + system, all threads) per request of the server processes in the judged REST load runs. */
  serverCpuUs?: { ours: number; bare: number };
}

const ROUNDS = 15;

/** Best-of-rounds µs per call of a synchronous function. */
function timeSync(fn: () => unknown, roundMs: number): number {
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < ROUNDS; r++) {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < roundMs) {
      for (let i = 0; i < 200; i++) fn();
      n += 200;
      t = performance.now();
    }
    best = Math.min(best, ((t - t0) * 1000) / n);
  }
  return best;
}

/** Best-of-rounds µs per item of an async function handling `items` items per call. */
async function timeAsync(fn: () => Promise<unknown>, items: number, roundMs: number): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < ROUNDS; r++) {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < roundMs) {
      await fn();
      n += items;
      t = performance.now();
    }
    best = Math.min(best, ((t - t0) * 1000) / n);
  }
  return best;
}

/** A model with the real one's shape whose scoring costs nothing: isolates the batcher's own work. */
function freeModel(nFeatures: number, nClasses: number): BatchModel {
  return {
    nFeatures,
    nClasses,
    predictProba: (_rows, n) => new Float64Array(n * nClasses).fill(1 / nClasses),
    predictProbaAsync: async (_rows, n) => new Float64Array(n * nClasses).fill(1 / nClasses),
  };
}

/**
 * The stage budget on the served model's artifact (`artifactPath` or its bytes), with `burst` rows
 * in flight (the judged level's connections). About 3 s.
 */
export async function measureRestBudget(options: {
  artifact: Uint8Array;
  burst: number;
  roundMs?: number;
}): Promise<RestBudget> {
  const roundMs = options.roundMs ?? 20;
  const burst = options.burst;
  const model = ClassifierModel.fromBytes(options.artifact);
  // The server's own defaults for everything below (batching, missing values).
  const config = loadConfig({}, {});
  const metrics = createMetrics({ defaultMetrics: false });
  const logger = createLogger({ level: config.logLevel, destination: "/dev/null" });
  const batcherOptions = {
    maxBatchSize: config.batching.maxBatchSize,
    maxDelayUs: config.batching.maxDelayUs,
    maxQueue: config.batching.maxQueue,
    maxInFlight: config.batching.maxInFlight,
    syncMaxRows: config.batching.syncMaxRows,
    syncMaxUs: config.batching.syncMaxUs,
  };
  const served: ServedModel = {
    name: "ml_classifier",
    version: 1,
    stage: "Production",
    aliases: [],
    runId: null,
    sha256: "",
    loadedAt: new Date(),
    metrics: {},
    model,
  };
  const models = { current: () => served, lastError: () => undefined } as unknown as ModelManager;
  try {
    const body = parseJsonObject(SEED_BODY, "");
    const features = body.features as number[];
    const nf = model.nFeatures;
    const row = toRow(features, nf, "features", config.allowMissing);
    const packed = new Float64Array(burst * nf);
    for (let i = 0; i < burst; i++) packed.set(row, i * nf);
    const freeBatcher = createBatcher(batcherOptions);
    const free = freeModel(nf, model.nClasses);
    const result: PredictResult = {
      prediction: 1,
      label: 1,
      probability: model.predictProba(row, 1),
      modelVersion: "1",
      modelName: served.name,
      timestamp: new Date().toISOString(),
    };
    const predict = createPredictService({
      models,
      batcher: createBatcher(batcherOptions),
      allowMissing: config.allowMissing,
    });
    const restRoute = compileRestRoutes([PredictService]).find((r) => r.method.name === "Predict");
    if (!restRoute) throw new Error("PredictService.Predict has no REST route");
    const route = leanPredictRoute(
      restRoute,
      predict.predictRow,
      predict.predictRequest,
      config.maxBodyBytes,
    );
    const pipeline = createPipeline({ metrics, logger });
    const method = restRoute.method as DescMethodUnary;
    const meta = (): InvokeMeta => ({
      transport: "rest",
      verb: "POST",
      endpoint: restRoute.template,
      t0: process.hrtime.bigint(),
    });
    const identity = (x: unknown) => x;

    const burstOf = (one: () => Promise<unknown>) => () => Promise.all(Array.from({ length: burst }, one));
    const stages: BudgetStage[] = [
      {
        stage: "parse",
        what: "JSON.parse of the body and its shape check (parseJsonObject)",
        usPerRequest: timeSync(() => parseJsonObject(SEED_BODY, ""), roundMs),
      },
      {
        stage: "validate",
        what: "features → Float64Array with every value checked (toRow)",
        usPerRequest: timeSync(() => toRow(features, nf, "features", config.allowMissing), roundMs),
      },
      {
        stage: "queue to the batcher",
        what: `submit → flush → resolve, ${burst} rows in flight, scoring excluded`,
        usPerRequest: await timeAsync(
          burstOf(() => freeBatcher.submit(free, row)),
          burst,
          roundMs,
        ),
      },
      {
        stage: "native call",
        what: `predictProba on a batch of ${burst} rows, per row`,
        usPerRequest: timeSync(() => model.predictProba(packed, burst), roundMs) / burst,
      },
      {
        stage: "encode",
        what: "the seed's JSON reply (predictJson)",
        usPerRequest: timeSync(() => predictJson(result), roundMs),
      },
      {
        stage: "metrics and logging",
        what: "the pipeline around a call that does nothing: context, record (counter, histogram), no log on success",
        usPerRequest: Math.max(
          0,
          (await timeAsync(
            burstOf(() => pipeline.invoke(PredictService, method, identity, body, meta())),
            burst,
            roundMs,
          )) -
            (await timeAsync(
              burstOf(async () => identity(body)),
              burst,
              roundMs,
            )),
        ),
      },
    ];
    const jsPathUs = await timeAsync(
      burstOf(() =>
        pipeline.invoke(PredictService, method, route.call, parseJsonObject(SEED_BODY, ""), meta()),
      ),
      burst,
      roundMs,
    );
    return {
      burst,
      stages,
      sumUs: stages.reduce((s, x) => s + x.usPerRequest, 0),
      jsPathUs,
    };
  } finally {
    model.dispose();
  }
}

/** CPU seconds (user + system, every thread) a process has used so far, from /proc; undefined off Linux. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start at ") "; utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}
