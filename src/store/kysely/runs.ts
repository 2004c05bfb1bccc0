import { randomUUID } from "node:crypto";
import { type RawBuilder, type Selectable, type SqlBool, sql } from "kysely";
import { invalid, notFound, StoreError } from "../errors.js";
import { decodeToken, encodeToken, PageTokenError } from "../page-token.js";
import {
  NUMBER_ATTRIBUTES,
  parseRunFilter,
  type RunAttribute,
  type RunFilter,
  type RunOrderKey,
  STRING_ATTRIBUTES,
} from "../run-filter.js";
import type {
  CreateRunInput,
  LifecycleView,
  Run,
  RunKeys,
  RunStatus,
  RunsPage,
  SearchRunsQuery,
  UpdateRunInput,
} from "../types.js";
import {
  checkEntries,
  checkExperimentId,
  checkKey,
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
import { chunks, loadRuns, num } from "./rows.js";
import type { Database, Db } from "./schema.js";

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

/** The column of each run attribute. */
const COLUMN: Record<RunAttribute, string> = {
  run_id: "runs.run_id",
  run_name: "runs.name",
  status: "runs.status",
  artifact_sha256: "runs.artifact_sha256",
  start_time_ms: "runs.start_time_ms",
  end_time_ms: "runs.end_time_ms",
};

/** One SQL condition of a filter, on the outer `runs` row. */
function filterSql(ctx: StoreContext, f: RunFilter): RawBuilder<SqlBool> {
  const like = (value: RawBuilder<unknown>, pattern: string) =>
    ctx.hooks.caseSensitiveLike
      ? ctx.hooks.caseSensitiveLike(value, pattern)
      : sql<SqlBool>`${value} like ${pattern}`;
  const compare = (value: RawBuilder<unknown>, op: string, operand: string | number) => {
    if (op === "LIKE") return like(value, String(operand));
    if (op === "ILIKE") return sql<SqlBool>`lower(${value}) like lower(${operand})`;
    // op is one of the parser's fixed comparators, never user text.
    return sql<SqlBool>`${value} ${sql.raw(op === "!=" ? "<>" : op)} ${operand}`;
  };
  switch (f.kind) {
    case "and":
    case "or":
      return sql<SqlBool>`(${sql.join(
        f.items.map((item) => filterSql(ctx, item)),
        sql.raw(f.kind === "and" ? " and " : " or "),
      )})`;
    case "number":
    case "string":
    case "in": {
      const cond = (value: RawBuilder<unknown>): RawBuilder<SqlBool> =>
        f.kind === "in"
          ? sql<SqlBool>`${value} ${sql.raw(f.negated ? "not in" : "in")} (${sql.join(f.values)})`
          : compare(value, f.op, f.value);
      if (f.entity === "attribute") return cond(sql.ref(COLUMN[f.key]));
      if (f.entity === "metric") {
        return sql<SqlBool>`exists (select 1 from run_latest_metrics f where f.run_id = runs.run_id and f.key = ${f.key} and f.is_nan = 0 and ${cond(sql.ref("f.value"))})`;
      }
      const table = sql.table(f.entity === "param" ? "run_params" : "run_tags");
      return sql<SqlBool>`exists (select 1 from ${table} f where f.run_id = runs.run_id and f.key = ${f.key} and ${cond(sql.ref("f.value"))})`;
    }
  }
}

const orderSignature = (keys: readonly RunOrderKey[]): string =>
  keys.map((k) => `${k.field.entity}:${k.field.key}:${k.descending ? "d" : "a"}`).join(",");

function checkOrderBy(orderBy: unknown): RunOrderKey[] | undefined {
  if (orderBy === undefined) return undefined;
  if (!Array.isArray(orderBy) || orderBy.length > 20) throw invalid("invalid orderBy: at most 20 sort keys");
  for (const k of orderBy as RunOrderKey[]) {
    const f = k?.field;
    const ok =
      f?.entity === "attribute"
        ? ([...STRING_ATTRIBUTES, ...NUMBER_ATTRIBUTES] as string[]).includes(f.key)
        : (f?.entity === "metric" || f?.entity === "param" || f?.entity === "tag") &&
          typeof f.key === "string";
    if (!ok || typeof k.descending !== "boolean") throw invalid(`invalid sort key ${JSON.stringify(k)}`);
    if (f.entity !== "attribute") checkKey(f.key, f.entity);
  }
  return orderBy as RunOrderKey[];
}

/**
 * Runs of some experiments, filtered (MLflow's syntax) and ordered on the database, so the first page
 * of 10,000 runs sorted by a metric costs one query and a page of loads. The plain start-time order
 * pages by keyset (an index seek however deep); other orders page by offset.
 */
export async function searchRuns(ctx: StoreContext, query: SearchRunsQuery): Promise<RunsPage> {
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
  if (query.filter !== undefined && typeof query.filter !== "string")
    throw invalid("invalid filter: must be a string");
  const filter = parseRunFilter(query.filter);
  let keys = checkOrderBy(query.orderBy);
  const order = query.order ?? "desc";
  if (order !== "asc" && order !== "desc")
    throw invalid(`invalid order ${JSON.stringify(order)}: asc or desc`);
  if (keys === undefined || keys.length === 0) {
    keys = [{ field: { entity: "attribute", key: "start_time_ms" }, descending: order === "desc" }];
  }
  const limit = checkLimit(query.limit);
  const first = keys[0] as RunOrderKey;
  const keyset =
    keys.length === 1 && first.field.entity === "attribute" && first.field.key === "start_time_ms";
  const dir = first.descending ? "desc" : "asc";
  const kind = keyset ? `runs:${dir}` : `runs-sorted:${orderSignature(keys)}`;
  const after =
    query.pageToken === undefined
      ? undefined
      : decodeToken(query.pageToken, kind, keyset ? ["number", "string"] : ["number"]);

  const where: RawBuilder<SqlBool>[] = [sql<SqlBool>`runs.experiment_id in (${sql.join(experimentIds)})`];
  if (statuses.length > 0) where.push(sql<SqlBool>`runs.status in (${sql.join(statuses)})`);
  if (view !== "all") where.push(sql<SqlBool>`runs.lifecycle_stage = ${view}`);
  if (filter) where.push(filterSql(ctx, filter));
  const matching = sql.join(where, sql` and `);

  const joins: RawBuilder<unknown>[] = [];
  const orderTerms: RawBuilder<unknown>[] = [];
  keys.forEach((k, i) => {
    let value: RawBuilder<unknown>;
    if (k.field.entity === "attribute") value = sql.ref(COLUMN[k.field.key]);
    else {
      const alias = sql.ref(`o${i}`);
      const table = { metric: "run_latest_metrics", param: "run_params", tag: "run_tags" }[k.field.entity];
      const nan = k.field.entity === "metric" ? sql` and ${sql.ref(`o${i}.is_nan`)} = 0` : sql``;
      joins.push(
        sql`left join ${sql.table(table)} ${alias} on ${sql.ref(`o${i}.run_id`)} = runs.run_id and ${sql.ref(`o${i}.key`)} = ${k.field.key}${nan}`,
      );
      value = sql.ref(`o${i}.value`);
    }
    // NULLS LAST is standard SQL (PostgreSQL, SQLite 3.30+): runs without the value come last.
    orderTerms.push(sql`${value} ${sql.raw(k.descending ? "desc" : "asc")} nulls last`);
  });
  orderTerms.push(sql`runs.run_id ${sql.raw(dir)}`);

  return ctx.tx.read(async (trx) => {
    let page: Selectable<Database["runs"]>[];
    let more: boolean;
    let nextToken: string | null = null;
    if (keyset) {
      const cmp = sql.raw(dir === "desc" ? "<" : ">");
      const seek = after
        ? sql` and (runs.start_time_ms ${cmp} ${after[0]} or (runs.start_time_ms = ${after[0]} and runs.run_id ${cmp} ${after[1]}))`
        : sql``;
      const d = sql.raw(dir);
      const { rows } = await sql<
        Selectable<Database["runs"]>
      >`select runs.* from runs where ${matching}${seek} order by runs.start_time_ms ${d}, runs.run_id ${d} limit ${limit + 1}`.execute(
        trx,
      );
      page = rows.slice(0, limit);
      more = rows.length > limit;
      const last = page.at(-1);
      if (more && last) nextToken = encodeToken(kind, [num(last.start_time_ms), last.run_id]);
    } else {
      const offset = after ? (after[0] as number) : 0;
      if (!Number.isSafeInteger(offset) || offset < 0) throw new PageTokenError(kind);
      // Sort run ids only (index-only on both sides), then read the page's rows.
      const { rows: ids } = await sql<{
        run_id: string;
      }>`select runs.run_id from runs ${sql.join(joins, sql` `)} where ${matching} order by ${sql.join(orderTerms)} limit ${limit + 1} offset ${offset}`.execute(
        trx,
      );
      more = ids.length > limit;
      const pageIds = ids.slice(0, limit).map((r) => r.run_id);
      const byId = new Map<string, Selectable<Database["runs"]>>();
      for (const part of chunks(pageIds)) {
        for (const row of await trx.selectFrom("runs").selectAll().where("run_id", "in", part).execute()) {
          byId.set(row.run_id, row);
        }
      }
      page = pageIds.flatMap((id) => byId.get(id) ?? []);
      if (more) nextToken = encodeToken(kind, [offset + limit]);
    }
    const { rows: counted } = await sql<{
      n: number | string | bigint;
    }>`select count(*) as n from runs where ${matching}`.execute(trx);
    return {
      items: await loadRuns(trx, page),
      nextPageToken: nextToken,
      totalSize: num(counted[0]?.n ?? 0),
    };
  });
}

export async function listRunKeys(
  ctx: StoreContext,
  experimentIdsIn: string[],
  viewIn?: LifecycleView,
): Promise<RunKeys> {
  if (!Array.isArray(experimentIdsIn) || experimentIdsIn.length === 0 || experimentIdsIn.length > MAX_PAGE) {
    throw invalid(`listRunKeys needs 1 to ${MAX_PAGE} experiment ids`);
  }
  const ids = experimentIdsIn.map((id) => Number(checkExperimentId(id)));
  const view = checkLifecycleView(viewIn);
  return ctx.tx.read(async (trx) => {
    const keysOf = async (table: "run_params" | "run_tags" | "run_latest_metrics") => {
      let q = trx
        .selectFrom(table)
        .innerJoin("runs", "runs.run_id", `${table}.run_id`)
        .select(`${table}.key as key`)
        .distinct()
        .where("runs.experiment_id", "in", ids);
      if (view !== "all") q = q.where("runs.lifecycle_stage", "=", view);
      return (await q.orderBy("key").execute()).map((r) => r.key);
    };
    return {
      metrics: await keysOf("run_latest_metrics"),
      params: await keysOf("run_params"),
      tags: await keysOf("run_tags"),
    };
  });
}
