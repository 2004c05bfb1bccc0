// `mlops train`: train a model, log it to a tracked run, register it, optionally promote it.
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { type Command, Option } from "commander";
import { TrainError } from "../core/errors.js";
import { type MaxFeatures, TRAIN_OPTION_NAMES, type TrainOptions } from "../core/train-options.js";
import type { Stage } from "../store/index.js";
import type { DataSource } from "../workflows/data-source.js";
import { METRIC_KEYS } from "../workflows/run-record.js";
import { type TrainAndRegisterResult, trainAndRegister } from "../workflows/train-and-register.js";
import { withContext } from "./context.js";
import { CliError, EXIT, signalExitCode } from "./errors.js";
import { formatDuration, formatMetric, jsonText, write } from "./format.js";
import * as parse from "./parse.js";
import { createProgress } from "./progress.js";
import { formatFields, formatTable } from "./table.js";

/** Commander's parsed flags: the core's hyperparameters under their own names, plus the CLI's own. */
interface TrainFlags extends TrainOptions {
  data?: string;
  target?: string;
  categoricalTarget?: boolean;
  synthetic?: boolean;
  model: NonNullable<TrainOptions["model"]>;
  experiment?: string;
  runName?: string;
  modelName?: string;
  promote?: Stage;
  testFraction?: number;
  json?: boolean;
}

/** `sqrt`, `log2`, `all`, a fraction in (0, 1) or a count >= 1. */
function maxFeatures(value: string): MaxFeatures {
  const v = value.trim().toLowerCase();
  if (v === "sqrt" || v === "log2" || v === "all") return v;
  const n = Number(v);
  if (v !== "" && Number.isFinite(n) && n > 0 && (n < 1 || Number.isInteger(n))) return n;
  throw new parse.InvalidArgumentError("expected sqrt, log2, all, a fraction in (0, 1) or a count >= 1");
}

/**
 * Hyperparameter flags → the core's TrainOptions; unset flags stay unset so the core's per-family
 * defaults apply, and a flag that does not apply to the family is the core's ERR_TRAIN_INVALID.
 */
export function trainOptionsFromFlags(flags: TrainFlags): TrainOptions {
  const options: Record<string, unknown> = {
    model: flags.model,
    nEstimators: flags.nEstimators,
    maxDepth: flags.maxDepth,
    learningRate: flags.learningRate,
    minSamplesLeaf: flags.minSamplesLeaf,
    minChildWeight: flags.minChildWeight,
    l2: flags.l2,
    subsample: flags.subsample,
    colsample: flags.colsample,
    maxBins: flags.maxBins,
    maxFeatures: flags.maxFeatures,
    maxIter: flags.maxIter,
    seed: flags.seed,
    threads: flags.threads,
  };
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as TrainOptions;
}

function dataSourceFromFlags(flags: TrainFlags): DataSource {
  if (flags.data !== undefined && flags.synthetic) {
    throw new CliError("USAGE", "--data and --synthetic exclude each other", EXIT.usage);
  }
  if (flags.data === undefined) {
    if (flags.target !== undefined) throw new CliError("USAGE", "--target needs --data", EXIT.usage);
    if (flags.categoricalTarget) {
      throw new CliError("USAGE", "--categorical-target needs --data", EXIT.usage);
    }
    return { kind: "synthetic" };
  }
  const path = resolve(flags.data);
  // Checked here so the message names the flag; the loader would say ENOENT.
  if (!existsSync(path)) throw new CliError("NOT_FOUND", `--data: no such file: ${path}`);
  if (statSync(path).isDirectory()) {
    throw new CliError("ERR_DATA", `--data: ${path} is a directory; expected a CSV file`);
  }
  return { kind: "csv", path, target: flags.target, categoricalTarget: flags.categoricalTarget };
}

/** What `--json` prints: the result without the model object, in the API's snake_case. */
export function resultJson(r: TrainAndRegisterResult): Record<string, unknown> {
  return {
    experiment_id: r.experimentId,
    experiment_name: r.experimentName,
    run_id: r.runId,
    run_name: r.runName,
    model_name: r.modelName,
    version: r.version,
    stage: r.stage,
    archived_versions: r.archivedVersions,
    artifact_sha256: r.artifactSha256,
    artifact_bytes: r.artifactBytes,
    metrics: r.metrics,
    params: r.params,
    n_train: r.nTrain,
    n_test: r.nTest,
    train_ms: Math.round(r.trainMs),
  };
}

function summary(r: TrainAndRegisterResult): string {
  const archived =
    r.archivedVersions.length > 0 ? ` (archived ${r.archivedVersions.map((v) => `v${v}`).join(", ")})` : "";
  return (
    formatFields([
      ["run", `${r.runId} (${r.runName}, experiment ${r.experimentName})`],
      ["model", `${r.modelName} v${r.version}`],
      ["stage", `${r.stage}${archived}`],
      ["sha256", r.artifactSha256],
      ["size", `${r.artifactBytes} bytes`],
      ["trained", `${r.nTrain} rows in ${formatDuration(r.trainMs)}; held out ${r.nTest}`],
    ]) +
    "\n" +
    formatTable(
      ["METRIC", "HELD-OUT"],
      METRIC_KEYS.map((k) => [k, formatMetric(r.metrics[k])]),
      { align: ["left", "right"] },
    )
  );
}

/**
 * The trainer names its options as the library does (`nEstimators`); the CLI user typed flags, so
 * its messages name those (`--n-estimators`).
 */
