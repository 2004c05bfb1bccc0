// Model versions: gap-free numbering, reads, search, description, tags.
import { notFound } from "../errors.js";
import { decodeToken, encodeToken } from "../page-token.js";
import type { CreateModelVersionInput, ModelVersion, Page, SearchModelVersionsQuery } from "../types.js";
import {
  checkAlias,
  checkEntries,
  checkKey,
  checkLimit,
  checkModelName,
  checkRunId,
  checkSha256,
  checkText,
  checkVersion,
  MAX_DESCRIPTION,
  MAX_TAG_VALUE,
  parseStage,
} from "../validation.js";
import type { StoreContext } from "./context.js";
import { requireModel, touchModel } from "./models.js";
import { loadVersions, num } from "./rows.js";
import type { Db } from "./schema.js";

const MAX_SOURCE = 4096;

export async function requireVersion(db: Db, name: string, version: number) {
  const row = await db
    .selectFrom("model_versions")
    .selectAll()
    .where("name", "=", name)
    .where("version", "=", version)
    .executeTakeFirst();
  if (row) return row;
  await requireModel(db, name); // a missing model is the more useful message
  throw notFound(`model version ${name}/${version}`);
}

export async function readVersion(db: Db, name: string, version: number): Promise<ModelVersion> {
  return (await loadVersions(db, [await requireVersion(db, name, version)]))[0]!; // one row in, one item out
}

export async function createModelVersion(
  ctx: StoreContext,
  input: CreateModelVersionInput,
): Promise<ModelVersion> {
  const name = checkModelName(input?.name);
  const unservable =
    input.unservableReason === undefined
      ? null
      : checkText(input.unservableReason, "unservable reason", MAX_TAG_VALUE);
  const sha = unservable !== null && input.artifactSha256 === "" ? "" : checkSha256(input.artifactSha256);
  const source =
    input.source === undefined
      ? sha === ""
        ? "none"
        : `sha256:${sha}`
      : checkText(input.source, "source", MAX_SOURCE);
  const modelId = input.modelId === undefined ? null : checkText(input.modelId, "model id", 64);
  const runId = input.runId == null ? null : checkRunId(input.runId);
  const description = checkText(input.description ?? "", "description", MAX_DESCRIPTION);
  const tags = checkEntries(input.tags, "model version tag", MAX_TAG_VALUE);
  return ctx.tx.write(async (trx) => {
    const now = ctx.now();
    // Touch the parent first: NOT_FOUND for a missing model and, on PostgreSQL, a row
    // lock that queues concurrent creators before they read max(version) and the high-water mark.
    await touchModel(trx, name, now);
    const model = await requireModel(trx, name);
    if (runId !== null) {
      const run = await trx
        .selectFrom("runs")
        .select("run_id")
        .where("run_id", "=", runId)
        .executeTakeFirst();
      if (!run) throw notFound(`run "${runId}"`);
    }
    const { max } = await trx
      .selectFrom("model_versions")
      .select((eb) => eb.fn.max("version").as("max"))
      .where("name", "=", name)
      .executeTakeFirstOrThrow();
    // The high-water mark keeps a deleted version's number from being handed out again.
    const next = Math.max(max === null ? 0 : num(max), num(model.highest_version)) + 1;
    await trx
      .updateTable("registered_models")
      .set({ highest_version: next })
      .where("name", "=", name)
      .execute();
    await trx
      .insertInto("model_versions")
      .values({
        name,
        version: next,
        run_id: runId,
        source,
        artifact_sha256: sha,
        stage: "None",
        description,
        status: "READY",
        created_at_ms: now,
        updated_at_ms: now,
        model_id: modelId,
        unservable_reason: unservable,
      })
      .execute();
    if (tags.length > 0) {
      await trx
        .insertInto("model_version_tags")
        .values(tags.map(([key, value]) => ({ name, version: next, key, value })))
        .execute();
    }
    return readVersion(trx, name, next);
  });
}

export async function getModelVersion(
  ctx: StoreContext,
  name: string,
  version: number,
): Promise<ModelVersion> {
  checkModelName(name);
  checkVersion(version);
  return ctx.tx.read((trx) => readVersion(trx, name, version));
}

