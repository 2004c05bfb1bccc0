// `mlops serve --workers 2` and the library's createCluster, as real processes on loopback. Every
// case starts its own cluster on its own data directory (a copy of one trained in beforeAll), so
// cases neither depend on each other's order nor see each other's state.
import { request } from "node:http";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../bench/lib/net.js";
import { CLUSTER_DEFAULTS } from "../../src/cluster/create-cluster.js";
import { assertBuilt, BIN, mlops } from "../cli/helpers.js";
import { row, tempDataDir } from "../helpers/app.js";
import {
  type ServerProcess as Server,
  spawnServer as spawnServerProcess,
} from "../helpers/server-process.js";
import { copyDataDir, databaseEnvFor } from "../kit/database.js";

const LIBRARY_FIXTURE = join(import.meta.dirname, "fixtures", "cluster-library.mjs");

/** One request per new connection, so node:cluster's round-robin spreads them over the workers. */
function predict(
  port: number,
  features: number[],
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path: "/predict",
        method: "POST",
        agent: false,
        headers: { "content-type": "application/json" },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (c) => {
          text += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify({ features }));
  });
}

const predictMany = (port: number, n: number) =>
  Promise.all(Array.from({ length: n }, (_, i) => predict(port, row(i))));

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function spawnServer(args: string[], env: Record<string, string>, httpPort: number): Server {
  const server = spawnServerProcess(args, env, httpPort);
  cleanups.push(server.kill);
  return server;
}

const listening = (slot: number) => new RegExp(`"worker":${slot},[^\\n]*"msg":"listening`);

/** `mlops serve --workers 2` on `dataDir`, resolved once the primary says every worker listens. */
async function serveCluster(dataDir: string, extra: string[] = []): Promise<Server> {
  const [httpPort, grpcPort] = [await freePort(), await freePort()];
  const server = spawnServer(
    [
      BIN,
      "serve",
      "--workers",
      "2",
      "--host",
      "127.0.0.1",
      "--http-port",
      String(httpPort),
      "--grpc-port",
      String(grpcPort),
      ...extra,
    ],
    { MLOPS_DATA_DIR: dataDir, ...(await databaseEnvFor(dataDir)) },
    httpPort,
  );
  await server.logged(/"msg":"all workers listening"/);
  expect((await fetch(`http://127.0.0.1:${httpPort}/health`)).status).toBe(200);
  return server;
}

function dataDir(): string {
  const tmp = tempDataDir();
  cleanups.push(tmp.cleanup);
  return tmp.dir;
}

/** A data directory of its own, holding a copy of the trained template (v1 of ml_classifier in Production). */
async function trainedDataDir(): Promise<string> {
  const dir = dataDir();
  await copyDataDir(template.dir, dir);
  return dir;
}

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

