// Stateless replicas: PostgreSQL, a real S3-compatible server (s3rver) and three `mlops serve`
// processes on different ports sharing that registry and that bucket, under load, through a promotion by the CLI, a promotion race
// between two replicas' APIs, and a database outage.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LoadResult } from "../../bench/lib/load-result.js";
import { runRestLoad } from "../../bench/lib/rest-load.js";
import { SEED_BODY } from "../../bench/lib/seed-request.js";
import { PredictService } from "../../src/gen/mlops/v1/predict_pb.js";
import { RegistryService } from "../../src/gen/mlops/v1/registry_pb.js";
import { TrackingService } from "../../src/gen/mlops/v1/tracking_pb.js";
import { assertBuilt } from "../cli/helpers.js";
import { healthCheck } from "../helpers/grpc-raw.js";
import { type PostgresServer, startPostgres } from "../kit/postgres.js";
import {
  cli,
  type Replica,
  type SharedRegistry,
  servedVersion,
  startReplicas,
  trainVersion,
  waitForVersion,
} from "../kit/replicas.js";
import { startS3Server, type TestS3Server } from "../kit/s3-server.js";

const MODEL = "ml_classifier";
let pg: PostgresServer;
let s3: TestS3Server;
let shared: SharedRegistry;
let replicas: Replica[] = [];
let dir: string;

beforeAll(async () => {
  assertBuilt();
  pg = await startPostgres();
  s3 = await startS3Server();
  dir = mkdtempSync(join(tmpdir(), "mlops-replicas-"));
  // The registry is the database and the artifacts are in the bucket: the data directory holds neither.
  shared = {
    databaseUrl: await pg.createDatabase("replicas"),
    dataDir: join(dir, "data"),
    env: { ...s3.env, MLOPS_ARTIFACT_URL: s3.url("models") },
  };
  expect(await trainVersion(shared, "Production")).toBe(1);
  replicas = await startReplicas(shared, 3);
}, 240_000);

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.child.stop(5000)));
  await pg?.destroy();
  await s3?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const load = (r: Replica, durationS: number): Promise<LoadResult> =>
  runRestLoad({ url: `${r.baseUrl}/predict`, body: SEED_BODY, connections: 4, durationS, timeoutS: 5 });

const failed = (results: LoadResult[]) => results.reduce((n, r) => n + r.errors + r.non2xx, 0);

