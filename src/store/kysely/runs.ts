import { randomUUID } from "node:crypto";
import { invalid, notFound, StoreError } from "../errors.js";
import { decodeToken, encodeToken } from "../page-token.js";
import type { CreateRunInput, Page, Run, RunStatus, SearchRunsQuery, UpdateRunInput } from "../types.js";
import {
  checkEntries,
  checkExperimentId,
  checkLifecycleView,
  checkLimit,
  checkRunId,
  checkRunStatus,
  checkSha256,
  checkText,
  checkTimestamp,
  MAX_PAGE,
  MAX_TAG_VALUE,
} from "../validation.js";
import type { StoreContext } from "./context.js";
import { requireExperiment } from "./experiments.js";
import { loadRuns, num } from "./rows.js";
import type { Db } from "./schema.js";

const TERMINAL: readonly RunStatus[] = ["FINISHED", "FAILED", "KILLED"];
const MAX_RUN_NAME = 250;

export async function requireRun(db: Db, runId: string) {
  const row = await db.selectFrom("runs").selectAll().where("run_id", "=", runId).executeTakeFirst();
  if (!row) throw notFound(`run "${runId}"`);
  return row;
}

/** The run, which must be active: a deleted run takes no writes until restored (as MLflow). */
export async function requireActiveRun(db: Db, runId: string) {
  const row = await requireRun(db, runId);
  if (row.lifecycle_stage === "deleted") {
    throw new StoreError("FAILED_PRECONDITION", `run "${runId}" is deleted: restore it before changing it`);
  }
  return row;
}

async function readRun(db: Db, runId: string): Promise<Run> {
  return (await loadRuns(db, [await requireRun(db, runId)]))[0]!; // one row in, one item out
}

export async function createRun(ctx: StoreContext, input: CreateRunInput): Promise<Run> {
  const experimentId = checkExperimentId(input?.experimentId);
  const id = randomUUID().replaceAll("-", "");
  const name =
    input.name === undefined ? `run-${id.slice(0, 8)}` : checkText(input.name, "run name", MAX_RUN_NAME);
  const start = input.startTimeMs === undefined ? undefined : checkTimestamp(input.startTimeMs, "start time");
  const tags = checkEntries(input.tags, "run tag", MAX_TAG_VALUE);
  return ctx.tx.write(async (trx) => {
    const experiment = await requireExperiment(trx, experimentId);
    if (experiment.lifecycle_stage === "deleted") {
      throw new StoreError(
        "FAILED_PRECONDITION",
        `experiment "${experiment.name}" (${experimentId}) is deleted: restore it before creating runs in it`,
      );
    }
    await trx
      .insertInto("runs")
      .values({
        run_id: id,
        experiment_id: Number(experimentId),
        name,
        status: "RUNNING",
        start_time_ms: start ?? ctx.now(),
        end_time_ms: null,
        artifact_sha256: null,
      })
      .execute();
    if (tags.length > 0) {
      await trx
        .insertInto("run_tags")
        .values(tags.map(([key, value]) => ({ run_id: id, key, value })))
        .execute();
    }
    return readRun(trx, id);
  });
}

export async function getRun(ctx: StoreContext, runId: string): Promise<Run> {
  checkRunId(runId);
  return ctx.tx.read((trx) => readRun(trx, runId));
}

export async function updateRun(ctx: StoreContext, runId: string, patch: UpdateRunInput): Promise<Run> {
  checkRunId(runId);
  const status = patch?.status === undefined ? undefined : checkRunStatus(patch.status);
  const end = patch.endTimeMs === undefined ? undefined : checkTimestamp(patch.endTimeMs, "end time");
  const name = patch.name === undefined ? undefined : checkText(patch.name, "run name", MAX_RUN_NAME);
  const sha = patch.artifactSha256 === undefined ? undefined : checkSha256(patch.artifactSha256);
  return ctx.tx.write(async (trx) => {
    const row = await requireActiveRun(trx, runId);
    let endTime = end;
    if (endTime === undefined && status && TERMINAL.includes(status) && row.end_time_ms === null)
      endTime = ctx.now();
    if (endTime !== undefined && endTime < num(row.start_time_ms)) {
      throw invalid(
        `end time ${endTime} of run "${runId}" is before its start time ${num(row.start_time_ms)}`,
      );
    }
    if (status === undefined && endTime === undefined && name === undefined && sha === undefined) {
      return readRun(trx, runId);
    }
    await trx
      .updateTable("runs")
      .set({
        ...(status !== undefined && { status }),
        ...(endTime !== undefined && { end_time_ms: endTime }),
        ...(name !== undefined && { name }),
        ...(sha !== undefined && { artifact_sha256: sha }),
      })
      .where("run_id", "=", runId)
      .execute();
    return readRun(trx, runId);
  });
}

export async function searchRuns(ctx: StoreContext, query: SearchRunsQuery): Promise<Page<Run>> {
  if (!Array.isArray(query?.experimentIds) || query.experimentIds.length === 0) {
    throw invalid("searchRuns needs at least one experiment id");
  }
  if (query.experimentIds.length > MAX_PAGE)
    throw invalid(`searchRuns takes at most ${MAX_PAGE} experiment ids`);
  const experimentIds = query.experimentIds.map((id) => Number(checkExperimentId(id)));
  const statuses =
    query.status === undefined
      ? []
      : (Array.isArray(query.status) ? query.status : [query.status]).map(checkRunStatus);
  const view = checkLifecycleView(query.view);
  const order = query.order ?? "desc";
  if (order !== "asc" && order !== "desc")
    throw invalid(`invalid order ${JSON.stringify(order)}: asc or desc`);
  const limit = checkLimit(query.limit);
  const after =
    query.pageToken === undefined
      ? undefined
      : decodeToken(query.pageToken, `runs:${order}`, ["number", "string"]);

  return ctx.tx.read(async (trx) => {
    let q = trx.selectFrom("runs").selectAll().where("experiment_id", "in", experimentIds);
    if (statuses.length > 0) q = q.where("status", "in", statuses);
    if (view !== "all") q = q.where("lifecycle_stage", "=", view);
    if (after) {
      const [start, id] = after as [number, string];
      const cmp = order === "desc" ? "<" : ">";
      q = q.where((eb) =>
        eb.or([
          eb("start_time_ms", cmp, start),
          eb.and([eb("start_time_ms", "=", start), eb("run_id", cmp, id)]),
        ]),
      );
    }
    const rows = await q
      .orderBy("start_time_ms", order)
      .orderBy("run_id", order)
      .limit(limit + 1)
      .execute();
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: await loadRuns(trx, page),
      nextPageToken:
        rows.length > limit && last
          ? encodeToken(`runs:${order}`, [num(last.start_time_ms), last.run_id])
          : null,
    };
  });
}