function withFlagNames(error: unknown): unknown {
  if (!(error instanceof TrainError) || error.code !== "ERR_TRAIN_INVALID") return error;
  // `model` is left alone: it is also a plain word in these messages ("does not apply to model rf").
  const message = error.message.replace(/\b[a-z][A-Za-z0-9]*\b/g, (name) =>
    TRAIN_OPTION_NAMES.has(name) && name !== "model"
      ? `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`
      : name,
  );
  return new CliError("ERR_TRAIN_INVALID", message);
}

/** The signals that stop `mlops train` (each marks the run KILLED). */
const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

export function registerTrain(program: Command): void {
  program
    .command("train")
    .description("train a model, track the run, register a new version (and optionally promote it)")
    .option("--data <csv>", "training CSV with a header row (default: the built-in synthetic set)")
    .option("--target <column>", 'label column of --data (default "label")')
    .option(
      "--categorical-target",
      "the target's values are classes even if they look continuous (non-integer numbers, or more than 100 distinct numbers)",
    )
    .option(
      "--synthetic",
      "train on the built-in synthetic set: 5000 rows, 20 features, seed 42 (the default)",
    )
    .addOption(
      new Option("--model <family>", "model family").choices(["gbdt", "rf", "logreg"]).default("gbdt"),
    )
    .option(
      "--n-estimators <n>",
      "boosting rounds (gbdt) or trees (rf), 1-1000000",
      parse.integer(1, 1_000_000),
    )
    .option("--max-depth <n>", "tree depth, 0 = unlimited", parse.integer(0))
    .option("--learning-rate <x>", "gbdt shrinkage", parse.number(0, Infinity, true))
    .option("--min-samples-leaf <n>", "rows per leaf", parse.integer(1))
    .option("--min-child-weight <x>", "gbdt: smallest hessian sum in a leaf", parse.number(0))
    .option("--l2 <x>", "L2 regularisation (gbdt leaves, logreg coefficients)", parse.number(0))
    .option("--subsample <x>", "gbdt: row fraction per round, (0, 1]", parse.number(0, 1, "min"))
    .option("--colsample <x>", "gbdt: feature fraction per tree, (0, 1]", parse.number(0, 1, "min"))
    .option("--max-bins <n>", "histogram bins per feature", parse.integer(2, 65535))
    .option(
      "--max-features <v>",
      "rf: features per split: sqrt, log2, all, a fraction or a count",
      maxFeatures,
    )
    .option("--max-iter <n>", "logreg: optimizer iterations, 1-1000000", parse.integer(1, 1_000_000))
    .option("--seed <n>", "random seed", parse.integer(0))
    .option(
      "--threads <n>",
      "training threads, 0 = every core (results do not depend on it)",
      parse.integer(0),
    )
    .option("--experiment <name>", 'experiment of the run, created when missing (default "Default")')
    .option("--run-name <name>", "run name (default run-<id prefix>)")
    .option("--model-name <name>", "registered model (env MLOPS_MODEL_NAME, default ml_classifier)")
    .option(
      "--promote <stage>",
      "move the new version to None, Staging, Production or Archived (any case), archiving the versions there",
      parse.stage,
    )
    .option(
      "--test-fraction <x>",
      "share of rows, from the end, held out for the metrics (default 0.2)",
      parse.number(0, 1, true),
    )
    .addOption(new Option("--json", "print the result as JSON on stdout"))
    .action((flags: TrainFlags, cmd: Command) =>
      withContext(
        cmd,
        async (ctx) => {
          const data = dataSourceFromFlags(flags);
          const train = trainOptionsFromFlags(flags);
          const progress = createProgress({
            unit: flags.model === "rf" ? "trees" : flags.model === "gbdt" ? "rounds" : "iterations",
          });
          const controller = new AbortController();
          // Every signal that ends the CLI ends the run KILLED: Ctrl-C, a terminal closed (SIGHUP),
          // a supervisor stopping it (SIGTERM).
          let stoppedBy: NodeJS.Signals | undefined;
          const onSignal = (signal: NodeJS.Signals) => {
            // A second signal does not wait for the run to be marked KILLED.
            if (controller.signal.aborted) process.exit(signalExitCode(stoppedBy ?? signal));
            stoppedBy = signal;
            progress.note(`cancelling on ${signal} (again to quit at once)…`);
            controller.abort();
          };
          for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
          let runId = "";
          try {
            const result = await trainAndRegister({
              store: ctx.store,
              artifacts: ctx.artifacts,
              data,
              train,
              modelName: ctx.config.modelName,
              experiment: flags.experiment,
              runName: flags.runName,
              testFraction: flags.testFraction,
              source: "cli",
              actor: ctx.actor,
              promote: flags.promote,
              signal: controller.signal,
              logger: ctx.logger,
              onRun: (run) => {
                runId = run.id;
                progress.note(`run ${run.id} started`);
              },
              onPhase: (phase) =>
                progress.phase(
                  phase,
                  phase === "train" ? flags.model : phase === "promote" ? `to ${flags.promote}` : undefined,
                ),
              onProgress: (done, total) => progress.update(done, total),
            });
            progress.stop();
            write(flags.json ? jsonText(resultJson(result)) : summary(result));
          } catch (error) {
            progress.stop();
            if (controller.signal.aborted) {
              throw new CliError(
                "CANCELLED",
                `training cancelled (${stoppedBy})${runId ? `; run ${runId} marked KILLED` : ""}`,
                signalExitCode(stoppedBy ?? "SIGINT"),
              );
            }
            throw withFlagNames(error);
          } finally {
            for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
          }
        },
        { modelName: flags.modelName },
      ),
    );
}
