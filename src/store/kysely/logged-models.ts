// MLflow 3's logged models: params and tags of a model logged apart from runs (its files are in the
// artifact tree), and the models and datasets a run produced and read.
import { randomUUID } from "node:crypto";
import type { Selectable } from "kysely";
import { invalid, notFound, StoreError } from "../errors.js";
import { decodeToken, encodeToken } from "../page-token.js";
import {
  type CreateLoggedModelInput,
  type DatasetInput,
  LOGGED_MODEL_STATUSES,
  type LoggedModel,
  type LoggedModelStatus,
  type ModelOutput,
  type Page,
  type SearchLoggedModelsQuery,
} from "../types.js";
import {
  checkEntries,
  checkExperimentId,
  checkKey,
  checkLimit,
  checkRunId,
  checkStep,
  checkText,
  MAX_PAGE,
  MAX_PARAM_VALUE,
  MAX_TAG_VALUE,
} from "../validation.js";
import type { StoreContext } from "./context.js";
import { requireExperiment } from "./experiments.js";
import { chunks, num } from "./rows.js";
import { requireActiveRun, requireRun } from "./runs.js";
import type { Database, Db } from "./schema.js";

const LOGGED_MODEL_ID = /^m-[0-9a-f]{32}$/;
const MAX_NAME = 500;
const MAX_DATASET_FIELD = 1_000_000;

export function checkLoggedModelId(id: unknown): string {
  if (typeof id !== "string" || !LOGGED_MODEL_ID.test(id)) {
    throw invalid(`invalid logged model id ${JSON.stringify(id)}: must be "m-" and 32 lowercase hex digits`);
  }
  return id;
}

function checkStatus(status: unknown): LoggedModelStatus {
  if (typeof status !== "string" || !(LOGGED_MODEL_STATUSES as readonly string[]).includes(status)) {
    throw invalid(`invalid logged model status ${JSON.stringify(status)}: one of ${LOGGED_MODEL_STATUSES}`);
  }
  return status as LoggedModelStatus;
}

async function requireLoggedModel(db: Db, id: string) {
  const row = await db.selectFrom("logged_models").selectAll().where("model_id", "=", id).executeTakeFirst();
  if (!row) throw notFound(`logged model "${id}"`);
  return row;
}

async function loadLoggedModels(
  db: Db,
  rows: Selectable<Database["logged_models"]>[],
): Promise<LoggedModel[]> {
  const params: { model_id: string; key: string; value: string }[] = [];
  const tags: { model_id: string; key: string; value: string }[] = [];
  for (const ids of chunks(rows.map((r) => r.model_id))) {
    params.push(
      ...(await db.selectFrom("logged_model_params").selectAll().where("model_id", "in", ids).execute()),
    );
    tags.push(
      ...(await db.selectFrom("logged_model_tags").selectAll().where("model_id", "in", ids).execute()),
    );
  }
  const of = (list: typeof params, id: string) =>
    Object.fromEntries(list.filter((p) => p.model_id === id).map((p) => [p.key, p.value]));
  return rows.map((r) => ({
    id: r.model_id,
    experimentId: String(num(r.experiment_id)),
    name: r.name,
    sourceRunId: r.source_run_id,
    status: r.status as LoggedModelStatus,
    statusMessage: r.status_message,
    modelType: r.model_type,
    params: of(params, r.model_id),
    tags: of(tags, r.model_id),
    createdAtMs: num(r.created_at_ms),
    updatedAtMs: num(r.updated_at_ms),
  }));
}

async function readLoggedModel(db: Db, id: string): Promise<LoggedModel> {
  return (await loadLoggedModels(db, [await requireLoggedModel(db, id)]))[0]!; // one row in, one out
}

async function writeParams(trx: Db, id: string, params: [string, string][]): Promise<void> {
  for (const [key, value] of params) {
    const old = await trx
      .selectFrom("logged_model_params")
      .select("value")
      .where("model_id", "=", id)
      .where("key", "=", key)
      .executeTakeFirst();
    if (old === undefined)
      await trx.insertInto("logged_model_params").values({ model_id: id, key, value }).execute();
    else if (old.value !== value) {
      throw invalid(
        `param "${key}" of logged model "${id}" is already ${JSON.stringify(old.value)}; params are immutable (got ${JSON.stringify(value)})`,
      );
    }
  }
}