describe("mlops serve --workers 2", () => {
  it("bootstraps an empty data directory once, and both workers serve it", async () => {
    const server = await serveCluster(dataDir());
    const logs = server.logs();
    expect(logs.match(/bootstrap: no registered model/g)?.length).toBe(1);
    expect(logs).toMatch(/"worker":1,.*"model":\{"name":"ml_classifier","version":1\}.*"msg":"listening/);
    expect(logs).toMatch(/"worker":2,.*"model":\{"name":"ml_classifier","version":1\}.*"msg":"listening/);
  });

  it("/metrics aggregates every worker's counters", async () => {
    const server = await serveCluster(await trainedDataDir());
    expect(server.logs()).not.toMatch(/bootstrap: no registered model/);
    const n = 40;
    const results = await predictMany(server.httpPort, n);
    expect(results.every((r) => r.status === 200)).toBe(true);
    const text = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
    // One series per worker slot (worker="1", worker="2"), summed here as Prometheus would.
    const series = (re: RegExp) => [...text.matchAll(re)].map((m) => ({ worker: m[1], value: Number(m[2]) }));
    const requests = series(
      /^api_requests_total\{method="POST",endpoint="\/predict",status="200",transport="rest",worker="(\d+)"\} (\d+)$/gm,
    );
    expect(requests.map((r) => r.worker).sort()).toEqual(["1", "2"]);
    expect(requests.reduce((a, r) => a + r.value, 0)).toBe(n);
    const predictions = series(/^predictions_total\{worker="(\d+)"\} (\d+)$/gm);
    expect(predictions.reduce((a, r) => a + r.value, 0)).toBe(n);
    expect(series(/^mlops_model_loaded\{worker="(\d+)"\} (\d+)$/gm).map((r) => r.value)).toEqual([1, 1]);
    expect(text).toMatch(
      /^mlops_model_info\{name="ml_classifier",version="1",stage="Production",worker="1"\} 1$/m,
    );
  });

  it("a promotion from the CLI reaches every worker", async () => {
    const dir = await trainedDataDir();
    const server = await serveCluster(dir);
    const trained = await mlops(["train", "--model", "logreg", "--promote", "Production"], { dataDir: dir });
    expect(trained.code).toBe(0);
    const deadline = Date.now() + 20_000;
    let versions = new Set<unknown>();
    while (Date.now() < deadline) {
      versions = new Set((await predictMany(server.httpPort, 10)).map((r) => r.body.model_version));
      if (versions.size === 1 && versions.has("2")) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect([...versions]).toEqual(["2"]);
  });

  it("a crashed worker is replaced in its slot; the cluster keeps serving and /metrics answers", async () => {
    const server = await serveCluster(await trainedDataDir());
    const pid = Number(/"pid":(\d+),[^\n]*"worker":1,[^\n]*"msg":"listening/.exec(server.logs())?.[1]);
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, "SIGKILL");
    await server.logged(listening(1), 2, 30_000);
    expect(server.logs()).toMatch(/worker died; starting a new one/);
    const results = await predictMany(server.httpPort, 10);
    expect(results.every((r) => r.status === 200)).toBe(true);
    const metrics = await fetch(`http://127.0.0.1:${server.httpPort}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^mlops_model_loaded\{worker="1"\} 1$/m);
  });

  it("SIGTERM drains every worker and exits 0", async () => {
    const server = await serveCluster(await trainedDataDir());
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    expect(server.logs().match(/"msg":"draining in-flight calls, then exiting"/g)?.length).toBe(2);
  });
});

describe("mlops serve when a port is taken", () => {
  it("exits 1 with a message naming the port, in cluster mode too", async () => {
    const holder = createServer().listen(0, "127.0.0.1");
    cleanups.push(() => holder.close());
    await new Promise((r) => holder.once("listening", r));
    const taken = (holder.address() as { port: number }).port;
    const httpFree = await freePort();
    const server = spawnServer(
      [
        BIN,
        "serve",
        "--workers",
        "2",
        "--no-bootstrap",
        "--host",
        "127.0.0.1",
        "--grpc-port",
        String(taken),
        "--http-port",
        String(httpFree),
      ],
      { MLOPS_DATA_DIR: dataDir(), MLOPS_DATABASE_URL: "" }, // fails before it opens any store
      httpFree,
    );
    expect(await server.exited).toBe(1);
    expect(server.logs()).toContain(`127.0.0.1:${taken} is in use`);
  });
});

describe("createCluster (the package entry, without the CLI)", () => {
  it("documents its defaults", () => {
    expect(CLUSTER_DEFAULTS).toEqual({
      maxStartFailures: 5,
      metricsTimeoutMs: 2000,
      handleSignals: true,
      exitProcess: true,
    });
  });

  async function libraryCluster(env: Record<string, string> = {}): Promise<Server> {
    const [httpPort, grpcPort] = [await freePort(), await freePort()];
    const dir = await trainedDataDir();
    const database = (await databaseEnvFor(dir)).MLOPS_DATABASE_URL ?? "";
    return spawnServer(
      [LIBRARY_FIXTURE],
      {
        DATA_DIR: dir,
        DATABASE_URL: database,
        HTTP_PORT: String(httpPort),
        GRPC_PORT: String(grpcPort),
        ...env,
      },
      httpPort,
    );
  }

  it("serves from two workers, aggregates /metrics, and SIGTERM drains and exits 0", async () => {
    const server = await libraryCluster();
    await server.logged(/"msg":"fixture: ready","app":"none"/);
    // Each worker writes its own log line on its own stdout; the primary's can come first.
    await server.logged(listening(1));
    await server.logged(listening(2));
    const results = await predictMany(server.httpPort, 20);
    expect(results.every((r) => r.status === 200 && r.body.model_version === "1")).toBe(true);
    const text = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
    expect([...text.matchAll(/^mlops_model_loaded\{worker="(\d+)"\} 1$/gm)].map((m) => m[1]).sort()).toEqual([
      "1",
      "2",
    ]);
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  });

  it("with exitProcess off, stop() settles `stopped` with 0 and leaves the process to its owner", async () => {
    const server = await libraryCluster({ STOP_AFTER_READY: "1" });
    expect(await server.exited).toBe(7);
    expect(server.logs()).toMatch(/"msg":"fixture: stopped","code":0/);
    expect(server.logs()).toMatch(/"msg":"stopping workers"/);
  });
});
