// Connect's unary POSTs on the lean adapter (src/transports/http/connect-unary.ts) against the same
// requests through connect-node (an app started with leanConnect: false): the official client and raw
// requests see the same statuses, codes and headers. Then what only the lean path does.
import { request } from "node:http";
import { gunzipSync, gzipSync } from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app/create-app.js";
import { PredictRequestSchema, PredictService } from "../../src/gen/mlops/v1/predict_pb.js";
import { TrackingService } from "../../src/gen/mlops/v1/tracking_pb.js";
import { MODEL, row, seedModel, startTestApp, tempDataDir } from "../helpers/app.js";
import { getJson } from "../helpers/clients.js";

const MAX_BODY = 64 * 1024;
const PREDICT = "/mlops.v1.PredictService/Predict";
const BATCH = "/mlops.v1.PredictService/PredictBatch";
const TRANSITION = "/mlops.v1.RegistryService/TransitionModelVersionStage";

let lean: App;
let node: App;
const cleanups: Array<() => void> = [];

async function start(leanConnect: boolean): Promise<App> {
  const tmp = tempDataDir();
  cleanups.push(tmp.cleanup);
  await seedModel(tmp.dir, { stage: "Production" });
  await seedModel(tmp.dir, { seed: 8 });
  return startTestApp(tmp.dir, { maxBodyBytes: MAX_BODY }, 0, { leanConnect });
}

beforeAll(async () => {
  lean = await start(true);
  node = await start(false);
});
afterAll(async () => {
  await lean?.close();
  await node?.close();
  for (const c of cleanups) c();
});

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json?: Record<string, unknown>;
}

/** One HTTP/1.1 request as written; `chunked` sends the body without a content-length. */
function raw(
  port: number,
  path: string,
  body: string | Uint8Array,
  headers: Record<string, string> = {},
  { method = "POST", chunked = false } = {},
): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const length = chunked ? {} : { "content-length": String(Buffer.byteLength(body)) };
    const req = request({ host: "127.0.0.1", port, method, path, headers: { ...headers, ...length } });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const bytes = Buffer.concat(chunks);
        const out: Raw = { status: res.statusCode ?? 0, headers: res.headers, body: bytes };
        const type = String(res.headers["content-type"] ?? "");
        if (type.startsWith("application/json") && !res.headers["content-encoding"] && bytes.length > 0) {
          out.json = JSON.parse(bytes.toString("utf8"));
        }
        resolve(out);
      });
    });
    req.on("error", reject);
    if (chunked) {
      const b = Buffer.from(body);
      // Two writes, so the body really goes out in chunks.
      req.write(b.subarray(0, b.length >> 1));
      req.end(b.subarray(b.length >> 1));
    } else req.end(body);
  });
}

/** What must agree between the two paths: status, the headers a client reads, the error code and field. */
function visible(r: Raw) {
  return {
    status: r.status,
    type: r.headers["content-type"],
    encoding: r.headers["content-encoding"],
    field: r.headers["x-mlops-field"],
    retryAfter: r.headers["retry-after"],
    code: r.json?.code,
    bodyField: r.json?.field,
  };
}

async function same(send: (port: number) => Promise<Raw>): Promise<Raw> {
  const a = await send(lean.httpPort);
  const b = await send(node.httpPort);
  expect(visible(a)).toEqual(visible(b));
  return a;
}

/** A reply without its timestamp (two servers answer at different moments). */
const untimed = <T extends object>(reply: T) => ({ ...reply, timestamp: undefined });

const JSON_TYPE = { "content-type": "application/json" };
const body = (v: unknown) => JSON.stringify(v);

function client(port: number, binary: boolean, timeoutMs?: number) {
  return createClient(
    PredictService,
    createConnectTransport({
      baseUrl: `http://127.0.0.1:${port}`,
      httpVersion: "1.1",
      useBinaryFormat: binary,
      defaultTimeoutMs: timeoutMs,
    }),
  );
}

