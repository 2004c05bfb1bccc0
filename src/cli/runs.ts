// `mlops runs list | show`: tracked training runs.
import { type Command, Option } from "commander";
import {
  LifecycleStage,
  type Run,
  RunStatus,
  TrackingService,
  ViewType,
} from "../gen/mlops/v1/tracking_pb.js";
import { ServiceError } from "../rpc/service-error.js";
import { type CliContext, withContext } from "./context.js";
import { CliError } from "./errors.js";
import { formatDuration, formatMetric, formatTime, jsonText, runStatusLabel, write } from "./format.js";
import { registerRunLifecycle, VIEWS, viewOption } from "./lifecycle.js";
import * as parse from "./parse.js";
import { call, responseJson } from "./rpc.js";
import { formatFields, formatTable } from "./table.js";

const T = TrackingService.method;

/** Rows `runs list` prints unless `--limit` says otherwise. */
export const RUNS_LIST_DEFAULT_LIMIT = 20;

interface ListFlags {
  experiment?: string;
  status?: RunStatus[];
  limit: number;
  view?: string;
  json?: boolean;
}

async function experimentNames(ctx: CliContext): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  let pageToken = "";
  do {
    const res = await call(
      T.listExperiments,
      ctx.tracking.listExperiments,
      // Every experiment, deleted ones too: `--view deleted` lists the runs their deletion took.
      { pageSize: 1000, pageToken, viewType: ViewType.ALL },
      ctx.call,
    );
    for (const e of res.experiments) names.set(e.experimentId, e.name);
    pageToken = res.nextPageToken;
  } while (pageToken !== "");
  return names;
}

/** An experiment by name, or by id when no experiment has that name. */
async function findExperiment(ctx: CliContext, nameOrId: string): Promise<string> {
  try {
    const res = await call(
      T.getExperimentByName,
      ctx.tracking.getExperimentByName,
      { name: nameOrId },
      ctx.call,
    );
    return res.experiment!.experimentId;
  } catch (error) {
    if (!(error instanceof ServiceError && error.code === "NOT_FOUND" && /^\d+$/.test(nameOrId))) throw error;
    const res = await call(T.getExperiment, ctx.tracking.getExperiment, { experimentId: nameOrId }, ctx.call);
    return res.experiment!.experimentId;
  }
}

const duration = (r: Run): string =>
  r.endTimeMs > 0n
    ? formatDuration(Number(r.endTimeMs - r.startTimeMs))
    : runStatusLabel(r.status) === "RUNNING"
      ? "running"
      : "-";

const latest = (r: Run, key: string): number | undefined => {
  let found: { value: number; step: bigint; ts: bigint } | undefined;
  for (const m of r.metrics) {
    if (m.key !== key) continue;
    if (!found || m.step > found.step || (m.step === found.step && m.timestampMs >= found.ts)) {
      found = { value: m.value, step: m.step, ts: m.timestampMs };
    }
  }
  return found?.value;
};

const HEADLINE_METRICS = ["accuracy", "roc_auc", "log_loss"] as const;

async function list(ctx: CliContext, flags: ListFlags): Promise<void> {
  const names = await experimentNames(ctx);
  const experimentIds =
    flags.experiment === undefined ? [...names.keys()] : [await findExperiment(ctx, flags.experiment)];
  const res = await call(
    T.searchRuns,
    ctx.tracking.searchRuns,
    {
      experimentIds,
      statuses: flags.status ?? [],
      pageSize: flags.limit,
      viewType: VIEWS[flags.view ?? "active"],
    },
    ctx.call,
  );
  if (flags.json) return write(jsonText(responseJson(T.searchRuns, res)));
  const metricKeys = HEADLINE_METRICS.filter((k) => res.runs.some((r) => latest(r, k) !== undefined));
  write(
    formatTable(
      [
        "RUN ID",
        "NAME",
        "EXPERIMENT",
        "STATUS",
        "STARTED",
        "DURATION",
        ...metricKeys.map((k) => k.toUpperCase()),
      ],
      res.runs.map((r) => [
        r.runId,
        r.runName,
        names.get(r.experimentId) ?? r.experimentId,
        runStatusLabel(r.status) + (r.lifecycleStage === LifecycleStage.DELETED ? " (deleted)" : ""),
        formatTime(r.startTimeMs),
        duration(r),
        ...metricKeys.map((k) => formatMetric(latest(r, k))),
      ]),
      {
        align: ["left", "left", "left", "left", "left", "right", ...metricKeys.map(() => "right" as const)],
        empty: "no runs (train one: mlops train)",
      },
    ),
  );
  if (res.nextPageToken !== "") write(`(showing the newest ${flags.limit}; --limit shows more)\n`);
}

