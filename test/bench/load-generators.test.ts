// The load generators against the real baseline servers on loopback, with very short runs: they
// must count successes, and must count gRPC errors that hide behind HTTP 200.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBareGrpc, startBareHttp } from "../../bench/lib/baselines.js";
import type { Child } from "../../bench/lib/children.js";
import { runGrpcJsLoad } from "../../bench/lib/grpc-js-load.js";
import { checkGrpcPredict, grpcFrame, PREDICT_PATH, predictRequestBytes } from "../../bench/lib/grpc-wire.js";
import { parseH2loadLog, parseH2loadOutput, runH2load } from "../../bench/lib/h2load.js";
import { freePort } from "../../bench/lib/net.js";
import { runRestLoad } from "../../bench/lib/rest-load.js";
import { SEED_BODY, SEED_FEATURES } from "../../bench/lib/seed-request.js";
import { requireTool } from "../monitoring/tools.js";

// Captured from h2load 1.52 against bench/servers/bare-grpc.ts, calling an unimplemented method:
// every request "succeeds" with HTTP 200 and no DATA (the gRPC error is in the trailers).
const H2LOAD_OUTPUT = `finished in 152.61ms, 1310.50 req/s, 19.85KB/s
requests: 200 total, 200 started, 200 done, 200 succeeded, 0 failed, 0 errored, 0 timeout
status codes: 200 2xx, 0 3xx, 0 4xx, 0 5xx
traffic: 3.03KB (3102) total, 1.24KB (1266) headers (space savings 96.25%), 0B (0) data
                     min         max         mean         sd        +/- sd
time for request:      467us     14.89ms      2.97ms      3.13ms    83.00%
time for connect:      155us       321us       238us       117us   100.00%
`;

describe("h2load output", () => {
  it("parses totals, statuses, DATA bytes and the mean request time", () => {
    const parsed = parseH2loadOutput(H2LOAD_OUTPUT);
    expect(parsed.finishedS).toBeCloseTo(0.15261, 12);
    expect(parsed).toEqual({
      finishedS: parsed.finishedS,
      reqPerS: 1310.5,
      total: 200,
      succeeded: 200,
      failed: 0,
      errored: 0,
      timeout: 0,
      status2xx: 200,
      status3xx: 0,
      status4xx: 0,
      status5xx: 0,
      dataBytes: 0,
      meanMs: 2.97,
    });
  });

  it("rejects output without its summary lines", () => {
    expect(() => parseH2loadOutput("progress: 10% done\n")).toThrow(/finished in/);
  });

  it("reads per-request times from the log file, counting failed streams apart", () => {
    const log = parseH2loadLog(
      "1700000000000000\t200\t1500\n1700000000000100\t-1\t20\n1700000000000200\t200\t250\n",
    );
    expect(Array.from(log.okMs)).toEqual([1.5, 0.25]);
    expect(log.failed).toBe(1);
  });
});

describe("load generators against the bare baselines", () => {
  let http: Child;
  let grpc: Child;
  let httpPort: number;
  let grpcPort: number;

  beforeAll(async () => {
    [httpPort, grpcPort] = [await freePort(), await freePort()];
    [http, grpc] = await Promise.all([startBareHttp({ port: httpPort }), startBareGrpc({ port: grpcPort })]);
  });

  afterAll(async () => {
    await Promise.all([http?.stop(), grpc?.stop()]);
  });

  it("autocannon: every reply counted, exact per-request percentiles", async () => {
    const r = await runRestLoad({
      url: `http://127.0.0.1:${httpPort}/predict`,
      body: SEED_BODY,
      connections: 4,
      durationS: 1,
    });
    expect(r.ok).toBeGreaterThan(50);
    expect(r.errors + r.non2xx).toBe(0);
    expect(r.latencySource).toBe("per-request");
    expect(r.latencyMs.p50).toBeLessThanOrEqual(r.latencyMs.p95);
    expect(r.latencyMs.p95).toBeLessThanOrEqual(r.latencyMs.p99);
    expect(r.latencyMs.p99).toBeLessThanOrEqual(r.latencyMs.max);
  });

  it("autocannon: a wrong route is counted as non-2xx, not as success", async () => {
    const r = await runRestLoad({
      url: `http://127.0.0.1:${httpPort}/nope`,
      body: SEED_BODY,
      connections: 1,
      durationS: 1,
    });
    expect(r.ok).toBe(0);
    expect(r.non2xx).toBeGreaterThan(0);
  });

  it("grpc-js check: well-formed PredictResponses and the framed reply size", async () => {
    const c = await checkGrpcPredict(grpcPort, SEED_FEATURES, 3);
    expect(c).toMatchObject({ ok: 3, failed: 0 });
    expect(c.replyFrameBytes).toBeGreaterThan(5);
  });

  it("grpc-js client load: calls complete without errors", async () => {
    const r = await runGrpcJsLoad({
      port: grpcPort,
      path: PREDICT_PATH,
      request: predictRequestBytes(SEED_FEATURES),
      connections: 2,
      inflight: 2,
      durationS: 0.5,
    });
    expect(r.ok).toBeGreaterThan(10);
    expect(r.errors).toBe(0);
  });

  it("h2load: successes are counted, gRPC errors behind HTTP 200 are not", async () => {
    // A missing h2load fails here with the package to install (scripts/install-test-deps.sh does).
    requireTool("h2load", "nghttp2-client");
    const { replyFrameBytes } = await checkGrpcPredict(grpcPort, SEED_FEATURES, 1);
    const body = grpcFrame(predictRequestBytes(SEED_FEATURES));
    const good = await runH2load({
      url: `http://127.0.0.1:${grpcPort}${PREDICT_PATH}`,
      body,
      connections: 2,
      streams: 2,
      durationS: 1,
      replyFrameBytes,
    });
    expect(good.ok).toBeGreaterThan(50);
    expect(good.errors + good.non2xx).toBe(0);
    expect(good.latencyMs.p99).toBeGreaterThan(0);
    // The bare server does not implement GetModelInfo: HTTP 200, grpc-status UNIMPLEMENTED, no message.
    const bad = await runH2load({
      url: `http://127.0.0.1:${grpcPort}/mlops.v1.PredictService/GetModelInfo`,
      body,
      connections: 1,
      durationS: 1,
      replyFrameBytes,
    });
    expect(bad.ok).toBe(0);
    expect(bad.errors).toBeGreaterThan(50);
  });
});
