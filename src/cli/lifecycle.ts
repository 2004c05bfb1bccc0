// `mlops runs delete | restore` and `mlops experiments list | delete | restore`: MLflow's soft delete.
// A deleted run or experiment is hidden from listings (`--view deleted` or `all` shows it) and comes
// back with `restore`, until `mlops gc` purges it.
import { type Command, Option } from "commander";
import { type Experiment, LifecycleStage, TrackingService, ViewType } from "../gen/mlops/v1/tracking_pb.js";
import { ServiceError } from "../rpc/service-error.js";
import { type CliContext, withContext } from "./context.js";
import { formatTime, jsonText, write } from "./format.js";
import { call, messageJson, responseJson } from "./rpc.js";
import { formatTable } from "./table.js";

const T = TrackingService.method;

/** `--view`'s values, as MLflow's CLI spells them without the `_only`. */
export const VIEWS: Readonly<Record<string, ViewType>> = {
  active: ViewType.ACTIVE_ONLY,
  deleted: ViewType.DELETED_ONLY,
  all: ViewType.ALL,
};

export const viewOption = (what: string) =>
  new Option("--view <view>", `which ${what}: active (default), deleted, or all`).choices(Object.keys(VIEWS));

interface JsonFlag {
  json?: boolean;
}

/** An experiment by name, or by id when no experiment has that name; deleted ones too. */
export async function findExperiment(ctx: CliContext, nameOrId: string): Promise<Experiment> {
  try {
    const res = await call(
      T.getExperimentByName,
      ctx.tracking.getExperimentByName,
      { name: nameOrId },
      ctx.call,
    );
    if (res.experiment) return res.experiment;
  } catch (error) {
    if (!(error instanceof ServiceError && error.code === "NOT_FOUND" && /^\d+$/.test(nameOrId))) throw error;
  }
  const res = await call(T.getExperiment, ctx.tracking.getExperiment, { experimentId: nameOrId }, ctx.call);
  if (!res.experiment) throw new ServiceError("NOT_FOUND", `experiment "${nameOrId}" not found`);
  return res.experiment;
}

async function changeRuns(
  ctx: CliContext,
  runIds: string[],
  action: "delete" | "restore",
  flags: JsonFlag,
): Promise<void> {
  const done = [];
  for (const runId of runIds) {
    const res =
      action === "delete"
        ? await call(T.deleteRun, ctx.tracking.deleteRun, { runId }, ctx.call)
        : await call(T.restoreRun, ctx.tracking.restoreRun, { runId }, ctx.call);
    done.push(res.run);
    if (!flags.json)
      write(
        `run ${runId} ${action === "delete" ? "deleted (mlops runs restore brings it back)" : "restored"}\n`,
      );
  }
  if (flags.json)
    write(jsonText(messageJson(T.searchRuns.output, { runs: done.flatMap((r) => (r ? [r] : [])) })));
}

export function registerRunLifecycle(runs: Command): void {
  runs
    .command("delete")
    .description("soft-delete runs: hidden from `runs list`, restorable until `mlops gc`")
    .argument("<run-id...>", "32 hex digits each")
    .addOption(new Option("--json", "print the runs after the change (SearchRunsResponse's shape)"))
    .action((runIds: string[], flags: JsonFlag, cmd: Command) =>
      withContext(cmd, (ctx) => changeRuns(ctx, runIds, "delete", flags)),
    );
  runs
    .command("restore")
    .description("restore soft-deleted runs")
    .argument("<run-id...>", "32 hex digits each")
    .addOption(new Option("--json", "print the runs after the change (SearchRunsResponse's shape)"))
    .action((runIds: string[], flags: JsonFlag, cmd: Command) =>
      withContext(cmd, (ctx) => changeRuns(ctx, runIds, "restore", flags)),
    );
}

async function listExperiments(ctx: CliContext, flags: JsonFlag & { view?: string }): Promise<void> {
  const experiments: Experiment[] = [];
  let pageToken = "";
  do {
    const res = await call(
      T.listExperiments,
      ctx.tracking.listExperiments,
      { pageSize: 1000, pageToken, viewType: VIEWS[flags.view ?? "active"] },
      ctx.call,
    );
    experiments.push(...res.experiments);
    pageToken = res.nextPageToken;
  } while (pageToken !== "");
  if (flags.json) return write(jsonText(messageJson(T.listExperiments.output, { experiments })));
  write(
    formatTable(
      ["ID", "NAME", "STAGE", "CREATED", "DELETED"],
      experiments.map((e) => [
        e.experimentId,
        e.name,
        e.lifecycleStage === LifecycleStage.DELETED ? "deleted" : "active",
        formatTime(e.createdAtMs),
        formatTime(e.deletedAtMs),
      ]),
      { align: ["right"], empty: "no experiments" },
    ),
  );
}

async function changeExperiment(
  ctx: CliContext,
  nameOrId: string,
  action: "delete" | "restore",
  flags: JsonFlag,
): Promise<void> {
  const { experimentId, name } = await findExperiment(ctx, nameOrId);
  if (action === "delete") {
    const res = await call(T.deleteExperiment, ctx.tracking.deleteExperiment, { experimentId }, ctx.call);
    if (flags.json) return write(jsonText(responseJson(T.deleteExperiment, res)));
    write(
      `experiment ${name} (${experimentId}) deleted with its runs (mlops experiments restore brings them back)\n`,
    );
  } else {
    const res = await call(T.restoreExperiment, ctx.tracking.restoreExperiment, { experimentId }, ctx.call);
    if (flags.json) return write(jsonText(responseJson(T.restoreExperiment, res)));
    write(`experiment ${name} (${experimentId}) restored with the runs its deletion took\n`);
  }
}

export function registerExperiments(program: Command): void {
  const experiments = program
    .command("experiments")
    .description("tracking experiments: list, delete, restore");
  experiments
    .command("list")
    .description("experiments by name")
    .addOption(viewOption("experiments"))
    .addOption(new Option("--json", "print the API's JSON (ListExperimentsResponse)"))
    .action((flags: JsonFlag & { view?: string }, cmd: Command) =>
      withContext(cmd, (ctx) => listExperiments(ctx, flags)),
    );
  experiments
    .command("delete")
    .description("soft-delete an experiment and its runs; restorable until `mlops gc`")
    .argument("<experiment>", "name, or id")
    .addOption(new Option("--json", "print the API's JSON (DeleteExperimentResponse)"))
    .action((nameOrId: string, flags: JsonFlag, cmd: Command) =>
      withContext(cmd, (ctx) => changeExperiment(ctx, nameOrId, "delete", flags)),
    );
  experiments
    .command("restore")
    .description("restore a deleted experiment with the runs its deletion took")
    .argument("<experiment>", "name, or id")
    .addOption(new Option("--json", "print the API's JSON (RestoreExperimentResponse)"))
    .action((nameOrId: string, flags: JsonFlag, cmd: Command) =>
      withContext(cmd, (ctx) => changeExperiment(ctx, nameOrId, "restore", flags)),
    );
}
