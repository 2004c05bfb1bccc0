// SIGTERM under real load, from outside: `mlops serve` as a child process, autocannon on REST and a
// grpc-js PredictBatch loop on gRPC both running, SIGTERM, and every request sent before the
// listeners closed must have been answered 200 / OK. On one worker and on `--workers 2`.
import type { EventEmitter } from "node:events";
import { cpSync } from "node:fs";
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import autocannon from "autocannon";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../bench/lib/net.js";
import { PredictBatchRequestSchema, PredictService } from "../../src/gen/mlops/v1/predict_pb.js";
import { assertBuilt, BIN, mlops } from "../cli/helpers.js";
import { row, tempDataDir } from "../helpers/app.js";
import { grpcClient } from "../helpers/clients.js";
import { healthCheck } from "../helpers/grpc-raw.js";
import { type ServerProcess, spawnServer } from "../helpers/server-process.js";

const GRACE_S = 4;
const TIMEOUT_S = 20;
const BATCH_ROWS = 2000;

interface Outcome {
  sentAt: number;
  /** HTTP status, or the gRPC status code; -1: no answer (the connection was closed under it). */
  status: number;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

let template: { dir: string; cleanup: () => void };
beforeAll(async () => {
  assertBuilt();
  template = tempDataDir();
  const trained = await mlops(["train", "--model", "logreg", "--promote", "Production"], {
    dataDir: template.dir,
  });
  expect(trained.code, trained.stderr).toBe(0);
});
afterAll(() => template?.cleanup());

async function serve(workers: number): Promise<ServerProcess & { grpcPort: number }> {
  const dir = tempDataDir();
  cleanups.push(dir.cleanup);
  cpSync(template.dir, dir.dir, { recursive: true });
  const [httpPort, grpcPort] = [await freePort(), await freePort()];
  const server = spawnServer(
    [
      BIN,
      "serve",
      "--workers",
      String(workers),
      "--no-bootstrap",
      "--host",
      "127.0.0.1",
      "--http-port",
      String(httpPort),
      "--grpc-port",
      String(grpcPort),
    ],
    {
      MLOPS_DATA_DIR: dir.dir,
      MLOPS_LOG_LEVEL: "info",
      MLOPS_DRAIN_GRACE_S: String(GRACE_S),
      MLOPS_SHUTDOWN_TIMEOUT_S: String(TIMEOUT_S),
    },
    httpPort,
  );
  cleanups.push(server.kill);
  await server.logged(workers > 1 ? /"msg":"all workers listening"/ : /"msg":"listening/);
  return { ...server, grpcPort };
}

/**
 * autocannon on keep-alive connections: single rows on /predict and 2,000-row batches on
 * /v1/predict:batch. Each connection has one request in flight (pipelining 1), so a request that
 * is followed by another one on the same client before its response came was dropped.
 */
function restLoad(port: number) {
  const outcomes: Outcome[] = [];
  const instances: autocannon.Instance[] = [];
  const pending: (number | undefined)[] = [];
  const track = (c: autocannon.Client) => {
    // Events the typings leave out: `request` (written), `connError` (no connection).
    const client = c as unknown as EventEmitter & { destroy(): void };
    const slot = pending.push(undefined) - 1;
    client.on("request", () => {
      const previous = pending[slot];
      if (previous !== undefined) outcomes.push({ sentAt: previous, status: -1 });
      pending[slot] = Date.now();
    });
    client.on("response", (status: number) => {
      outcomes.push({ sentAt: pending[slot] ?? 0, status });
      pending[slot] = undefined;
    });
    // The listener is gone: stop this client rather than reconnect in a loop.
    client.on("connError", () => client.destroy());
  };
  const batch = { rows: Array.from({ length: BATCH_ROWS }, (_, i) => ({ features: row(i) })) };
  for (const [path, body, connections] of [
    ["/predict", { features: row(1) }, 12],
    ["/v1/predict:batch", batch, 4],
  ] as const) {
    instances.push(
      autocannon(
        {
          url: `http://127.0.0.1:${port}${path}`,
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
          connections,
          duration: 120,
          timeout: TIMEOUT_S + 10,
          setupClient: track,
        },
        () => undefined,
      ),
    );
  }
  return {
    outcomes,
    stop() {
      for (const i of instances) i.stop();
      for (const sentAt of pending) if (sentAt !== undefined) outcomes.push({ sentAt, status: -1 });
      pending.fill(undefined);
    },
  };
}

/** grpc-js clients, each on its own connection, each calling PredictBatch (2,000 rows) in a loop. */
function grpcLoad(port: number, clients = 6) {
  const outcomes: Outcome[] = [];
  let running = true;
  const request = create(PredictBatchRequestSchema, {
    features: Array.from({ length: BATCH_ROWS }, (_, i) => row(i)).flat(),
    nFeatures: 20,
  });
  const loops = Array.from({ length: clients }, async () => {
    const client = grpcClient(PredictService, port, {}, { "grpc.use_local_subchannel_pool": 1 });
    try {
      while (running) {
        const sentAt = Date.now();
        try {
          await client.call("predictBatch", request);
          outcomes.push({ sentAt, status: grpc.status.OK });
        } catch (err) {
          outcomes.push({ sentAt, status: (err as grpc.ServiceError).code ?? -1 });
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    } finally {
      client.close();
    }
  });
  return {
    outcomes,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

async function status(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  // A new connection each time: the listener must still accept during the grace period.
  const res = await fetch(url, { headers: { connection: "close" } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe.each([1, 2])("SIGTERM under load, --workers %i", (workers) => {
  it("turns NOT_SERVING, keeps accepting for the grace, answers every request sent before the listeners closed, exits 0", async () => {
    const server = await serve(workers);
    const base = `http://127.0.0.1:${server.httpPort}`;
    expect((await status(`${base}/health`)).status).toBe(200);
    const rest = restLoad(server.httpPort);
    const rpc = grpcLoad(server.grpcPort);
    cleanups.push(() => rest.stop());
    await new Promise((r) => setTimeout(r, 1500));

    const sigtermAt = Date.now();
    server.child.kill("SIGTERM");
    await server.logged(/"msg":"draining: health NOT_SERVING/, workers);
    console.log(`grace checks start ${Date.now() - sigtermAt} ms after SIGTERM`);

    // The grace period: unhealthy on both protocols, yet new connections are accepted and served.
    const health = await status(`${base}/health`);
    expect(health.status).toBe(503);
    expect(health.body.status).toBe("draining");
    expect(await healthCheck(server.grpcPort, "")).toBe("NOT_SERVING");
    expect(await healthCheck(server.grpcPort, PredictService.typeName)).toBe("NOT_SERVING");
    const lateFetch = await fetch(`${base}/predict`, {
      method: "POST",
      headers: { "content-type": "application/json", connection: "close" },
      body: JSON.stringify({ features: row(2) }),
    });
    expect(lateFetch.status).toBe(200);
    console.log(`grace checks done ${Date.now() - sigtermAt} ms after SIGTERM`);

    const code = await server.exited;
    const exitedAt = Date.now();
    rest.stop();
    await rpc.stop();
    expect(code, server.logs()).toBe(0);
    expect(exitedAt - sigtermAt).toBeLessThan((TIMEOUT_S + 3) * 1000);

    const closedAt = Math.min(
      ...[...server.logs().matchAll(/"listenersClosedAt":(\d+)/g)].map((m) => Number(m[1])),
    );
    expect(server.logs().match(/"listenersClosedAt":/g)?.length).toBe(workers);
    expect(closedAt - sigtermAt).toBeGreaterThanOrEqual(GRACE_S * 1000 - 100);
    expect(server.logs()).not.toMatch(/shutdown timeout reached/);

    const report: Record<string, { inTime: number; duringGrace: number; failed: Outcome[] }> = {};
    for (const [what, outcomes, ok] of [
      ["REST", rest.outcomes, 200],
      ["gRPC", rpc.outcomes, grpc.status.OK],
    ] as const) {
      const inTime = outcomes.filter((o) => o.sentAt < closedAt);
      report[what] = {
        inTime: inTime.length,
        // Sent during the grace period, and answered.
        duringGrace: inTime.filter((o) => o.sentAt >= sigtermAt && o.status === ok).length,
        failed: inTime.filter((o) => o.status !== ok),
      };
      console.log(
        `${what} --workers ${workers}: ${inTime.length} sent before the listeners closed ` +
          `(${report[what].duringGrace} in the grace period), ${report[what].failed.length} not answered; ` +
          `${outcomes.length - inTime.length} sent after`,
      );
    }
    for (const [what, r] of Object.entries(report)) {
      expect(r.failed, `${what}: requests sent before the listeners closed were not answered`).toEqual([]);
      expect(r.duringGrace, what).toBeGreaterThan(0);
    }
  }, 120_000);
});