describe("Connect unary: the lean path answers as connect-node does", () => {
  it("the official client (JSON and binary) gets the same replies and codes", async () => {
    for (const binary of [false, true]) {
      const a = client(lean.httpPort, binary);
      const b = client(node.httpPort, binary);
      const features = row(3);
      expect(untimed(await a.predict({ features }))).toEqual(untimed(await b.predict({ features })));
      const rows = [row(1), row(2)].map((f) => ({ features: f }));
      expect(untimed(await a.predictBatch({ rows }))).toEqual(untimed(await b.predictBatch({ rows })));
      for (const bad of [{ features: [1, 2] }, { features: row(0), modelVersion: "999" }]) {
        const ea = await a.predict(bad).catch((e) => e);
        const eb = await b.predict(bad).catch((e) => e);
        expect(ea).toBeInstanceOf(ConnectError);
        expect(ea.code).toBe(eb.code);
        expect(ea.metadata.get("x-mlops-field")).toBe(eb.metadata.get("x-mlops-field"));
      }
      // With a deadline (connect-timeout-ms) the call is served as before.
      expect(untimed(await client(lean.httpPort, binary, 30_000).predict({ features }))).toEqual(
        untimed(await b.predict({ features })),
      );
    }
  });

  it("JSON decode errors name the field (features[1]) on both paths", async () => {
    const features = [...row(0)] as unknown[];
    features[1] = "x";
    const r = await same((port) => raw(port, PREDICT, body({ features }), JSON_TYPE));
    expect(r.status).toBe(400);
    expect(r.json?.code).toBe("invalid_argument");
    expect(r.json?.field).toBe("features[1]");
    const malformed = await same((port) => raw(port, PREDICT, '{"features": [1, 2,', JSON_TYPE));
    expect(malformed.json?.code).toBe("invalid_argument");
  });

  it("a bad map value under a key with a backslash names the entry (no internal error)", async () => {
    const create = "/mlops.v1.RegistryService/CreateRegisteredModel";
    const r = await same((port) => raw(port, create, body({ name: "m", tags: { "a\\ b": {} } }), JSON_TYPE));
    expect(r.status).toBe(400);
    expect(r.json?.code).toBe("invalid_argument");
    expect(r.json?.field).toBe("tags[a\\ b]");
  });

  it("enum spellings (Staging) and a bad stage answer alike", async () => {
    const ok = await same((port) =>
      raw(port, TRANSITION, body({ name: MODEL, version: "2", stage: "Staging" }), JSON_TYPE),
    );
    expect(ok.status).toBe(200);
    const bad = await same((port) =>
      raw(port, TRANSITION, body({ name: MODEL, version: "2", stage: "live" }), JSON_TYPE),
    );
    expect(bad.json?.code).toBe("invalid_argument");
  });

  it("content types: charset is taken, others are 415; GET is connect-node's", async () => {
    const features = row(0);
    const charset = await same((port) =>
      raw(port, PREDICT, body({ features }), { "content-type": "application/json; charset=utf-8" }),
    );
    expect(charset.status).toBe(200);
    const proto = await same((port) =>
      raw(port, PREDICT, toBinary(PredictRequestSchema, create(PredictRequestSchema, { features })), {
        "content-type": "application/proto",
        "connect-protocol-version": "1",
      }),
    );
    expect(proto.status).toBe(200);
    expect(proto.headers["content-type"]).toBe("application/proto");
    for (const type of ["text/plain", "application/connect+json", "application/xml"]) {
      const r = await same((port) => raw(port, PREDICT, body({ features }), { "content-type": type }));
      expect(r.status).toBe(415);
    }
    // Predict has side effects: GET is refused; a read declared NO_SIDE_EFFECTS is served over GET.
    const get = await same((port) =>
      raw(
        port,
        `${PREDICT}?encoding=json&message=${encodeURIComponent(body({ features }))}`,
        "",
        {},
        { method: "GET" },
      ),
    );
    expect(get.status).toBe(405);
    for (const port of [lean.httpPort, node.httpPort]) {
      const tracking = createClient(
        TrackingService,
        createConnectTransport({ baseUrl: `http://127.0.0.1:${port}`, httpVersion: "1.1", useHttpGet: true }),
      );
      expect(await tracking.listExperiments({})).toBeDefined();
    }
  });

  it("connect-timeout-ms: a bad value is invalid_argument; a generous one is served", async () => {
    const features = row(0);
    for (const value of ["abc", "12345678901", "-1"]) {
      const r = await same((port) =>
        raw(port, PREDICT, body({ features }), { ...JSON_TYPE, "connect-timeout-ms": value }),
      );
      expect(r.status).toBe(400);
      expect(r.json?.code).toBe("invalid_argument");
    }
    const ok = await same((port) =>
      raw(port, PREDICT, body({ features }), { ...JSON_TYPE, "connect-timeout-ms": "60000" }),
    );
    expect(ok.status).toBe(200);
  });

  it("compression: gzip requests are read, large replies compressed as accepted, unknown encodings unimplemented", async () => {
    const features = row(0);
    const gz = await same((port) =>
      raw(port, PREDICT, gzipSync(body({ features })), { ...JSON_TYPE, "content-encoding": "gzip" }),
    );
    expect(gz.status).toBe(200);
    const rows = Array.from({ length: 60 }, (_, i) => ({ features: row(i) }));
    const big = await same((port) =>
      raw(port, BATCH, body({ rows }), { ...JSON_TYPE, "accept-encoding": "gzip" }),
    );
    expect(big.status).toBe(200);
    expect(big.headers["content-encoding"]).toBe("gzip");
    expect(JSON.parse(gunzipSync(big.body).toString("utf8")).predictions).toHaveLength(60);
    const small = await same((port) =>
      raw(port, PREDICT, body({ features }), { ...JSON_TYPE, "accept-encoding": "br" }),
    );
    expect(small.headers["content-encoding"]).toBeUndefined();
    const zstd = await same((port) =>
      raw(port, PREDICT, body({ features }), { ...JSON_TYPE, "content-encoding": "zstd" }),
    );
    expect(zstd.json?.code).toBe("unimplemented");
  });

  it("a declared body over the limit is invalid_argument on body, and the connection closes", async () => {
    const big = body({ features: Array.from({ length: MAX_BODY / 4 }, () => 1.25) });
    const r = await same((port) => raw(port, PREDICT, big, JSON_TYPE));
    expect(r.status).toBe(400);
    expect(r.json?.field).toBe("body");
    expect(r.headers.connection).toBe("close");
  });
});

