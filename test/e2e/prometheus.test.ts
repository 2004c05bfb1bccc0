// The monitoring acceptance test: a real server, a real Prometheus scraping it every second with
// the committed alert rules loaded, REST and gRPC traffic (good and bad), then every PromQL
// expression of every dashboard panel and every alert rule evaluated through Prometheus's HTTP
// API. A panel query that parses but returns nothing is the failure this test exists to catch.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { freePort } from "../../bench/lib/net.js";
import { listPanelQueries } from "../../monitoring/dashboard/queries.js";
import { DASHBOARD_JSON_PATH } from "../../monitoring/dashboard/render.js";
import { databaseEnvFor } from "../kit/database.js";
import { requireTool } from "../monitoring/tools.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const read = (path: string) => readFileSync(join(root, path), "utf8");

/** Features per row of the bootstrap model (the built-in synthetic set has 20). */
const N_FEATURES = 20;
/** How long traffic runs: several 1 s scrapes see the counters move. */
const TRAFFIC_MS = 4_000;
/** Window substituted for $__rate_interval: wider than the whole test, so every rate has samples. */
const RATE_INTERVAL = "1m";

interface Proc {
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

function startProcess(command: string, args: string[], env: NodeJS.ProcessEnv): Proc {
  const child = spawn(command, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 200) output.shift();
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output, exited };
}

async function stopProcess(p: Proc | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill("SIGTERM");
  const timer = setTimeout(() => p.child.kill("SIGKILL"), 10_000);
  await p.exited;
  clearTimeout(timer);
}

