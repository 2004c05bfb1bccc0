import { sql } from "kysely";
import type { DialectHooks } from "../kysely/dialect-hooks.js";
import { isPgTransient, isPgUnavailable, isPgUniqueViolation } from "./pg-errors.js";

// Advisory lock keys (64-bit, app-wide in one database): "mlops" spelled in ASCII, then a number.
const MIGRATION_LOCK = 0x6d6c6f7073_01n;
const AUDIT_LOCK = 0x6d6c6f7073_02n;

/** The NOTIFY channel serving changes go out on; the payload is the model's name. */
export const SERVING_CHANNEL = "mlops_serving_changed";

export const postgresHooks: DialectHooks = {
  isTransient: isPgTransient,
  isUniqueViolation: isPgUniqueViolation,
  isUnavailable: isPgUnavailable,
  plainReads: true,
  // Released at commit or rollback: every replica that starts at once queues here, and the ones
  // after the first find the migrations applied.
  lockForMigration: async (trx) => {
    await sql`select pg_advisory_xact_lock(${sql.lit(MIGRATION_LOCK.toString())}::bigint)`.execute(trx);
  },
  lockForAudit: async (trx) => {
    await sql`select pg_advisory_xact_lock(${sql.lit(AUDIT_LOCK.toString())}::bigint)`.execute(trx);
  },
  // Delivered at commit, once per distinct payload, to every session that LISTENs.
  notifyServing: async (trx, name) => {
    await sql`select pg_notify(${SERVING_CHANNEL}, ${name})`.execute(trx);
  },
};
