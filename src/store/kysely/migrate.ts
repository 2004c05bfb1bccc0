// Applies pending migrations in one write transaction. Concurrent openers of a
// fresh database serialize on that transaction (plus the dialect's migration
// lock); the loser finds the work done and applies nothing.
import type { Transaction } from "kysely";
import { StoreError } from "../errors.js";
import type { DialectHooks } from "./dialect-hooks.js";
import { MIGRATIONS, type Migration, type MigrationDb } from "./migrations.js";
import type { Database } from "./schema.js";
import type { TransactionRunner } from "./transactions.js";

/** Returns the ids applied by this call (empty when the schema was current). */
export async function migrateToLatest(
  tx: TransactionRunner,
  hooks: DialectHooks,
  now: () => number,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<string[]> {
  return tx.write(async (trx: Transaction<Database>) => {
    await hooks.lockForMigration(trx);
    await trx.schema
      .createTable("schema_migrations")
      .ifNotExists()
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("applied_at_ms", "bigint", (c) => c.notNull())
      .execute();
    const applied = new Set(
      (await trx.selectFrom("schema_migrations").select("id").execute()).map((r) => r.id),
    );
    const known = new Set(migrations.map((m) => m.id));
    const unknown = [...applied].filter((id) => !known.has(id));
    if (unknown.length > 0) {
      // Refuse rather than guess: an older build must not write to a newer schema.
      throw new StoreError(
        "FAILED_PRECONDITION",
        `database schema has migrations this build does not know (${unknown.join(", ")}); upgrade mlops`,
      );
    }
    const done: string[] = [];
    for (const m of migrations) {
      if (applied.has(m.id)) continue;
      await m.up(trx as unknown as MigrationDb);
      await trx.insertInto("schema_migrations").values({ id: m.id, applied_at_ms: now() }).execute();
      done.push(m.id);
    }
    return done;
  });
}
