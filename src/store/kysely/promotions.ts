// Stage transitions and aliases: the promotion workflow. Every change is
// audited in the same transaction that makes it.
import { invalid, notFound, StoreError } from "../errors.js";
import type { AuditOptions, ModelVersion, Stage, TransitionStageOptions } from "../types.js";
import {
  checkActor,
  checkAlias,
  checkModelName,
  checkText,
  checkVersion,
  MAX_DESCRIPTION,
  parseStage,
} from "../validation.js";
import { type AuditRecord, appendAudit } from "./audit.js";
import type { StoreContext } from "./context.js";
import { lockModel, requireModel, touchModel } from "./models.js";
import { loadVersions, num } from "./rows.js";
import type { Db } from "./schema.js";
import { readVersion, requireVersion } from "./versions.js";

// As MLflow: archiving the others only makes sense for the stages that serve.
const ACTIVE_STAGES: readonly Stage[] = ["Staging", "Production"];

function checkAudit(options: AuditOptions): { actor: string; comment?: string } {
  const actor = checkActor(options?.actor);
  const comment =
    options.comment === undefined ? undefined : checkText(options.comment, "comment", MAX_DESCRIPTION);
  return { actor, comment };
}

/** The version an alias points at, or undefined when the alias is not set. */
async function aliasTarget(trx: Db, name: string, alias: string): Promise<number | undefined> {
  const row = await trx
    .selectFrom("model_aliases")
    .select("version")
    .where("name", "=", name)
    .where("alias", "=", alias)
    .executeTakeFirst();
  return row ? num(row.version) : undefined;
}

async function setStage(trx: Db, name: string, version: number, stage: Stage, now: number): Promise<void> {
  await trx
    .updateTable("model_versions")
    .set({ stage, updated_at_ms: now })
    .where("name", "=", name)
    .where("version", "=", version)
    .execute();
}

export async function transitionStage(
  ctx: StoreContext,
  name: string,
  version: number,
  stageName: string,
  options: TransitionStageOptions,
): Promise<ModelVersion> {
  checkModelName(name);
  checkVersion(version);
  const stage = parseStage(stageName);
  const { actor, comment } = checkAudit(options);
  const archiveExisting = options.archiveExisting ?? false;
  if (archiveExisting && !ACTIVE_STAGES.includes(stage)) {
    throw invalid(`archiveExisting needs a target stage of Staging or Production, not ${stage}`);
  }
  return ctx.tx.write(async (trx) => {
    // The model's row first (touched: a refusal below rolls it back): its lock queues concurrent
    // writers of this model, so everything read below is what they committed.
    const at = ctx.now();
    await touchModel(trx, name, at);
    const row = await requireVersion(trx, name, version);
    if (row.stage === stage) {
      throw new StoreError(
        "FAILED_PRECONDITION",
        `model version ${name}/${version} is already in stage ${stage}`,
      );
    }
    if (stage === "Production" && row.unservable_reason != null) {
      throw new StoreError(
        "FAILED_PRECONDITION",
        `model version ${name}/${version} cannot be served, so it cannot go to Production: ${row.unservable_reason}`,
      );
    }
    await setStage(trx, name, version, stage, at);
    const base = { at, actor, comment, entity: "model_version", name, action: "stage" } as const;
    const events: AuditRecord[] = [{ ...base, version, from: row.stage, to: stage }];
    if (archiveExisting) events.push(...(await archiveOthers(trx, name, version, stage, base)));
    const result = await readVersion(trx, name, version);
    await ctx.servingChanged(trx, name);
    await appendAudit(ctx, trx, events);
    return result;
  });
}

/** Moves every other version in `stage` to Archived; returns the audit events, with the promotion's actor and time. */
async function archiveOthers(
  trx: Db,
  name: string,
  version: number,
  stage: Stage,
  base: Omit<AuditRecord, "version" | "from" | "to">,
): Promise<AuditRecord[]> {
  const others = await trx
    .selectFrom("model_versions")
    .select("version")
    .where("name", "=", name)
    .where("stage", "=", stage)
    .where("version", "!=", version)
    .orderBy("version")
    .execute();
  const events: AuditRecord[] = [];
  for (const o of others) {
    await setStage(trx, name, num(o.version), "Archived", base.at);
    events.push({ ...base, version: num(o.version), from: stage, to: "Archived" });
  }
  return events;
}

export async function setAlias(
  ctx: StoreContext,
  name: string,
  aliasName: string,
  version: number,
  options: AuditOptions,
): Promise<void> {
  checkModelName(name);
  const alias = checkAlias(aliasName);
  checkVersion(version);
  const { actor, comment } = checkAudit(options);
  await ctx.tx.write(async (trx) => {
    await lockModel(trx, name); // first (see transitionStage)
    await requireVersion(trx, name, version);
    const previous = await aliasTarget(trx, name, alias);
    if (previous === version) return; // already there: nothing to record
    const at = ctx.now();
    await touchModel(trx, name, at);
    await trx
      .insertInto("model_aliases")
      .values({ name, alias, version })
      .onConflict((oc) => oc.columns(["name", "alias"]).doUpdateSet({ version }))
      .execute();
    await ctx.servingChanged(trx, name);
    await appendAudit(ctx, trx, [
      {
        at,
        actor,
        comment,
        entity: "alias",
        name,
        version,
        action: "alias_set",
        alias,
        from: previous === undefined ? null : String(previous),
        to: String(version),
      },
    ]);
  });
}

export async function deleteAlias(
  ctx: StoreContext,
  name: string,
  aliasName: string,
  options: AuditOptions,
): Promise<void> {
  checkModelName(name);
  const alias = checkAlias(aliasName);
  const { actor, comment } = checkAudit(options);
  await ctx.tx.write(async (trx) => {
    await lockModel(trx, name); // first (see transitionStage)
    const current = await aliasTarget(trx, name, alias);
    if (current === undefined) throw notFound(`alias "${alias}" of registered model "${name}"`);
    const at = ctx.now();
    await touchModel(trx, name, at);
    await trx.deleteFrom("model_aliases").where("name", "=", name).where("alias", "=", alias).execute();
    await ctx.servingChanged(trx, name);
    await appendAudit(ctx, trx, [
      {
        at,
        actor,
        comment,
        entity: "alias",
        name,
        version: current,
        action: "alias_delete",
        alias,
        from: String(current),
        to: null,
      },
    ]);
  });
}

export async function resolveAlias(
  ctx: StoreContext,
  name: string,
  aliasName: string,
): Promise<ModelVersion> {
  checkModelName(name);
  const alias = checkAlias(aliasName);
  return ctx.tx.read(async (trx) => {
    await requireModel(trx, name);
    const current = await aliasTarget(trx, name, alias);
    if (current === undefined) throw notFound(`alias "${alias}" of registered model "${name}"`);
    return (await loadVersions(trx, [await requireVersion(trx, name, current)]))[0]!; // one row in, one item out
  });
}
