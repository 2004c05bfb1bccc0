// The append-only audit trail of promotions: stage transitions and alias moves.
import type { AuditAction, AuditEntity, AuditEvent, ListAuditEventsQuery } from "../types.js";
import { checkLimit, checkModelName } from "../validation.js";
import type { StoreContext } from "./context.js";
import { num } from "./rows.js";
import type { Db } from "./schema.js";

/** An event as written: the database assigns the id. */
export type AuditRecord = Omit<AuditEvent, "id">;

/** Appends inside the caller's write transaction, so the event commits with the change. */
export async function appendAudit(trx: Db, e: AuditRecord): Promise<void> {
  // max+1 under the write lock keeps ids dense and ordered (a PostgreSQL race is a unique
  // violation, which the transaction runner retries).
  const { max } = await trx
    .selectFrom("audit_events")
    .select((eb) => eb.fn.max("id").as("max"))
    .executeTakeFirstOrThrow();
  await trx
    .insertInto("audit_events")
    .values({
      id: max === null ? 1 : num(max) + 1,
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
    })
    .execute();
}

export async function listAuditEvents(
  ctx: StoreContext,
  query: ListAuditEventsQuery = {},
): Promise<AuditEvent[]> {
  const name = query.name === undefined ? undefined : checkModelName(query.name);
  const limit = checkLimit(query.limit);
  return ctx.tx.read(async (trx) => {
    let q = trx.selectFrom("audit_events").selectAll();
    if (name !== undefined) q = q.where("name", "=", name);
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
      return event;
    });
  });
}