describe("Connect unary: what the lean path owns", () => {
  it("connect-timeout-ms: 0 is deadline_exceeded (504), recorded under its code", async () => {
    const r = await raw(lean.httpPort, PREDICT, body({ features: row(0) }), {
      ...JSON_TYPE,
      "connect-timeout-ms": "0",
    });
    expect(r.status).toBe(504);
    expect(r.json?.code).toBe("deadline_exceeded");
    const err = await client(lean.httpPort, false)
      .predict({ features: row(0) }, { headers: { "connect-timeout-ms": "0" } })
      .catch((e) => e);
    expect(err.code).toBe(Code.DeadlineExceeded);
    const text = (await getJson(lean.httpPort, "/metrics")).text;
    expect(text).toMatch(/^api_errors_total\{type="deadline_exceeded",transport="connect"\} [1-9]/m);
  });

  it("a streamed (chunked) body over the limit is invalid_argument on body, and the connection closes", async () => {
    const big = body({ features: Array.from({ length: MAX_BODY / 4 }, () => 1.25) });
    const r = await raw(lean.httpPort, PREDICT, big, JSON_TYPE, { chunked: true });
    expect(r.status).toBe(400);
    expect(r.json?.code).toBe("invalid_argument");
    expect(r.json?.field).toBe("body");
    expect(r.headers.connection).toBe("close");
    // The server keeps serving.
    expect((await raw(lean.httpPort, PREDICT, body({ features: row(0) }), JSON_TYPE)).status).toBe(200);
  });

  it("a gzip body over the limit once decompressed is resource_exhausted", async () => {
    const big = gzipSync(body({ features: Array.from({ length: MAX_BODY / 4 }, () => 1.25) }));
    expect(big.length).toBeLessThan(MAX_BODY);
    const r = await raw(lean.httpPort, PREDICT, big, { ...JSON_TYPE, "content-encoding": "gzip" });
    expect(r.status).toBe(429);
    expect(r.json?.code).toBe("resource_exhausted");
  });

  it("an undecodable binary body is invalid_argument (connect-node says internal)", async () => {
    const r = await raw(lean.httpPort, PREDICT, new Uint8Array([0x0a, 0xff, 0xff]), {
      "content-type": "application/proto",
    });
    expect(r.status).toBe(400);
    expect(r.json?.code).toBe("invalid_argument");
  });

  it("every call is recorded once, under connect and the procedure", async () => {
    const series = `api_requests_total{method="POST",endpoint="${PREDICT}",status="OK",transport="connect"}`;
    const count = async () => {
      const line = (await getJson(lean.httpPort, "/metrics")).text
        .split("\n")
        .find((l) => l.startsWith(`${series} `));
      return line === undefined ? 0 : Number(line.slice(series.length + 1));
    };
    const before = await count();
    await client(lean.httpPort, false).predict({ features: row(5) });
    await client(lean.httpPort, true).predict({ features: row(6) });
    expect(await count()).toBe(before + 2);
  });
});
