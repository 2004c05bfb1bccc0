// The registry on PostgreSQL (issue 13): reads and stage transitions at 50 concurrent clients, and
// predict throughput of three replicas sharing PostgreSQL against one replica on SQLite.
//
// The store is driven in this process: 50 concurrent callers of one Store (one pool of the default
// size, as one replica has), each reading versions of, or promoting versions of, its own model.
// Per-operation times are exact (performance.now around each call). The PostgreSQL server runs
// with fsync and synchronous_commit on, as a production one does.
//
// Predict: the same seed request, the same total connections, against one `mlops serve` on SQLite
// and against three on PostgreSQL (one third of the connections each, at once); cells alternate and
// the best of each is kept, so a burst of load from elsewhere on a shared machine hits both sides.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStore, STORE_DEFAULTS, type Store } from "../../src/store/index.js";
import { startPostgres } from "../../test/kit/postgres.js";
import { type Replica, startReplicas, trainVersion } from "../../test/kit/replicas.js";
import { type LatencySummary, SampleBuffer, summarize } from "./latency-stats.js";
import type { LoadResult } from "./load-result.js";
import { runRestLoad } from "./rest-load.js";
import { SEED_BODY } from "./seed-request.js";
import { GOALS, goal, type Verdict } from "./verdicts.js";

export interface RegistryBenchOptions {
  /** Concurrent clients of the store. Default 50. */
  clients?: number;
  /** Operations per client and kind. Default 200 (--quick: 60). */
  opsPerClient?: number;
  /** Seconds per predict cell. Default 5 (--quick: 3). */
  cellS?: number;
  /** Cells per side (alternating). Default 2 (--quick: 1). */
  rounds?: number;
  /** Total predict connections. Default 48. */
  connections?: number;
}

export interface RegistrySection {
  clients: number;
  poolSize: number;
  read: LatencySummary & { ops: number };
  transition: LatencySummary & { ops: number };
  predict: { sqliteOneRps: number; postgresThreeRps: number; ratio: number; failed: number; cells: number };
}

const SHA = "e".repeat(64);

async function timed(samples: SampleBuffer, fn: () => Promise<unknown>): Promise<void> {
  const t0 = performance.now();
  await fn();
  samples.push(performance.now() - t0);
}

/** Each client: `ops` calls of `op(client, i)` one after the other; all clients at once. */
async function drive(clients: number, ops: number, op: (c: number, i: number) => Promise<unknown>) {
  const samples = new SampleBuffer();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; i < ops; i++) await timed(samples, () => op(c, i));
    }),
  );
  return { ...summarize(samples.values()), ops: samples.length };
}

async function seed(store: Store, clients: number): Promise<void> {
  for (let c = 0; c < clients; c++) {
    const name = `bench_${c}`;
    await store.createRegisteredModel({ name });
    for (let v = 0; v < 4; v++)
      await store.createModelVersion({ name, artifactSha256: SHA, tags: { v: String(v) } });
  }
}

const sumLoads = (loads: LoadResult[]) => ({
  rps: loads.reduce((n, l) => n + l.rps, 0),
  failed: loads.reduce((n, l) => n + l.errors + l.non2xx, 0),
});

