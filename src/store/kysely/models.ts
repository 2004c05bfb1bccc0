// Registered models: create, read, list, description, tags.
import type { Selectable } from "kysely";
import { notFound, StoreError } from "../errors.js";
import { decodeToken, encodeToken } from "../page-token.js";
import {
  type CreateRegisteredModelInput,
  type ListQuery,
  type Page,
  type RegisteredModel,
  STAGES,
} from "../types.js";
import {
  checkEntries,
  checkKey,
  checkLimit,
  checkModelName,
  checkText,
  MAX_DESCRIPTION,
  MAX_TAG_VALUE,
} from "../validation.js";
import type { StoreContext } from "./context.js";
import { chunks, loadVersions, num } from "./rows.js";
import type { Database, Db } from "./schema.js";

export async function requireModel(db: Db, name: string) {
  const row = await db
    .selectFrom("registered_models")
    .selectAll()
    .where("name", "=", name)
    .executeTakeFirst();
  if (!row) throw notFound(`registered model "${name}"`);
  return row;
}

/**
 * Takes the model's row lock without changing it (NOT_FOUND when missing). On PostgreSQL (READ
 * COMMITTED) this queues concurrent writers of one model, and each statement after it sees what
 * the writers before committed: call it first in a write that reads before it writes. SQLite's
 * write transactions are serial anyway.
 */
export async function lockModel(db: Db, name: string): Promise<void> {
  const res = await db
    .updateTable("registered_models")
    .set((eb) => ({ description: eb.ref("description") }))
    .where("name", "=", name)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) throw notFound(`registered model "${name}"`);
}

/** Marks the model changed. Under PostgreSQL this row lock also serializes writers of one model. */
export async function touchModel(db: Db, name: string, now: number): Promise<void> {
  const res = await db
    .updateTable("registered_models")
    .set({ updated_at_ms: now })
    .where("name", "=", name)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) throw notFound(`registered model "${name}"`);
}

async function loadModels(
  db: Db,
  rows: Selectable<Database["registered_models"]>[],
): Promise<RegisteredModel[]> {
  const names = rows.map((r) => r.name);
  const tags: { name: string; key: string; value: string }[] = [];
  const aliases: { name: string; alias: string; version: number | string | bigint }[] = [];
  const latest: { name: string; version: number | string | bigint | null }[] = [];
  for (const part of chunks(names)) {
    tags.push(
      ...(await db.selectFrom("registered_model_tags").selectAll().where("name", "in", part).execute()),
    );
    aliases.push(
      ...(await db
        .selectFrom("model_aliases")
        .selectAll()
        .where("name", "in", part)
        .orderBy("alias")
        .execute()),
    );
    latest.push(
      ...(await db
        .selectFrom("model_versions")
        .select(["name", (eb) => eb.fn.max("version").as("version")])
        .where("name", "in", part)
        .groupBy(["name", "stage"])
        .execute()),
    );
  }
  const latestRows = [];
  for (const part of chunks(latest, 200)) {
    latestRows.push(
      ...(await db
        .selectFrom("model_versions")
        .selectAll()
        .where((eb) =>
          eb.or(part.map((l) => eb.and([eb("name", "=", l.name), eb("version", "=", num(l.version ?? 0))]))),
        )
        .execute()),
    );
  }
  const versions = await loadVersions(db, latestRows);
  return rows.map((r) => ({
    name: r.name,
    description: r.description,
    tags: Object.fromEntries(tags.filter((t) => t.name === r.name).map((t) => [t.key, t.value])),
    aliases: Object.fromEntries(
      aliases.filter((a) => a.name === r.name).map((a) => [a.alias, num(a.version)]),
    ),
    createdAtMs: num(r.created_at_ms),
    updatedAtMs: num(r.updated_at_ms),
    latestVersions: versions
      .filter((v) => v.name === r.name)
      .sort((a, b) => STAGES.indexOf(a.stage) - STAGES.indexOf(b.stage)),
  }));
}

async function readModel(db: Db, name: string): Promise<RegisteredModel> {
  return (await loadModels(db, [await requireModel(db, name)]))[0]!; // one row in, one item out
}

export async function createRegisteredModel(
  ctx: StoreContext,
  input: CreateRegisteredModelInput,
): Promise<RegisteredModel> {
  const name = checkModelName(input?.name);
  const description = checkText(input.description ?? "", "description", MAX_DESCRIPTION);
  const tags = checkEntries(input.tags, "model tag", MAX_TAG_VALUE);
  return ctx.tx.write(async (trx) => {
    const taken = await trx
      .selectFrom("registered_models")
      .select("name")
      .where("name", "=", name)
      .executeTakeFirst();
    if (taken) throw new StoreError("ALREADY_EXISTS", `registered model "${name}" already exists`);
    const now = ctx.now();
    await trx
      .insertInto("registered_models")
      .values({ name, description, created_at_ms: now, updated_at_ms: now })
      .execute();
    if (tags.length > 0) {
      await trx
        .insertInto("registered_model_tags")
        .values(tags.map(([key, value]) => ({ name, key, value })))
        .execute();
    }
    return readModel(trx, name);
  });
}

