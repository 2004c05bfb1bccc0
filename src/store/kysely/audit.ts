// The append-only audit trail: stage transitions and alias moves, deletes of registry entries, and
// the soft deletes, restores and purges of runs and experiments.
import type { Transaction } from "kysely";
import type { AuditAction, AuditEntity, AuditEvent, ListAuditEventsQuery } from "../types.js";
import { checkExperimentId, checkLimit, checkModelName, checkRunId } from "../validation.js";
import type { StoreContext } from "./context.js";
import { chunks, num } from "./rows.js";
import type { Database } from "./schema.js";

/** An event as written: the database assigns the id. */
export type AuditRecord = Omit<AuditEvent, "id">;

/**
 * Appends `events` in order inside the caller's write transaction, so they commit with the change.
 * Call it once per transaction, as its last write: on PostgreSQL the audit lock it takes is held
 * until commit.
 */
export async function appendAudit(
  ctx: StoreContext,
  trx: Transaction<Database>,
  events: readonly AuditRecord[],
): Promise<void> {
  if (events.length === 0) return;
  // max+1 under the write lock (SQLite) or the audit lock (PostgreSQL) keeps ids dense and in
  // commit order.
  await ctx.hooks.lockForAudit?.(trx);
  const { max } = await trx
    .selectFrom("audit_events")
    .select((eb) => eb.fn.max("id").as("max"))
    .executeTakeFirstOrThrow();
  let id = max === null ? 1 : num(max) + 1;
  // 13 parameters a row: chunks stay under SQLite's bound-parameter limit.
  for (const part of chunks(events, 200)) {
    await trx
      .insertInto("audit_events")
      .values(
        part.map((e) => ({
          id: id++,
          at_ms: e.at,
          actor: e.actor,
          entity: e.entity,
          name: e.name,
          version: e.version,
          action: e.action,
          alias: e.alias ?? null,
          from_value: e.from,
          to_value: e.to,
          comment: e.comment ?? null,
          run_id: e.runId ?? null,
          experiment_id: e.experimentId ?? null,
        })),
      )
      .execute();
  }
}

export async function listAuditEvents(
  ctx: StoreContext,
  query: ListAuditEventsQuery = {},
): Promise<AuditEvent[]> {
  const name = query.name === undefined ? undefined : checkModelName(query.name);
  const runId = query.runId === undefined ? undefined : checkRunId(query.runId);
  const experimentId = query.experimentId === undefined ? undefined : checkExperimentId(query.experimentId);
  const limit = checkLimit(query.limit);
  return ctx.tx.read(async (trx) => {
    let q = trx.selectFrom("audit_events").selectAll();
    if (name !== undefined) q = q.where("name", "=", name);
    if (runId !== undefined) q = q.where("run_id", "=", runId);
    if (experimentId !== undefined) q = q.where("experiment_id", "=", experimentId);
    const rows = await q.orderBy("id", "desc").limit(limit).execute();
    return rows.map((r) => {
      const event: AuditEvent = {
        id: num(r.id),
        at: num(r.at_ms),
        actor: r.actor,
        entity: r.entity as AuditEntity,
        name: r.name,
        version: num(r.version),
        action: r.action as AuditAction,
        from: r.from_value,
        to: r.to_value,
      };
      if (r.alias !== null) event.alias = r.alias;
      if (r.comment !== null) event.comment = r.comment;
      if (r.run_id !== null) event.runId = r.run_id;
      if (r.experiment_id !== null) event.experimentId = r.experiment_id;
      return event;
    });
  });
}
