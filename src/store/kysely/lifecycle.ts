// Soft delete and restore of runs and experiments (MLflow's lifecycle_stage), and gc's purge of
// what was soft-deleted. Every change is audited in the transaction that makes it.
import type { Transaction } from "kysely";
import { notFound, StoreError } from "../errors.js";
import type { AuditOptions, Experiment, PurgeOptions, PurgeResult, Run } from "../types.js";
import {
  checkActor,
  checkExperimentId,
  checkRunId,
  checkText,
  checkTimestamp,
  MAX_DESCRIPTION,
} from "../validation.js";
import { type AuditRecord, appendAudit } from "./audit.js";
import type { StoreContext } from "./context.js";
import { loadExperiments, loadRuns, num, numOrNull } from "./rows.js";
import type { Database, Db } from "./schema.js";

/** MLflow clients create runs in "0" when they name no experiment: it must stay usable. */
const DEFAULT_EXPERIMENT_ID = "0";

export function checkAudit(options: AuditOptions): { actor: string; comment?: string } {
  const actor = checkActor(options?.actor);
  const comment =
    options.comment === undefined ? undefined : checkText(options.comment, "comment", MAX_DESCRIPTION);
  return { actor, comment };
}

const precondition = (message: string): StoreError => new StoreError("FAILED_PRECONDITION", message);

async function experimentRow(db: Db, id: string) {
  const row = await db
    .selectFrom("experiments")
    .selectAll()
    .where("experiment_id", "=", Number(id))
    .executeTakeFirst();
  if (!row) throw notFound(`experiment "${id}"`);
  return row;
}

async function runRow(db: Db, runId: string) {
  const row = await db.selectFrom("runs").selectAll().where("run_id", "=", runId).executeTakeFirst();
  if (!row) throw notFound(`run "${runId}"`);
  return row;
}

async function readExperiment(db: Db, id: string): Promise<Experiment> {
  const [experiment] = await loadExperiments(db, [await experimentRow(db, id)]);
  if (!experiment) throw notFound(`experiment "${id}"`);
  return experiment;
}

async function readRun(db: Db, runId: string): Promise<Run> {
  const [run] = await loadRuns(db, [await runRow(db, runId)]);
  if (!run) throw notFound(`run "${runId}"`);
  return run;
}

export async function deleteExperiment(
  ctx: StoreContext,
  id: string,
  options: AuditOptions,
): Promise<Experiment> {
  checkExperimentId(id);
  const { actor, comment } = checkAudit(options);
  if (id === DEFAULT_EXPERIMENT_ID) {
    throw precondition(`the Default experiment "0" cannot be deleted: runs that name no experiment go there`);
  }
  return ctx.tx.write(async (trx) => {
    const row = await experimentRow(trx, id);
    if (row.lifecycle_stage === "deleted") throw precondition(`experiment "${id}" is already deleted`);
    const at = ctx.now();
    await trx
      .updateTable("experiments")
      .set({ lifecycle_stage: "deleted", deleted_at_ms: at })
      .where("experiment_id", "=", Number(id))
      .execute();
    // Its active runs go with it, stamped with the same time: restoreExperiment brings back those.
    await trx
      .updateTable("runs")
      .set({ lifecycle_stage: "deleted", deleted_at_ms: at })
      .where("experiment_id", "=", Number(id))
      .where("lifecycle_stage", "=", "active")
      .execute();
    const result = await readExperiment(trx, id);
    await appendAudit(ctx, trx, [
      {
        ...experimentEvent(id, "delete", at, actor, comment),
        from: "active",
        to: "deleted",
      },
    ]);
    return result;
  });
}