async function writeTags(trx: Db, id: string, tags: [string, string][]): Promise<void> {
  for (const part of chunks(tags)) {
    await trx
      .insertInto("logged_model_tags")
      .values(part.map(([key, value]) => ({ model_id: id, key, value })))
      .onConflict((oc) =>
        oc.columns(["model_id", "key"]).doUpdateSet((eb) => ({ value: eb.ref("excluded.value") })),
      )
      .execute();
  }
}

export async function createLoggedModel(
  ctx: StoreContext,
  input: CreateLoggedModelInput,
): Promise<LoggedModel> {
  const experimentId = checkExperimentId(input?.experimentId);
  const name = input.name === undefined ? "model" : checkText(input.name, "logged model name", MAX_NAME);
  if (name === "") throw invalid("invalid logged model name: must not be empty");
  const runId = input.sourceRunId == null ? null : checkRunId(input.sourceRunId);
  const modelType = checkText(input.modelType ?? "", "model type", MAX_NAME);
  const params = checkEntries(input.params, "param", MAX_PARAM_VALUE);
  const tags = checkEntries(input.tags, "logged model tag", MAX_TAG_VALUE);
  const id = `m-${randomUUID().replaceAll("-", "")}`;
  return ctx.tx.write(async (trx) => {
    const experiment = await requireExperiment(trx, experimentId);
    if (experiment.lifecycle_stage === "deleted") {
      throw new StoreError(
        "FAILED_PRECONDITION",
        `experiment "${experiment.name}" (${experimentId}) is deleted`,
      );
    }
    if (runId !== null) await requireRun(trx, runId);
    const now = ctx.now();
    await trx
      .insertInto("logged_models")
      .values({
        model_id: id,
        experiment_id: Number(experimentId),
        name,
        source_run_id: runId,
        status: "PENDING",
        status_message: "",
        model_type: modelType,
        created_at_ms: now,
        updated_at_ms: now,
      })
      .execute();
    await writeParams(trx, id, params);
    await writeTags(trx, id, tags);
    return readLoggedModel(trx, id);
  });
}

export async function getLoggedModel(ctx: StoreContext, id: string): Promise<LoggedModel> {
  checkLoggedModelId(id);
  return ctx.tx.read((trx) => readLoggedModel(trx, id));
}

export async function searchLoggedModels(
  ctx: StoreContext,
  query: SearchLoggedModelsQuery,
): Promise<Page<LoggedModel>> {
  if (!Array.isArray(query?.experimentIds) || query.experimentIds.length === 0) {
    throw invalid("searchLoggedModels needs at least one experiment id");
  }
  if (query.experimentIds.length > MAX_PAGE) throw invalid(`at most ${MAX_PAGE} experiment ids`);
  const ids = query.experimentIds.map((id) => Number(checkExperimentId(id)));
  const limit = checkLimit(query.limit);
  const after =
    query.pageToken === undefined
      ? undefined
      : decodeToken(query.pageToken, "logged-models", ["number", "string"]);
  return ctx.tx.read(async (trx) => {
    let q = trx.selectFrom("logged_models").selectAll().where("experiment_id", "in", ids);
    if (after) {
      const [at, id] = after as [number, string];
      q = q.where((eb) =>
        eb.or([
          eb("created_at_ms", "<", at),
          eb.and([eb("created_at_ms", "=", at), eb("model_id", "<", id)]),
        ]),
      );
    }
    const rows = await q
      .orderBy("created_at_ms", "desc")
      .orderBy("model_id", "desc")
      .limit(limit + 1)
      .execute();
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: await loadLoggedModels(trx, page),
      nextPageToken:
        rows.length > limit && last
          ? encodeToken("logged-models", [num(last.created_at_ms), last.model_id])
          : null,
    };
  });
}

async function touch(trx: Db, id: string, now: number): Promise<void> {
  const res = await trx
    .updateTable("logged_models")
    .set({ updated_at_ms: now })
    .where("model_id", "=", id)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) throw notFound(`logged model "${id}"`);
}

export async function finalizeLoggedModel(
  ctx: StoreContext,
  id: string,
  status: LoggedModelStatus,
  message?: string,
): Promise<LoggedModel> {
  checkLoggedModelId(id);
  const s = checkStatus(status);
  if (s === "PENDING") throw invalid("a logged model is finalized as READY or FAILED, not PENDING");
  const statusMessage = checkText(message ?? "", "status message", MAX_TAG_VALUE);
  return ctx.tx.write(async (trx) => {
    await touch(trx, id, ctx.now());
    await trx
      .updateTable("logged_models")
      .set({ status: s, status_message: statusMessage })
      .where("model_id", "=", id)
      .execute();
    return readLoggedModel(trx, id);
  });
}