async function getJson(r: Replica, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${r.baseUrl}${path}`, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("three replicas on one PostgreSQL and one S3 bucket", () => {
  it("serve a CLI promotion on every replica within 1 s, with 0 failed requests under load", async () => {
    const v2 = await trainVersion(shared);
    expect(v2).toBe(2);
    const loads = Promise.all(replicas.map((r) => load(r, 6)));
    await new Promise((r) => setTimeout(r, 2000));
    await cli(shared, ["models", "promote", MODEL, String(v2), "production"]);
    const promotedAt = performance.now();
    const took = await waitForVersion(replicas, v2, promotedAt);
    const results = await loads;
    expect(failed(results)).toBe(0);
    for (const r of results) expect(r.ok).toBeGreaterThan(0);
    for (const ms of took) expect(ms).toBeLessThan(1000);

    // One registry: every replica lists the same versions and runs.
    const seen = await Promise.all(
      replicas.map(async (r) => {
        const versions = await getJson(r, `/v1/models/${MODEL}/versions`);
        const runs = await fetch(`${r.baseUrl}/v1/runs:search`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ experiment_ids: ["0"] }),
        });
        expect(versions.status).toBe(200);
        expect(runs.status).toBe(200);
        return JSON.stringify(versions.body) + (await runs.text());
      }),
    );
    expect(new Set(seen).size).toBe(1);
    expect(seen[0]).toContain('"run_id"');
  });

  it("leave one Production version and two audit events in order when two replicas promote at once", async () => {
    const a = await trainVersion(shared);
    const b = await trainVersion(shared);
    // The API lists events oldest first.
    const before = await getJson(replicas[0]!, `/v1/audit-events?name=${MODEL}&page_size=1000`);
    const lastId = Math.max(0, ...(before.body.events as { id: string }[]).map((e) => Number(e.id)));
    const promote = (r: Replica, version: number) =>
      fetch(`${r.baseUrl}/v1/models/${MODEL}/versions/${version}:transition`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ stage: "STAGE_PRODUCTION", archive_existing_versions: true }),
      });
    const [ra, rb] = await Promise.all([promote(replicas[0]!, a), promote(replicas[1]!, b)]);
    const promotedAt = performance.now();
    expect([ra.status, rb.status]).toEqual([200, 200]);
    const production = await getJson(replicas[2]!, `/v1/model-versions?name=${MODEL}&stage=STAGE_PRODUCTION`);
    const items = production.body.model_versions as { version: string }[];
    expect(items).toHaveLength(1);
    const winner = Number(items[0]!.version);
    expect([a, b]).toContain(winner);
    const events = (
      (await getJson(replicas[2]!, `/v1/audit-events?name=${MODEL}&page_size=1000`)).body.events as {
        id: string;
        version: string;
        to_stage?: string;
      }[]
    ).filter((e) => Number(e.id) > lastId);
    const promotions = events.filter((e) => e.to_stage === "STAGE_PRODUCTION");
    expect(promotions.map((e) => Number(e.version))).toEqual([winner === a ? b : a, winner]);
    expect(events.map((e) => Number(e.id))).toEqual(events.map((_, i) => lastId + 1 + i));
    const took = await waitForVersion(replicas, winner, promotedAt);
    for (const ms of took) expect(ms).toBeLessThan(1000);
  });

  it("keep answering /predict through a PostgreSQL outage, fail registry calls fast, and recover without a restart", async () => {
    const loads = Promise.all(replicas.map((r) => load(r, 8)));
    await new Promise((r) => setTimeout(r, 1500));
    const served = await servedVersion(replicas[0]!);
    await pg.stop();
    try {
      for (const r of replicas) {
        const started = performance.now();
        const registry = await getJson(r, `/v1/models/${MODEL}`);
        expect(registry.status).toBe(503);
        expect(performance.now() - started).toBeLessThan(2500);
        const health = await getJson(r, "/health");
        expect(health.status).toBe(200);
        expect(health.body).toMatchObject({
          status: "degraded",
          registry_reachable: false,
          model_loaded: true,
        });
      }
      await new Promise((r) => setTimeout(r, 2500)); // a poll or two happen while it is down
      for (const r of replicas) {
        expect(await servedVersion(r)).toBe(served);
        // gRPC health says the same as /health: the registry's services are down, scoring is up.
        expect(await healthCheck(r.grpcPort, RegistryService.typeName)).toBe("NOT_SERVING");
        expect(await healthCheck(r.grpcPort, TrackingService.typeName)).toBe("NOT_SERVING");
        expect(await healthCheck(r.grpcPort, PredictService.typeName)).toBe("SERVING");
      }
    } finally {
      await pg.start();
    }
    const results = await loads;
    expect(failed(results)).toBe(0);
    for (const r of results) expect(r.ok).toBeGreaterThan(0);
    // Back by itself: the pools reconnect, and LISTEN too (a promotion reaches every replica again).
    for (const r of replicas) {
      expect((await getJson(r, `/v1/models/${MODEL}`)).status).toBe(200);
      expect((await getJson(r, "/health")).body).toMatchObject({
        status: "healthy",
        registry_reachable: true,
      });
    }
    await new Promise((r) => setTimeout(r, 2500)); // each LISTEN connection's backoff is at most 2 s
    for (const r of replicas) expect(await healthCheck(r.grpcPort, RegistryService.typeName)).toBe("SERVING");
    const next = await trainVersion(shared);
    await cli(shared, ["models", "promote", MODEL, String(next), "production"]);
    const took = await waitForVersion(replicas, next, performance.now());
    for (const ms of took) expect(ms).toBeLessThan(1000);
  });
});