export async function restoreExperiment(
  ctx: StoreContext,
  id: string,
  options: AuditOptions,
): Promise<Experiment> {
  checkExperimentId(id);
  const { actor, comment } = checkAudit(options);
  return ctx.tx.write(async (trx) => {
    const row = await experimentRow(trx, id);
    if (row.lifecycle_stage !== "deleted") throw precondition(`experiment "${id}" is not deleted`);
    const deletedAt = numOrNull(row.deleted_at_ms);
    const at = ctx.now();
    await trx
      .updateTable("experiments")
      .set({ lifecycle_stage: "active", deleted_at_ms: null })
      .where("experiment_id", "=", Number(id))
      .execute();
    if (deletedAt !== null) {
      // Runs deleted on their own before the experiment stay deleted.
      await trx
        .updateTable("runs")
        .set({ lifecycle_stage: "active", deleted_at_ms: null })
        .where("experiment_id", "=", Number(id))
        .where("lifecycle_stage", "=", "deleted")
        .where("deleted_at_ms", "=", deletedAt)
        .execute();
    }
    const result = await readExperiment(trx, id);
    await appendAudit(ctx, trx, [
      {
        ...experimentEvent(id, "restore", at, actor, comment),
        from: "deleted",
        to: "active",
      },
    ]);
    return result;
  });
}

function experimentEvent(
  id: string,
  action: "delete" | "restore" | "purge",
  at: number,
  actor: string,
  comment: string | undefined,
) {
  return {
    at,
    actor,
    comment,
    entity: "experiment",
    name: "",
    version: 0,
    action,
    experimentId: id,
  } as const;
}

function runEvent(
  runId: string,
  experimentId: string,
  action: "delete" | "restore" | "purge",
  at: number,
  actor: string,
  comment: string | undefined,
) {
  return {
    at,
    actor,
    comment,
    entity: "run",
    name: "",
    version: 0,
    action,
    runId,
    experimentId,
  } as const;
}

export async function deleteRun(ctx: StoreContext, runId: string, options: AuditOptions): Promise<Run> {
  checkRunId(runId);
  const { actor, comment } = checkAudit(options);
  return ctx.tx.write(async (trx) => {
    const row = await runRow(trx, runId);
    if (row.lifecycle_stage === "deleted") throw precondition(`run "${runId}" is already deleted`);
    const at = ctx.now();
    await trx
      .updateTable("runs")
      .set({ lifecycle_stage: "deleted", deleted_at_ms: at })
      .where("run_id", "=", runId)
      .execute();
    const experimentId = String(num(row.experiment_id));
    const result = await readRun(trx, runId);
    await appendAudit(ctx, trx, [
      {
        ...runEvent(runId, experimentId, "delete", at, actor, comment),
        from: "active",
        to: "deleted",
      },
    ]);
    return result;
  });
}

export async function restoreRun(ctx: StoreContext, runId: string, options: AuditOptions): Promise<Run> {
  checkRunId(runId);
  const { actor, comment } = checkAudit(options);
  return ctx.tx.write(async (trx) => {
    const row = await runRow(trx, runId);
    if (row.lifecycle_stage !== "deleted") throw precondition(`run "${runId}" is not deleted`);
    const experimentId = String(num(row.experiment_id));
    const experiment = await experimentRow(trx, experimentId);
    if (experiment.lifecycle_stage === "deleted") {
      throw precondition(
        `run "${runId}" is in deleted experiment "${experimentId}": restore the experiment first`,
      );
    }
    const at = ctx.now();
    await trx
      .updateTable("runs")
      .set({ lifecycle_stage: "active", deleted_at_ms: null })
      .where("run_id", "=", runId)
      .execute();
    const result = await readRun(trx, runId);
    await appendAudit(ctx, trx, [
      {
        ...runEvent(runId, experimentId, "restore", at, actor, comment),
        from: "deleted",
        to: "active",
      },
    ]);
    return result;
  });
}

/** Removes a run's rows, children first (no reliance on ON DELETE CASCADE, which SQLite may not enforce). */
async function removeRun(trx: Db, runId: string): Promise<void> {
  for (const table of ["run_params", "run_tags", "run_metrics", "run_latest_metrics"] as const) {
    await trx.deleteFrom(table).where("run_id", "=", runId).execute();
  }
  await trx.deleteFrom("runs").where("run_id", "=", runId).execute();
}

