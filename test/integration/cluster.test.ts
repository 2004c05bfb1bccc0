import { type ChildProcess, spawn } from "node:child_process";
import { request } from "node:http";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../bench/lib/net.js";
import { assertBuilt, BIN, mlops, ROOT } from "../cli/helpers.js";
import { row, tempDataDir } from "../helpers/app.js";

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

let server: ChildProcess;
let httpPort: number;
let dataDir: string;
let cleanup: () => void;
let logs = "";

beforeAll(async () => {
  assertBuilt();
  const tmp = tempDataDir();
  dataDir = tmp.dir;
  cleanup = tmp.cleanup;
  httpPort = await freePort();
  const grpcPort = await freePort();
  server = spawn(
    process.execPath,
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
    ],
    {
      cwd: ROOT,
      env: { ...process.env, MLOPS_DATA_DIR: dataDir, MLOPS_SHUTDOWN_TIMEOUT_S: "5" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  server.stdout?.setEncoding("utf8").on("data", (d: string) => {
    logs += d;
  });
  server.stderr?.setEncoding("utf8").on("data", (d: string) => {
    logs += d;
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${httpPort}/health`).catch(() => undefined);
    const bothListening =
      /"worker":1,.*"msg":"listening/.test(logs) && /"worker":2,.*"msg":"listening/.test(logs);
    if (res?.status === 200 && bothListening) break;
    if (Date.now() > deadline) throw new Error(`server did not become healthy:\n${logs}`);
    await new Promise((r) => setTimeout(r, 200));
  }
});

afterAll(async () => {
  if (server && server.exitCode === null) server.kill("SIGKILL");
  cleanup?.();
});

describe("mlops serve --workers 2", () => {
  it("bootstraps once, and both workers serve it", () => {
    expect(logs.match(/bootstrap: no versions/g)?.length).toBe(1);
    expect(logs).toMatch(/"worker":1,.*"model":\{"name":"ml_classifier","version":1\}.*"msg":"listening/);
    expect(logs).toMatch(/"worker":2,.*"model":\{"name":"ml_classifier","version":1\}.*"msg":"listening/);
  });

  it("/metrics aggregates every worker's counters", async () => {
    const n = 40;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => predict(httpPort, row(i))));
    expect(results.every((r) => r.status === 200)).toBe(true);
    const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
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
    const trained = await mlops(["train", "--model", "logreg", "--promote", "Production"], { dataDir });
    expect(trained.code).toBe(0);
    const deadline = Date.now() + 20_000;
    let versions = new Set<unknown>();
    while (Date.now() < deadline) {
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => predict(httpPort, row(i))));
      versions = new Set(results.map((r) => r.body.model_version));
      if (versions.size === 1 && versions.has("2")) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect([...versions]).toEqual(["2"]);
  });

  it("a crashed worker is replaced in its slot; the cluster keeps serving and /metrics answers", async () => {
    const pid = Number(/"pid":(\d+),[^\n]*"worker":1,[^\n]*"msg":"listening/.exec(logs)?.[1]);
    expect(pid).toBeGreaterThan(0);
    const listeningBefore = logs.match(/"worker":1,[^\n]*"msg":"listening/g)?.length ?? 0;
    process.kill(pid, "SIGKILL");
    const deadline = Date.now() + 30_000;
    while ((logs.match(/"worker":1,[^\n]*"msg":"listening/g)?.length ?? 0) === listeningBefore) {
      if (Date.now() > deadline) throw new Error(`worker 1 was not replaced:\n${logs}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(logs).toMatch(/worker died; starting a new one/);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => predict(httpPort, row(i))));
    expect(results.every((r) => r.status === 200)).toBe(true);
    const metrics = await fetch(`http://127.0.0.1:${httpPort}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^mlops_model_loaded\{worker="1"\} 1$/m);
  });

  it("SIGTERM drains and exits 0", async () => {
    const exited = new Promise<number | null>((resolve) => server.once("exit", (code) => resolve(code)));
    server.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});

describe("mlops serve when a port is taken", () => {
  it("exits 1 with a message naming the port, in cluster mode too", async () => {
    const holder = createServer().listen(0, "127.0.0.1");
    await new Promise((r) => holder.once("listening", r));
    const taken = (holder.address() as { port: number }).port;
    const tmp = tempDataDir();
    try {
      const httpFree = await freePort();
      const child = spawn(
        process.execPath,
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
        { cwd: ROOT, env: { ...process.env, MLOPS_DATA_DIR: tmp.dir }, stdio: ["ignore", "pipe", "pipe"] },
      );
      let out = "";
      child.stdout?.setEncoding("utf8").on("data", (d: string) => {
        out += d;
      });
      child.stderr?.setEncoding("utf8").on("data", (d: string) => {
        out += d;
      });
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
      clearTimeout(timer);
      expect(code).toBe(1);
      expect(out).toContain(`127.0.0.1:${taken} is in use`);
    } finally {
      holder.close();
      tmp.cleanup();
    }
  });
});
