// Deleting model versions and registered models. Both are refused while a version serves (Staging
// or Production): demote it first. Every removal is audited in the transaction that makes it.
import { StoreError } from "../errors.js";
import type { AuditOptions, Stage } from "../types.js";
import { checkModelName, checkVersion } from "../validation.js";
import { type AuditRecord, appendAudit } from "./audit.js";
import type { StoreContext } from "./context.js";
import { checkAudit } from "./lifecycle.js";
import { lockModel, requireModel, touchModel } from "./models.js";
import { num } from "./rows.js";
import type { Db } from "./schema.js";
import { requireVersion } from "./versions.js";

const SERVING_STAGES: readonly string[] = ["Staging", "Production"] satisfies Stage[];

function refuseServing(name: string, version: number, stage: string): never {
  throw new StoreError(
    "FAILED_PRECONDITION",
    `model version ${name}/${version} is in ${stage}: move it to Archived or None before deleting`,
  );
}

/** Removes one version's rows; returns its audit events (aliases released, then the deletion). */
async function removeVersion(
  trx: Db,
  name: string,
  version: number,
  stage: string,
  base: { at: number; actor: string; comment: string | undefined },
): Promise<AuditRecord[]> {
  const aliases = await trx
    .selectFrom("model_aliases")
    .select("alias")
    .where("name", "=", name)
    .where("version", "=", version)
    .orderBy("alias")
    .execute();
  const events: AuditRecord[] = [];
  for (const { alias } of aliases) {
    events.push({
      ...base,
      entity: "alias",
      name,
      version,
      action: "alias_delete",
      alias,
      from: String(version),
      to: null,
    });
  }
  await trx.deleteFrom("model_aliases").where("name", "=", name).where("version", "=", version).execute();
  await trx
    .deleteFrom("model_version_tags")
    .where("name", "=", name)
    .where("version", "=", version)
    .execute();
  await trx.deleteFrom("model_versions").where("name", "=", name).where("version", "=", version).execute();
  events.push({ ...base, entity: "model_version", name, version, action: "delete", from: stage, to: null });
  return events;
}

/** Raises the model's high-water mark so that no later version reuses a deleted number. */
async function keepHighest(trx: Db, name: string, version: number): Promise<void> {
  const row = await requireModel(trx, name);
  if (num(row.highest_version) < version) {
    await trx
      .updateTable("registered_models")
      .set({ highest_version: version })
      .where("name", "=", name)
      .execute();
  }
}

export async function deleteModelVersion(
  ctx: StoreContext,
  name: string,
  version: number,
  options: AuditOptions,
): Promise<void> {
  checkModelName(name);
  checkVersion(version);
  const { actor, comment } = checkAudit(options);
  await ctx.tx.write(async (trx) => {
    await lockModel(trx, name); // first: what is read below is what concurrent writers committed
    const row = await requireVersion(trx, name, version);
    if (SERVING_STAGES.includes(row.stage)) refuseServing(name, version, row.stage);
    const at = ctx.now();
    await touchModel(trx, name, at);
    await keepHighest(trx, name, version);
    const events = await removeVersion(trx, name, version, row.stage, { at, actor, comment });
    // A kept copy of this version (a Predict selector) must stop scoring.
    await ctx.servingChanged(trx, name);
    await appendAudit(ctx, trx, events);
  });
}

export async function deleteRegisteredModel(
  ctx: StoreContext,
  name: string,
  options: AuditOptions,
): Promise<void> {
  checkModelName(name);
  const { actor, comment } = checkAudit(options);
  await ctx.tx.write(async (trx) => {
    await lockModel(trx, name); // first (see deleteModelVersion)
    const model = await requireModel(trx, name);
    const versions = await trx
      .selectFrom("model_versions")
      .select(["version", "stage"])
      .where("name", "=", name)
      .orderBy("version")
      .execute();
    const serving = versions.find((v) => SERVING_STAGES.includes(v.stage));
    if (serving) refuseServing(name, num(serving.version), serving.stage);
    const at = ctx.now();
    const base = { at, actor, comment };
    const events: AuditRecord[] = [];
    for (const v of versions) events.push(...(await removeVersion(trx, name, num(v.version), v.stage, base)));
    const highest = versions.reduce((max, v) => Math.max(max, num(v.version)), num(model.highest_version));
    await trx.deleteFrom("model_aliases").where("name", "=", name).execute();
    await trx.deleteFrom("registered_model_tags").where("name", "=", name).execute();
    await trx.deleteFrom("registered_models").where("name", "=", name).execute();
    events.push({
      ...base,
      entity: "registered_model",
      name,
      version: highest,
      action: "delete",
      from: null,
      to: null,
    });
    await ctx.servingChanged(trx, name);
    await appendAudit(ctx, trx, events);
  });
}