export async function purgeDeleted(ctx: StoreContext, options: PurgeOptions): Promise<PurgeResult> {
  const { actor, comment } = checkAudit(options);
  const before =
    options.deletedBeforeMs === undefined
      ? undefined
      : checkTimestamp(options.deletedBeforeMs, "deletedBeforeMs");
  const dryRun = options.dryRun ?? false;
  const purge = async (trx: Db): Promise<PurgeResult> => {
    const cutoff = before ?? ctx.now() + 1;
    const runs = await trx
      .selectFrom("runs")
      .select(["run_id", "experiment_id"])
      .where("lifecycle_stage", "=", "deleted")
      .where("deleted_at_ms", "<", cutoff)
      .orderBy("run_id")
      .execute();
    const named = new Set(
      (
        await trx
          .selectFrom("model_versions")
          .select("run_id")
          .where("run_id", "is not", null)
          .distinct()
          .execute()
      ).map((r) => r.run_id),
    );
    const result: PurgeResult = { runs: [], experiments: [], keptRuns: [] };
    const events: AuditRecord[] = [];
    const at = ctx.now();
    for (const r of runs) {
      if (named.has(r.run_id)) {
        result.keptRuns.push(r.run_id);
        continue;
      }
      result.runs.push(r.run_id);
      if (dryRun) continue;
      await removeRun(trx, r.run_id);
      events.push({
        ...runEvent(r.run_id, String(num(r.experiment_id)), "purge", at, actor, comment),
        from: "deleted",
        to: null,
      });
    }
    // An experiment goes once none of its runs is left (a kept run keeps it too).
    const purged = new Set(result.runs);
    const experiments = await trx
      .selectFrom("experiments")
      .select("experiment_id")
      .where("lifecycle_stage", "=", "deleted")
      .where("deleted_at_ms", "<", cutoff)
      .orderBy("experiment_id")
      .execute();
    for (const e of experiments) {
      const id = num(e.experiment_id);
      const left = await trx.selectFrom("runs").select("run_id").where("experiment_id", "=", id).execute();
      if (left.some((r) => !purged.has(r.run_id))) continue;
      result.experiments.push(String(id));
      if (dryRun) continue;
      await trx.deleteFrom("experiment_tags").where("experiment_id", "=", id).execute();
      await trx.deleteFrom("experiments").where("experiment_id", "=", id).execute();
      events.push({
        ...experimentEvent(String(id), "purge", at, actor, comment),
        from: "deleted",
        to: null,
      });
    }
    // A dry run records nothing; a purge's events go last (see appendAudit).
    if (!dryRun) await appendAudit(ctx, trx as Transaction<Database>, events); // a write, then
    return result;
  };
  return dryRun ? ctx.tx.read(purge) : ctx.tx.write(purge);
}

/** The tag an imported version and its run carry: the digest of the file the origin library wrote. */
export const ORIGIN_TAG = "mlops.origin_sha256";

/** Every artifact digest a version or a run refers to (model artifacts and imported originals). */
export async function referencedArtifacts(
  ctx: StoreContext,
  options: { exceptRuns?: readonly string[] } = {},
): Promise<Set<string>> {
  const except = new Set(options?.exceptRuns ?? []);
  return ctx.tx.read(async (trx) => {
    const versions = await trx.selectFrom("model_versions").select("artifact_sha256").distinct().execute();
    const runs = await trx
      .selectFrom("runs")
      .select(["run_id", "artifact_sha256"])
      .where("artifact_sha256", "is not", null)
      .execute();
    // An imported version keeps the origin library's file too, named by this tag on the version and
    // its run (docs/store.md).
    const versionOrigins = await trx
      .selectFrom("model_version_tags")
      .select("value")
      .where("key", "=", ORIGIN_TAG)
      .distinct()
      .execute();
    const runOrigins = await trx
      .selectFrom("run_tags")
      .select(["run_id", "value"])
      .where("key", "=", ORIGIN_TAG)
      .execute();
    // The artifact tree (MLflow's artifact proxy) names its files' bytes by digest.
    const files = await trx.selectFrom("artifact_files").select("sha256").distinct().execute();
    const out = new Set<string>();
    for (const f of files) out.add(f.sha256);
    for (const v of versions) if (v.artifact_sha256 !== "") out.add(v.artifact_sha256);
    for (const v of versionOrigins) out.add(v.value);
    for (const r of runs) if (r.artifact_sha256 !== null && !except.has(r.run_id)) out.add(r.artifact_sha256);
    for (const r of runOrigins) if (!except.has(r.run_id)) out.add(r.value);
    return out;
  });
}