export async function listModelVersions(ctx: StoreContext, name: string): Promise<ModelVersion[]> {
  checkModelName(name);
  return ctx.tx.read(async (trx) => {
    await requireModel(trx, name);
    return loadVersions(
      trx,
      await trx
        .selectFrom("model_versions")
        .selectAll()
        .where("name", "=", name)
        .orderBy("version")
        .execute(),
    );
  });
}

export async function searchModelVersions(
  ctx: StoreContext,
  query: SearchModelVersionsQuery = {},
): Promise<Page<ModelVersion>> {
  const name = query.name === undefined ? undefined : checkModelName(query.name);
  const stage = query.stage === undefined ? undefined : parseStage(query.stage);
  const alias = query.alias === undefined ? undefined : checkAlias(query.alias);
  const runId = query.runId === undefined ? undefined : checkRunId(query.runId);
  const limit = checkLimit(query.limit);
  const after =
    query.pageToken === undefined
      ? undefined
      : decodeToken(query.pageToken, "versions", ["string", "number"]);
  return ctx.tx.read(async (trx) => {
    let q = trx.selectFrom("model_versions").selectAll("model_versions");
    if (name !== undefined) q = q.where("model_versions.name", "=", name);
    if (stage !== undefined) q = q.where("model_versions.stage", "=", stage);
    if (runId !== undefined) q = q.where("model_versions.run_id", "=", runId);
    if (alias !== undefined) {
      q = q.where(({ exists, selectFrom }) =>
        exists(
          selectFrom("model_aliases")
            .select("model_aliases.alias")
            .whereRef("model_aliases.name", "=", "model_versions.name")
            .whereRef("model_aliases.version", "=", "model_versions.version")
            .where("model_aliases.alias", "=", alias),
        ),
      );
    }
    if (after) {
      const [n, v] = after as [string, number];
      q = q.where((eb) =>
        eb.or([
          eb("model_versions.name", ">", n),
          eb.and([eb("model_versions.name", "=", n), eb("model_versions.version", "<", v)]),
        ]),
      );
    }
    const rows = await q
      .orderBy("model_versions.name")
      .orderBy("model_versions.version", "desc")
      .limit(limit + 1)
      .execute();
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: await loadVersions(trx, page),
      nextPageToken:
        rows.length > limit && last ? encodeToken("versions", [last.name, num(last.version)]) : null,
    };
  });
}

/** Bumps the version's and its model's updated time. */
async function touchVersion(trx: Db, name: string, version: number, now: number): Promise<void> {
  await requireVersion(trx, name, version);
  await touchModel(trx, name, now);
  await trx
    .updateTable("model_versions")
    .set({ updated_at_ms: now })
    .where("name", "=", name)
    .where("version", "=", version)
    .execute();
}

export async function updateModelVersion(
  ctx: StoreContext,
  name: string,
  version: number,
  patch: { description: string },
): Promise<ModelVersion> {
  checkModelName(name);
  checkVersion(version);
  const description = checkText(patch?.description, "description", MAX_DESCRIPTION);
  return ctx.tx.write(async (trx) => {
    await touchVersion(trx, name, version, ctx.now());
    await trx
      .updateTable("model_versions")
      .set({ description })
      .where("name", "=", name)
      .where("version", "=", version)
      .execute();
    return readVersion(trx, name, version);
  });
}

export async function setModelVersionTag(
  ctx: StoreContext,
  name: string,
  version: number,
  key: string,
  value: string,
): Promise<void> {
  checkModelName(name);
  checkVersion(version);
  checkKey(key, "model version tag");
  checkText(value, `model version tag "${key}" value`, MAX_TAG_VALUE);
  await ctx.tx.write(async (trx) => {
    await touchVersion(trx, name, version, ctx.now());
    await trx
      .insertInto("model_version_tags")
      .values({ name, version, key, value })
      .onConflict((oc) => oc.columns(["name", "version", "key"]).doUpdateSet({ value }))
      .execute();
  });
}

export async function deleteModelVersionTag(
  ctx: StoreContext,
  name: string,
  version: number,
  key: string,
): Promise<void> {
  checkModelName(name);
  checkVersion(version);
  checkKey(key, "model version tag");
  await ctx.tx.write(async (trx) => {
    await touchVersion(trx, name, version, ctx.now());
    const res = await trx
      .deleteFrom("model_version_tags")
      .where("name", "=", name)
      .where("version", "=", version)
      .where("key", "=", key)
      .executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) throw notFound(`tag "${key}" of model version ${name}/${version}`);
  });
}