function tail(p: Proc | undefined): string {
  return p ? p.output.join("").slice(-3000) : "";
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns true; fails with `what` (and the process output) on timeout. */
async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>, proc?: Proc) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc && proc.child.exitCode !== null) {
      throw new Error(`${what}: the process exited with ${proc.child.exitCode}\n${tail(proc)}`);
    }
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${tail(proc)}`);
    await sleep(200);
  }
}

function row(i: number): number[] {
  return Array.from({ length: N_FEATURES }, (_, j) => Math.sin(i * 7.1 + j * 1.3) * 2);
}

interface PromResponse {
  status: string;
  error?: string;
  data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

let server: Proc | undefined;
let prometheus: Proc | undefined;
let scratch = "";
let promUrl = "";
let grpcClient: grpc.Client | undefined;

/** Status codes seen during traffic, by kind of request: asserted by the first test. */
const seen = {
  restGood: new Set<number>(),
  restBad: new Set<number>(),
  grpcGood: new Set<number>(),
  grpcBad: new Set<number>(),
};

async function promQuery(query: string): Promise<PromResponse> {
  const res = await fetch(`${promUrl}/api/v1/query?${new URLSearchParams({ query })}`);
  return (await res.json()) as PromResponse;
}

function grpcPredict(features: number[]): Promise<number> {
  return new Promise((resolve) => {
    const client = grpcClient as grpc.Client & {
      Predict(req: unknown, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null) => void): void;
    };
    client.Predict({ features }, { deadline: Date.now() + 10_000 }, (err) =>
      resolve(err ? err.code : grpc.status.OK),
    );
  });
}

async function restPredict(base: string, features: number[]): Promise<number> {
  const res = await fetch(`${base}/predict`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ features }),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Rounds of 8 good and 1 bad request per transport, until TRAFFIC_MS has passed. */
async function sendTraffic(httpBase: string): Promise<void> {
  const started = Date.now();
  for (let round = 0; round < 500 && Date.now() - started < TRAFFIC_MS; round++) {
    const calls: Promise<void>[] = [];
    for (let i = 0; i < 8; i++) {
      calls.push(restPredict(httpBase, row(round * 8 + i)).then((s) => void seen.restGood.add(s)));
      calls.push(grpcPredict(row(round * 8 + i)).then((c) => void seen.grpcGood.add(c)));
    }
    calls.push(restPredict(httpBase, row(round).slice(1)).then((s) => void seen.restBad.add(s)));
    calls.push(grpcPredict(row(round).slice(1)).then((c) => void seen.grpcBad.add(c)));
    await Promise.all(calls);
    await sleep(50);
  }
}

beforeAll(async () => {
  const prometheusBin = requireTool("prometheus", "prometheus");
  scratch = mkdtempSync(join(tmpdir(), "mlops-e2e-prom-"));
  const [httpPort, grpcPort, promPort] = [await freePort(), await freePort(), await freePort()];

  // The server, as the CLI starts it, on an empty data dir (it trains a bootstrap model).
  const env: NodeJS.ProcessEnv = { ...process.env, MLOPS_LOG_LEVEL: "warn" };
  for (const k of [
    "MLOPS_API_TOKEN",
    "MLOPS_DATA_DIR",
    "MLOPS_HTTP_PORT",
    "MLOPS_GRPC_PORT",
    "MLOPS_WORKERS",
  ]) {
    delete env[k];
  }
  // In a PostgreSQL run, the registry is the data directory's own database.
  Object.assign(env, await databaseEnvFor(join(scratch, "data")));
  server = startProcess(
    process.execPath,
    [
      "bin/mlops.js",
      "serve",
      "--data-dir",
      join(scratch, "data"),
      "--host",
      "127.0.0.1",
      "--http-port",
      String(httpPort),
      "--grpc-port",
      String(grpcPort),
      "--workers",
      "1",
    ],
    env,
  );
  const httpBase = `http://127.0.0.1:${httpPort}`;
  await waitFor("the server's /health", 60_000, async () => (await fetch(`${httpBase}/health`)).ok, server);

  // Prometheus with the committed mlops-api job and rules; only the target and intervals change.
  const committed = parse(read("monitoring/prometheus.yml"));
  const job = committed.scrape_configs.find((j: { job_name: string }) => j.job_name === "mlops-api");
  const config = {
    global: { scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" },
    rule_files: [join(root, "monitoring/alerts.yml")],
    scrape_configs: [{ ...job, static_configs: [{ targets: [`127.0.0.1:${httpPort}`] }] }],
  };
  const configFile = join(scratch, "prometheus.yml");
  writeFileSync(configFile, stringify(config));
  prometheus = startProcess(
    prometheusBin,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(scratch, "tsdb")}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      "--log.level=warn",
    ],
    process.env,
  );
  promUrl = `http://127.0.0.1:${promPort}`;
  await waitFor(
    "Prometheus to be ready",
    30_000,
    async () => (await fetch(`${promUrl}/-/ready`)).ok,
    prometheus,
  );

  const def = protoLoader.loadSync(join(root, "proto/mlops/v1/predict.proto"), {
    includeDirs: [join(root, "proto"), join(root, "node_modules/google-proto-files")],
    keepCase: true,
    defaults: true,
  });
  // biome-ignore lint/suspicious/noExplicitAny: proto-loader's package tree is untyped.
  const pkg = grpc.loadPackageDefinition(def) as any;
  grpcClient = new pkg.mlops.v1.PredictService(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());

  // Prometheus applies a new target set only every 5 s: wait for its first scrape, so that the
  // traffic below spans several scrapes and every rate() has samples to work with.
  await waitFor("Prometheus's first scrape of the server", 30_000, async () => {
    const r = await promQuery('up{job="mlops-api"} == 1');
    return r.data.result.length === 1;
  });

  await sendTraffic(httpBase);
  const trafficEnded = Date.now() / 1000;

  // A scrape taken after the last request, with the error counters of both transports in it.
  await waitFor("a scrape after the traffic", 20_000, async () => {
    const r = await promQuery('timestamp(up{job="mlops-api"})');
    return Number(r.data.result[0]?.value[1]) > trafficEnded + 0.5;
  });
  await waitFor("error counters of both transports in Prometheus", 10_000, async () => {
    const r = await promQuery("sum by (transport) (api_errors_total)");
    const transports = new Set(r.data.result.map((s) => s.metric.transport));
    return transports.has("rest") && transports.has("grpc");
  });
  // Every rule evaluated at least once.
  await waitFor("every alert rule to be evaluated", 10_000, async () => {
    const res = await fetch(`${promUrl}/api/v1/rules`);
    const body = (await res.json()) as { data: { groups: { rules: { health: string }[] }[] } };
    const rules = body.data.groups.flatMap((g) => g.rules);
    return rules.length > 0 && rules.every((r) => r.health !== "unknown");
  });
}, 120_000);