async function show(ctx: CliContext, runId: string, flags: { json?: boolean }): Promise<void> {
  const res = await call(T.getRun, ctx.tracking.getRun, { runId }, ctx.call);
  if (flags.json) return write(jsonText(responseJson(T.getRun, res)));
  const r = res.run!;
  const experiment = await call(
    T.getExperiment,
    ctx.tracking.getExperiment,
    { experimentId: r.experimentId },
    ctx.call,
  );
  const byKey = (a: [string, unknown], b: [string, unknown]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  write(
    formatFields([
      ["run", r.runId],
      ["name", r.runName],
      ["experiment", `${experiment.experiment?.name} (${r.experimentId})`],
      ["status", runStatusLabel(r.status)],
      [
        "lifecycle",
        r.lifecycleStage === LifecycleStage.DELETED ? `deleted ${formatTime(r.deletedAtMs)}` : "active",
      ],
      ["started", formatTime(r.startTimeMs)],
      ["ended", formatTime(r.endTimeMs)],
      ["duration", duration(r)],
    ]),
  );
  write("\nparams:\n");
  write(formatTable(["KEY", "VALUE"], Object.entries(r.params).sort(byKey)));
  write("\nmetrics:\n");
  const keys = [...new Set(r.metrics.map((m) => m.key))].sort();
  write(
    formatTable(
      ["KEY", "VALUE"],
      keys.map((k) => [k, formatMetric(latest(r, k))]),
      { align: ["left", "right"] },
    ),
  );
  write("\ntags:\n");
  write(formatTable(["KEY", "VALUE"], Object.entries(r.tags).sort(byKey)));
}

export function registerRuns(program: Command): void {
  const runs = program.command("runs").description("tracked training runs: list, show, end, delete, restore");

  runs
    .command("list")
    .description("runs, newest first")
    .option("--experiment <name>", "only this experiment (name, or id); default: every experiment")
    .option(
      "--status <status>",
      "only runs in this status (RUNNING, FINISHED, FAILED, KILLED; repeatable)",
      parse.runStatuses,
    )
    .option(
      "--limit <n>",
      `at most n runs (1-1000, default ${RUNS_LIST_DEFAULT_LIMIT})`,
      parse.integer(1, 1000),
      RUNS_LIST_DEFAULT_LIMIT,
    )
    .addOption(viewOption("runs"))
    .addOption(new Option("--json", "print the API's JSON (SearchRunsResponse)"))
    .action((flags: ListFlags, cmd: Command) => withContext(cmd, (ctx) => list(ctx, flags)));

  runs
    .command("show")
    .description("one run's params, metrics and tags")
    .argument("<run-id>", "32 hex digits")
    .addOption(new Option("--json", "print the API's JSON (GetRunResponse)"))
    .action((runId: string, flags: { json?: boolean }, cmd: Command) =>
      withContext(cmd, (ctx) => show(ctx, runId, flags)),
    );

  runs
    .command("end")
    .description("end a RUNNING run whose process died (kill -9, a lost machine)")
    .argument("<run-id>", "32 hex digits")
    .addOption(
      new Option("--status <status>", "the status it ends with")
        .choices(Object.keys(END_STATUSES))
        .default("killed"),
    )
    .addOption(new Option("--json", "print the API's JSON (UpdateRunResponse)"))
    .action((runId: string, flags: { status: string; json?: boolean }, cmd: Command) =>
      withContext(cmd, (ctx) => end(ctx, runId, flags)),
    );

  registerRunLifecycle(runs);
}

/** `runs end --status`'s values. */
const END_STATUSES: Readonly<Record<string, RunStatus>> = {
  killed: RunStatus.KILLED,
  failed: RunStatus.FAILED,
  finished: RunStatus.FINISHED,
};

async function end(ctx: CliContext, runId: string, flags: { status: string; json?: boolean }): Promise<void> {
  const got = await call(T.getRun, ctx.tracking.getRun, { runId }, ctx.call);
  const current = got.run?.status ?? RunStatus.UNSPECIFIED;
  if (current !== RunStatus.RUNNING) {
    throw new CliError(
      "FAILED_PRECONDITION",
      `run ${runId} is ${runStatusLabel(current)}, not RUNNING: only a running run can be ended`,
    );
  }
  const status = END_STATUSES[flags.status] as RunStatus;
  const res = await call(T.updateRun, ctx.tracking.updateRun, { runId, status }, ctx.call);
  if (flags.json) return write(jsonText(responseJson(T.updateRun, res)));
  write(`run ${runId} ended ${runStatusLabel(status)}\n`);
}