export async function getRegisteredModel(ctx: StoreContext, name: string): Promise<RegisteredModel> {
  checkModelName(name);
  return ctx.tx.read((trx) => readModel(trx, name));
}

export async function listRegisteredModels(
  ctx: StoreContext,
  query: ListQuery = {},
): Promise<Page<RegisteredModel>> {
  const limit = checkLimit(query.limit);
  const after =
    query.pageToken === undefined ? undefined : decodeToken(query.pageToken, "models", ["string"]);
  return ctx.tx.read(async (trx) => {
    let q = trx.selectFrom("registered_models").selectAll();
    if (after) q = q.where("name", ">", after[0] as string);
    const rows = await q
      .orderBy("name")
      .limit(limit + 1)
      .execute();
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: await loadModels(trx, page),
      nextPageToken: rows.length > limit && last ? encodeToken("models", [last.name]) : null,
    };
  });
}

export async function updateRegisteredModel(
  ctx: StoreContext,
  name: string,
  patch: { description: string },
): Promise<RegisteredModel> {
  checkModelName(name);
  const description = checkText(patch?.description, "description", MAX_DESCRIPTION);
  return ctx.tx.write(async (trx) => {
    await touchModel(trx, name, ctx.now());
    await trx.updateTable("registered_models").set({ description }).where("name", "=", name).execute();
    return readModel(trx, name);
  });
}

export async function setRegisteredModelTag(
  ctx: StoreContext,
  name: string,
  key: string,
  value: string,
): Promise<void> {
  checkModelName(name);
  checkKey(key, "model tag");
  checkText(value, `model tag "${key}" value`, MAX_TAG_VALUE);
  await ctx.tx.write(async (trx) => {
    await touchModel(trx, name, ctx.now());
    await trx
      .insertInto("registered_model_tags")
      .values({ name, key, value })
      .onConflict((oc) => oc.columns(["name", "key"]).doUpdateSet({ value }))
      .execute();
  });
}

export async function deleteRegisteredModelTag(ctx: StoreContext, name: string, key: string): Promise<void> {
  checkModelName(name);
  checkKey(key, "model tag");
  await ctx.tx.write(async (trx) => {
    await touchModel(trx, name, ctx.now());
    const res = await trx
      .deleteFrom("registered_model_tags")
      .where("name", "=", name)
      .where("key", "=", key)
      .executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) throw notFound(`tag "${key}" of registered model "${name}"`);
  });
}

/**
 * Renames a model. Its versions, tags and aliases are copied under the new name before the old rows
 * go (the foreign keys have no ON UPDATE, and a copy works the same on every dialect); the audit
 * history follows the model.
 */
export async function renameRegisteredModel(
  ctx: StoreContext,
  name: string,
  newName: string,
): Promise<RegisteredModel> {
  checkModelName(name);
  const to = checkModelName(newName);
  return ctx.tx.write(async (trx) => {
    const model = await requireModel(trx, name);
    if (to === name) return readModel(trx, name);
    const taken = await trx
      .selectFrom("registered_models")
      .select("name")
      .where("name", "=", to)
      .executeTakeFirst();
    if (taken) throw new StoreError("ALREADY_EXISTS", `registered model "${to}" already exists`);
    const now = ctx.now();
    await trx
      .insertInto("registered_models")
      .values({
        name: to,
        description: model.description,
        created_at_ms: num(model.created_at_ms),
        updated_at_ms: now,
        highest_version: num(model.highest_version),
      })
      .execute();
    const versions = await trx.selectFrom("model_versions").selectAll().where("name", "=", name).execute();
    for (const part of chunks(versions, 100)) {
      await trx
        .insertInto("model_versions")
        .values(
          part.map((v) => ({
            ...v,
            name: to,
            version: num(v.version),
            created_at_ms: num(v.created_at_ms),
            updated_at_ms: num(v.updated_at_ms),
          })),
        )
        .execute();
    }
    const copy = async (table: "model_version_tags" | "model_aliases" | "registered_model_tags") => {
      const rows = await trx.selectFrom(table).selectAll().where("name", "=", name).execute();
      for (const part of chunks(rows, 100)) {
        await trx
          .insertInto(table)
          .values(part.map((r) => ({ ...r, name: to }) as never))
          .execute();
      }
      await trx.deleteFrom(table).where("name", "=", name).execute();
    };
    await copy("model_version_tags");
    await copy("model_aliases");
    await copy("registered_model_tags");
    await trx.deleteFrom("model_versions").where("name", "=", name).execute();
    await trx.deleteFrom("registered_models").where("name", "=", name).execute();
    await trx.updateTable("audit_events").set({ name: to }).where("name", "=", name).execute();
    return readModel(trx, to);
  });
}