afterAll(async () => {
  grpcClient?.close();
  await Promise.all([stopProcess(prometheus), stopProcess(server)]);
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}, 30_000);

describe("monitoring against a real Prometheus", () => {
  it("answered good requests and rejected bad ones with the seed's 422 / INVALID_ARGUMENT", () => {
    expect([...seen.restGood]).toEqual([200]);
    expect([...seen.restBad]).toEqual([422]);
    expect([...seen.grpcGood]).toEqual([grpc.status.OK]);
    expect([...seen.grpcBad]).toEqual([grpc.status.INVALID_ARGUMENT]);
  });

  it("scrapes the API with the committed mlops-api job", async () => {
    const res = await fetch(`${promUrl}/api/v1/targets`);
    const body = (await res.json()) as {
      data: { activeTargets: { labels: { job: string }; health: string; lastError: string }[] };
    };
    const targets = body.data.activeTargets;
    expect(targets.map((t) => [t.labels.job, t.health, t.lastError])).toEqual([["mlops-api", "up", ""]]);
  });

  it("every PromQL expression of every dashboard panel parses and returns data", async () => {
    const queries = listPanelQueries(JSON.parse(read(DASHBOARD_JSON_PATH)), { rateInterval: RATE_INTERVAL });
    expect(queries.length).toBeGreaterThan(15);
    const failures: string[] = [];
    for (const q of queries) {
      const r = await promQuery(q.expr);
      if (r.status !== "success")
        failures.push(`${q.panelTitle} [${q.refId}] does not evaluate: ${r.error}\n  ${q.expr}`);
      else if (r.data.result.length === 0)
        failures.push(`${q.panelTitle} [${q.refId}] returned no data\n  ${q.expr}`);
    }
    expect(failures, failures.join("\n")).toEqual([]);
  });

  it("every alert rule parses, loads into Prometheus and evaluates without error", async () => {
    const rules: { alert: string; expr: string }[] = parse(read("monitoring/alerts.yml")).groups.flatMap(
      (g: { rules: { alert: string; expr: string }[] }) => g.rules,
    );
    expect(rules).toHaveLength(4);
    for (const rule of rules) {
      const r = await promQuery(rule.expr);
      expect(r.status, `${rule.alert}: ${r.error}`).toBe("success");
    }
    const res = await fetch(`${promUrl}/api/v1/rules`);
    const body = (await res.json()) as {
      data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
    };
    const loaded = body.data.groups.flatMap((g) => g.rules);
    expect(loaded.map((r) => r.name).sort()).toEqual(rules.map((r) => r.alert).sort());
    for (const r of loaded) expect(r.health, `${r.name}: ${r.lastError}`).toBe("ok");
  });

  it("raises no error, model or target alert for a healthy server whose only errors are the client's", async () => {
    const rules: { alert: string; expr: string }[] = parse(read("monitoring/alerts.yml")).groups.flatMap(
      (g: { rules: { alert: string; expr: string }[] }) => g.rules,
    );
    for (const name of ["MlopsApiHighErrorRatio", "MlopsNoModelLoaded", "MlopsApiTargetDown"]) {
      const rule = rules.find((r) => r.alert === name);
      const r = await promQuery(rule?.expr ?? "");
      expect(r.data.result, name).toEqual([]);
    }
    // The same series the rules watch do exist, so the empty results above are not vacuous.
    expect((await promQuery("mlops_model_loaded")).data.result.map((s) => s.value[1])).toEqual(["1"]);
    expect((await promQuery('up{job="mlops-api"}')).data.result.map((s) => s.value[1])).toEqual(["1"]);
    const clientErrors = await promQuery('sum(api_requests_total{status=~"422|INVALID_ARGUMENT"})');
    expect(Number(clientErrors.data.result[0]?.value[1])).toBeGreaterThan(0);
  });
});