export async function setLoggedModelTags(
  ctx: StoreContext,
  id: string,
  tags: Record<string, string>,
): Promise<void> {
  checkLoggedModelId(id);
  const entries = checkEntries(tags, "logged model tag", MAX_TAG_VALUE);
  await ctx.tx.write(async (trx) => {
    await touch(trx, id, ctx.now());
    await writeTags(trx, id, entries);
  });
}

export async function deleteLoggedModelTag(ctx: StoreContext, id: string, key: string): Promise<void> {
  checkLoggedModelId(id);
  checkKey(key, "logged model tag");
  await ctx.tx.write(async (trx) => {
    await touch(trx, id, ctx.now());
    const res = await trx
      .deleteFrom("logged_model_tags")
      .where("model_id", "=", id)
      .where("key", "=", key)
      .executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) throw notFound(`tag "${key}" of logged model "${id}"`);
  });
}

export async function logLoggedModelParams(
  ctx: StoreContext,
  id: string,
  params: Record<string, string>,
): Promise<void> {
  checkLoggedModelId(id);
  const entries = checkEntries(params, "param", MAX_PARAM_VALUE);
  await ctx.tx.write(async (trx) => {
    await touch(trx, id, ctx.now());
    await writeParams(trx, id, entries);
  });
}

export async function deleteLoggedModel(ctx: StoreContext, id: string): Promise<void> {
  checkLoggedModelId(id);
  await ctx.tx.write(async (trx) => {
    await requireLoggedModel(trx, id);
    await trx.deleteFrom("logged_model_params").where("model_id", "=", id).execute();
    await trx.deleteFrom("logged_model_tags").where("model_id", "=", id).execute();
    await trx.deleteFrom("logged_models").where("model_id", "=", id).execute();
  });
}

function checkDataset(d: DatasetInput, i: number): DatasetInput {
  const field = (v: unknown, what: string, max: number) => checkText(v ?? "", `datasets[${i}].${what}`, max);
  const name = field(d?.name, "name", MAX_NAME);
  const digest = field(d.digest, "digest", MAX_NAME);
  if (name === "" || digest === "") throw invalid(`invalid datasets[${i}]: name and digest are required`);
  return {
    name,
    digest,
    sourceType: field(d.sourceType, "source_type", MAX_NAME),
    source: field(d.source, "source", MAX_DATASET_FIELD),
    schema: field(d.schema, "schema", MAX_DATASET_FIELD),
    profile: field(d.profile, "profile", MAX_DATASET_FIELD),
    tags: Object.fromEntries(checkEntries(d.tags, "dataset tag", MAX_TAG_VALUE)),
  };
}

export async function logInputs(ctx: StoreContext, runId: string, datasets: DatasetInput[]): Promise<void> {
  checkRunId(runId);
  if (!Array.isArray(datasets) || datasets.length > MAX_PAGE) throw invalid(`datasets: at most ${MAX_PAGE}`);
  const checked = datasets.map(checkDataset);
  await ctx.tx.write(async (trx) => {
    await requireActiveRun(trx, runId);
    for (const d of checked) {
      const row = {
        run_id: runId,
        name: d.name,
        digest: d.digest,
        source_type: d.sourceType,
        source: d.source,
        schema: d.schema,
        profile: d.profile,
        tags_json: JSON.stringify(d.tags),
      };
      await trx
        .insertInto("run_inputs")
        .values(row)
        .onConflict((oc) =>
          oc.columns(["run_id", "name", "digest"]).doUpdateSet({
            source_type: row.source_type,
            source: row.source,
            schema: row.schema,
            profile: row.profile,
            tags_json: row.tags_json,
          }),
        )
        .execute();
    }
  });
}

export async function logOutputs(ctx: StoreContext, runId: string, outputs: ModelOutput[]): Promise<void> {
  checkRunId(runId);
  if (!Array.isArray(outputs) || outputs.length > MAX_PAGE) throw invalid(`models: at most ${MAX_PAGE}`);
  const checked = outputs.map((o) => ({
    modelId: checkLoggedModelId(o?.modelId),
    step: checkStep(o.step ?? 0),
  }));
  await ctx.tx.write(async (trx) => {
    await requireActiveRun(trx, runId);
    for (const o of checked) {
      await requireLoggedModel(trx, o.modelId);
      await trx
        .insertInto("run_outputs")
        .values({ run_id: runId, model_id: o.modelId, step: o.step })
        .onConflict((oc) => oc.columns(["run_id", "model_id", "step"]).doNothing())
        .execute();
    }
  });
}
