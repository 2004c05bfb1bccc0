import { notFound, StoreError } from "../errors.js";
import type { CreateExperimentInput, Experiment, ListExperimentsQuery } from "../types.js";
import {
  checkEntries,
  checkExperimentId,
  checkExperimentName,
  checkKey,
  checkLifecycleView,
  checkText,
  MAX_TAG_VALUE,
} from "../validation.js";
import type { StoreContext } from "./context.js";
import { loadExperiments } from "./rows.js";
import type { Db } from "./schema.js";

async function readExperiment(db: Db, id: string): Promise<Experiment> {
  const row = await db
    .selectFrom("experiments")
    .selectAll()
    .where("experiment_id", "=", Number(id))
    .executeTakeFirst();
  if (!row) throw notFound(`experiment "${id}"`);
  return (await loadExperiments(db, [row]))[0]!; // one row in, one item out
}

export async function requireExperiment(
  db: Db,
  id: string,
): Promise<{ name: string; lifecycle_stage: string }> {
  const row = await db
    .selectFrom("experiments")
    .select(["experiment_id", "name", "lifecycle_stage"])
    .where("experiment_id", "=", Number(id))
    .executeTakeFirst();
  if (!row) throw notFound(`experiment "${id}"`);
  return row;
}

export async function createExperiment(ctx: StoreContext, input: CreateExperimentInput): Promise<Experiment> {
  const name = checkExperimentName(input?.name);
  const tags = checkEntries(input.tags, "experiment tag", MAX_TAG_VALUE);
  return ctx.tx.write(async (trx) => {
    const taken = await trx
      .selectFrom("experiments")
      .select("experiment_id")
      .where("name", "=", name)
      .executeTakeFirst();
    if (taken) throw new StoreError("ALREADY_EXISTS", `experiment "${name}" already exists`);
    // max+1 under the write lock, like model versions: ids stay small decimal strings as in MLflow.
    const { max } = await trx
      .selectFrom("experiments")
      .select((eb) => eb.fn.max("experiment_id").as("max"))
      .executeTakeFirstOrThrow();
    const next = max === null ? 0 : Number(max) + 1;
    await trx
      .insertInto("experiments")
      .values({ experiment_id: next, name, lifecycle_stage: "active", created_at_ms: ctx.now() })
      .execute();
    if (tags.length > 0) {
      await trx
        .insertInto("experiment_tags")
        .values(tags.map(([key, value]) => ({ experiment_id: next, key, value })))
        .execute();
    }
    return readExperiment(trx, String(next));
  });
}

export async function getExperiment(ctx: StoreContext, id: string): Promise<Experiment> {
  checkExperimentId(id);
  return ctx.tx.read((trx) => readExperiment(trx, id));
}

export async function getExperimentByName(ctx: StoreContext, name: string): Promise<Experiment> {
  checkExperimentName(name);
  return ctx.tx.read(async (trx) => {
    const row = await trx.selectFrom("experiments").selectAll().where("name", "=", name).executeTakeFirst();
    if (!row) throw notFound(`experiment named "${name}"`);
    return (await loadExperiments(trx, [row]))[0]!; // one row in, one item out
  });
}

export async function listExperiments(
  ctx: StoreContext,
  query: ListExperimentsQuery = {},
): Promise<Experiment[]> {
  const view = checkLifecycleView(query?.view);
  return ctx.tx.read(async (trx) => {
    let q = trx.selectFrom("experiments").selectAll();
    if (view !== "all") q = q.where("lifecycle_stage", "=", view);
    return loadExperiments(trx, await q.orderBy("experiment_id").execute());
  });
}

export async function setExperimentTag(
  ctx: StoreContext,
  id: string,
  key: string,
  value: string,
): Promise<void> {
  checkExperimentId(id);
  checkKey(key, "experiment tag");
  checkText(value, `experiment tag "${key}" value`, MAX_TAG_VALUE);
  await ctx.tx.write(async (trx) => {
    await requireExperiment(trx, id);
    await trx
      .insertInto("experiment_tags")
      .values({ experiment_id: Number(id), key, value })
      .onConflict((oc) => oc.columns(["experiment_id", "key"]).doUpdateSet({ value }))
      .execute();
  });
}

export async function renameExperiment(ctx: StoreContext, id: string, nameIn: string): Promise<Experiment> {
  checkExperimentId(id);
  const name = checkExperimentName(nameIn);
  return ctx.tx.write(async (trx) => {
    const row = await requireExperiment(trx, id);
    if (row.lifecycle_stage === "deleted") {
      throw new StoreError(
        "FAILED_PRECONDITION",
        `experiment "${row.name}" (${id}) is deleted: restore it before renaming it`,
      );
    }
    if (row.name !== name) {
      const taken = await trx
        .selectFrom("experiments")
        .select("experiment_id")
        .where("name", "=", name)
        .executeTakeFirst();
      if (taken) throw new StoreError("ALREADY_EXISTS", `experiment "${name}" already exists`);
      await trx.updateTable("experiments").set({ name }).where("experiment_id", "=", Number(id)).execute();
    }
    return readExperiment(trx, id);
  });
}

export async function deleteExperimentTag(ctx: StoreContext, id: string, key: string): Promise<void> {
  checkExperimentId(id);
  checkKey(key, "experiment tag");
  await ctx.tx.write(async (trx) => {
    await requireExperiment(trx, id);
    const res = await trx
      .deleteFrom("experiment_tags")
      .where("experiment_id", "=", Number(id))
      .where("key", "=", key)
      .executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) throw notFound(`tag "${key}" of experiment "${id}"`);
  });
}