export async function measureRegistry(options: RegistryBenchOptions = {}): Promise<RegistrySection> {
  const clients = options.clients ?? 50;
  const ops = options.opsPerClient ?? 200;
  const cellS = options.cellS ?? 5;
  const rounds = options.rounds ?? 2;
  const connections = options.connections ?? 48;
  const scratch = mkdtempSync(join(tmpdir(), "mlops-bench-registry-"));
  const pg = await startPostgres({ durable: true });
  const stopAll: Replica[] = [];
  try {
    const url = await pg.createDatabase("bench");
    const store = await createStore({ dataDir: join(scratch, "unused"), url });
    let read: RegistrySection["read"];
    let transition: RegistrySection["transition"];
    try {
      await seed(store, clients);
      // Warm the pool and the server's caches.
      await drive(clients, 5, (c, i) => store.getModelVersion(`bench_${c}`, (i % 4) + 1));
      read = await drive(clients, ops, (c, i) => store.getModelVersion(`bench_${c}`, (i % 4) + 1));
      // Promote versions 1..4 of the client's own model in turn, archiving the one in Production.
      transition = await drive(clients, ops, (c, i) =>
        store.transitionStage(`bench_${c}`, (i % 4) + 1, "Production", {
          actor: "bench",
          archiveExisting: true,
        }),
      );
    } finally {
      await store.close();
    }

    // Predict: one replica on SQLite vs three on PostgreSQL, sharing one artifact folder.
    const sqlite = { databaseUrl: "", dataDir: join(scratch, "sqlite") };
    const shared = { databaseUrl: await pg.createDatabase("replicas"), dataDir: join(scratch, "shared") };
    await trainVersion(sqlite, "Production");
    await trainVersion(shared, "Production");
    const [one] = await startReplicas(sqlite, 1);
    stopAll.push(one!);
    const three = await startReplicas(shared, 3);
    stopAll.push(...three);
    const load = (r: Replica, conns: number) =>
      runRestLoad({
        url: `${r.baseUrl}/predict`,
        body: SEED_BODY,
        connections: conns,
        durationS: cellS,
        warmupS: 1,
      });
    let bestOne = 0;
    let bestThree = 0;
    let failed = 0;
    for (let round = 0; round < rounds; round++) {
      const a = sumLoads([await load(one!, connections)]);
      const b = sumLoads(
        await Promise.all(three.map((r) => load(r, Math.max(1, Math.round(connections / 3))))),
      );
      bestOne = Math.max(bestOne, a.rps);
      bestThree = Math.max(bestThree, b.rps);
      failed += a.failed + b.failed;
    }
    return {
      clients,
      poolSize: STORE_DEFAULTS.poolSize,
      read,
      transition,
      predict: {
        sqliteOneRps: bestOne,
        postgresThreeRps: bestThree,
        ratio: bestThree / bestOne,
        failed,
        cells: rounds,
      },
    };
  } finally {
    await Promise.all(stopAll.map((r) => r.child.stop(5000)));
    await pg.destroy();
    rmSync(scratch, { recursive: true, force: true });
  }
}

const f = (n: number, d = 2) => n.toFixed(d);

export function registryLines(s: RegistrySection): string[] {
  const lat = (l: LatencySummary & { ops: number }) =>
    `p50 ${f(l.p50)} ms, p99 ${f(l.p99)} ms, max ${f(l.max)} ms over ${l.ops} ops`;
  return [
    `registry on PostgreSQL 15 (fsync on), ${s.clients} concurrent clients, pool ${s.poolSize}:`,
    `  read (getModelVersion):          ${lat(s.read)}`,
    `  transition (to Production, archiving the previous): ${lat(s.transition)}`,
    `predict, ${s.predict.cells} cell(s) each, best kept:`,
    `  1 replica on SQLite:     ${f(s.predict.sqliteOneRps, 0)} rps`,
    `  3 replicas on PostgreSQL: ${f(s.predict.postgresThreeRps, 0)} rps (ratio ${f(s.predict.ratio)}), ${s.predict.failed} failed`,
  ];
}

export function registryVerdicts(s: RegistrySection): Verdict[] {
  return [
    goal(
      `registry read p99 < ${GOALS.registryReadP99Ms} ms at ${s.clients} clients`,
      s.read.p99 < GOALS.registryReadP99Ms,
      `p99 ${f(s.read.p99)} ms`,
    ),
    goal(
      `registry transition p99 < ${GOALS.registryTransitionP99Ms} ms at ${s.clients} clients`,
      s.transition.p99 < GOALS.registryTransitionP99Ms,
      `p99 ${f(s.transition.p99)} ms`,
    ),
    goal(
      `predict: 3 replicas on PostgreSQL ≥ ${GOALS.replicasVsSqlite} × 1 replica on SQLite`,
      s.predict.ratio >= GOALS.replicasVsSqlite && s.predict.failed === 0,
      `ratio ${f(s.predict.ratio)} (${f(s.predict.postgresThreeRps, 0)} vs ${f(s.predict.sqliteOneRps, 0)} rps), ${s.predict.failed} failed`,
    ),
  ];
}
