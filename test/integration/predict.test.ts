import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app/create-app.js";
import {
  PredictBatchRequestSchema,
  PredictRequestSchema,
  PredictService,
} from "../../src/gen/mlops/v1/predict_pb.js";
import { MODEL, row, type SeededVersion, seedModel, startTestApp, tempDataDir } from "../helpers/app.js";
import { connectClient, getJson, grpcClient, grpcWebClient, postJson } from "../helpers/clients.js";

let app: App;
let seeded: SeededVersion;
let cleanup: () => void;
let dataDir: string;

function coreScore(features: number[]): number[] {
  return Array.from(seeded.model.predictProba(Float64Array.from(features), 1));
}

beforeAll(async () => {
  const tmp = tempDataDir();
  cleanup = tmp.cleanup;
  dataDir = tmp.dir;
  seeded = await seedModel(tmp.dir, { stage: "Production" });
  app = await startTestApp(tmp.dir);
});

afterAll(async () => {
  await app?.close();
  cleanup?.();
});

describe("Predict over every transport agrees with the core", () => {
  it("REST POST /predict returns the seed's JSON", async () => {
    const features = row(1);
    const res = await postJson(app.httpPort, "/predict", { features });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).slice(0, 4)).toEqual([
      "prediction",
      "probability",
      "model_version",
      "timestamp",
    ]);
    expect(res.body.model_version).toBe(String(seeded.version));
    expect(res.body.model_name).toBe(MODEL);
    expect(res.body.probability).toEqual(coreScore(features));
    const p = res.body.probability as number[];
    expect(res.body.prediction).toBe(p[1]! > p[0]! ? 1 : 0);
    expect(new Date(res.body.timestamp as string).toISOString()).toBe(res.body.timestamp);
  });

  it("REST POST /predict with a model selector answers the same JSON as without", async () => {
    const features = row(5);
    const lean = await postJson(app.httpPort, "/predict", { features });
    const stamp = (text: string) => text.replace(/"timestamp":"[^"]+"/, '"timestamp":"T"');
    for (const selector of [
      { model_name: MODEL },
      { model_version: String(seeded.version) },
      { model_name: MODEL, model_version: String(seeded.version) },
    ]) {
      const res = await postJson(app.httpPort, "/predict", { features, ...selector });
      expect(res.status).toBe(200);
      expect(stamp(res.text)).toBe(stamp(lean.text));
    }
    const badType = await postJson(app.httpPort, "/predict", { features, model_version: 1 });
    expect(badType.status).toBe(422);
    expect(badType.body.field).toBe("model_version");
    expect(badType.body.detail).toEqual([expect.objectContaining({ loc: ["body", "model_version"] })]);
  });

  it("gRPC, Connect and gRPC-Web give the same probabilities", async () => {
    const features = row(2);
    const expected = coreScore(features);
    const g = grpcClient(PredictService, app.grpcPort);
    try {
      const viaGrpc = await g.call<{ probability: number[]; modelVersion: string }>(
        "predict",
        create(PredictRequestSchema, { features }),
      );
      expect(viaGrpc.probability).toEqual(expected);
      expect(viaGrpc.modelVersion).toBe(String(seeded.version));
    } finally {
      g.close();
    }
    const viaConnect = await connectClient(PredictService, app.httpPort).predict({ features });
    expect(viaConnect.probability).toEqual(expected);
    const viaWeb = await grpcWebClient(PredictService, app.httpPort).predict({ features });
    expect(viaWeb.probability).toEqual(expected);
    expect(viaWeb.modelName).toBe(MODEL);
  });

  it("PredictBatch (rows and packed) agrees with the core on every row", async () => {
    const rows = Array.from({ length: 50 }, (_, i) => row(100 + i));
    const flat = rows.flat();
    const expected = Array.from(seeded.model.predictProba(Float64Array.from(flat), rows.length));
    const client = connectClient(PredictService, app.httpPort);
    const a = await client.predictBatch({ rows: rows.map((features) => ({ features })) });
    expect(a.probabilities).toEqual(expected);
    expect(a.nClasses).toBe(2);
    const b = await client.predictBatch({ features: flat, nFeatures: 20 });
    expect(b.probabilities).toEqual(expected);
    const rest = await postJson(app.httpPort, "/v1/predict:batch", { features: flat, n_features: 20 });
    expect(rest.status).toBe(200);
    expect(rest.body.probabilities).toEqual(expected);
    const g = grpcClient(PredictService, app.grpcPort);
    try {
      const viaGrpc = await g.call<{ predictions: number[] }>(
        "predictBatch",
        create(PredictBatchRequestSchema, { features: flat, nFeatures: 20 }),
      );
      expect(viaGrpc.predictions).toEqual(a.predictions);
    } finally {
      g.close();
    }
  });

  it("a large PredictBatch (10k rows, off the JS thread) agrees with the sync path", async () => {
    const n = 10_000;
    const flat: number[] = [];
    for (let i = 0; i < n; i++) flat.push(...row(i));
    const expected = Array.from(seeded.model.predictProba(Float64Array.from(flat), n));
    const res = await connectClient(PredictService, app.httpPort).predictBatch({
      features: flat,
      nFeatures: 20,
    });
    expect(res.probabilities).toEqual(expected);
  });

  it("GET /model-info, /, /health describe the served version", async () => {
    const info = await getJson(app.httpPort, "/model-info");
    expect(info.status).toBe(200);
    expect(info.body).toMatchObject({
      model_name: MODEL,
      model_version: String(seeded.version),
      stage: "STAGE_PRODUCTION",
      artifact_sha256: seeded.sha256,
      n_features: 20,
      n_classes: 2,
      family: "gbdt",
    });
    // The scoring engine picked at load, and the bytes of its layout.
    const scorer = (info.body as { scorer: { engine: string; isa: string; bytes: number } }).scorer;
    expect(["generic", "heap", "predicated", "binned"]).toContain(scorer.engine);
    expect(["scalar", "avx512"]).toContain(scorer.isa);
    expect(scorer.bytes).toBeGreaterThan(0);
    // The seed-style route and the proto one write a stage the same way.
    const v1 = await getJson(app.httpPort, "/v1/model-info");
    expect(v1.body.stage).toBe(info.body.stage);
    const root = await getJson(app.httpPort, "/");
    expect(root.body).toMatchObject({
      name: "mlops",
      model: { name: MODEL, version: String(seeded.version) },
    });
    const health = await getJson(app.httpPort, "/health");
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: "healthy", model_loaded: true, registry_reachable: true });
  });
});

describe("bad input: a clear error, the right code, and the server keeps serving", () => {
  // The seed's statuses (FastAPI): 422 with pydantic's `detail` beside our code, field and expected.
  const restCases: Array<[string, unknown, string, Array<string | number>, string]> = [
    ["wrong feature count", { features: [1, 2, 3] }, "features", ["body", "features"], "too_short"],
    [
      "non-numeric value",
      { features: [...row(0).slice(0, 19), "x"] },
      "features[19]",
      ["body", "features", 19],
      "float_type",
    ],
    [
      "null value",
      { features: [...row(0).slice(0, 19), null] },
      "features[19]",
      ["body", "features", 19],
      "float_type",
    ],
    ["features not an array", { features: "1,2,3" }, "features", ["body", "features"], "list_type"],
    ["missing field", {}, "features", ["body", "features"], "missing"],
    ["empty body", "", "body", ["body"], "missing"],
    ["malformed JSON", '{"features": [1, 2,', "body", ["body"], "json_invalid"],
    ["JSON array body", "[1,2,3]", "body", ["body"], "model_attributes_type"],
    [
      "a misspelled key",
      { features: row(0), modelVersion: "1" },
      "modelVersion",
      ["body", "modelVersion"],
      "extra_forbidden",
    ],
  ];
  for (const [name, body, field, loc, type] of restCases) {
    it(`REST: ${name} → 422 naming ${field}`, async () => {
      const res = await postJson(app.httpPort, "/predict", body);
      expect(res.status).toBe(422);
      expect(res.body.code).toBe("invalid_argument");
      expect(res.body.field).toBe(field);
      expect(typeof res.body.expected).toBe("string");
      expect(res.body.detail).toEqual([{ loc, msg: expect.any(String), type }]);
    });
  }

  it("REST: the gRPC-mapped routes keep 400 for the same bad row", async () => {
    const res = await postJson(app.httpPort, "/v1/predict:batch", { rows: [{ features: [1, 2, 3] }] });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("invalid_argument");
    expect(res.body.detail).toBeUndefined();
  });

  it("REST: a body over the size limit → 413, and the next request is served", async () => {
    const small = await startTestApp(dataDir, { maxBodyBytes: 4096 });
    try {
      const big = JSON.stringify({ features: Array.from({ length: 2000 }, () => 1.2345) });
      const res = await postJson(small.httpPort, "/predict", big);
      expect(res.status).toBe(413);
      expect(res.body.field).toBe("body");
      expect(res.body.detail).toEqual([{ loc: ["body"], msg: expect.any(String), type: "too_long" }]);
      const ok = await postJson(small.httpPort, "/predict", { features: row(3) });
      expect(ok.status).toBe(200);
    } finally {
      await small.close();
    }
  });

  it("REST: a malformed percent-encoded path segment → 400 naming it; an unknown route → 404", async () => {
    const bad = await getJson(app.httpPort, "/v1/models/%E0%A4%A");
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe("name");
    const missing = await getJson(app.httpPort, "/nope");
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe("not_found");
  });

  it("REST: a wrong method → 405 with Allow; HEAD /health works", async () => {
    const res = await fetch(`http://127.0.0.1:${app.httpPort}/predict`);
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    expect(((await res.json()) as { code: string }).code).toBe("invalid_argument");
    const head = await fetch(`http://127.0.0.1:${app.httpPort}/health`, { method: "HEAD" });
    expect(head.status).toBe(200);
  });

  it("REST: JSON decode errors name the field; enums accept numbers in query strings", async () => {
    const badStage = await postJson(app.httpPort, `/v1/models/${MODEL}/versions/1:transition`, {
      stage: "live",
    });
    expect(badStage.status).toBe(400);
    expect(badStage.body.field).toBe("stage");
    const badSize = await getJson(app.httpPort, "/v1/models?page_size=abc");
    expect(badSize.status).toBe(400);
    expect(badSize.body.field).toBe("page_size");
    const byNumber = await getJson(app.httpPort, "/v1/model-versions?stage=3");
    const byName = await getJson(app.httpPort, "/v1/model-versions?stage=STAGE_PRODUCTION");
    expect(byNumber.status).toBe(200);
    expect(byNumber.body).toEqual(byName.body);
  });

  it("Connect: requests refused by the protocol layer still count in the metrics", async () => {
    const before = (await getJson(app.httpPort, "/metrics")).text;
    const count = (text: string) =>
      Number(
        text.match(/^api_errors_total\{type="invalid_argument",transport="connect"\} (\d+)$/m)?.[1] ?? 0,
      );
    const res = await fetch(`http://127.0.0.1:${app.httpPort}/mlops.v1.PredictService/Predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"features": [1, 2,',
    });
    expect(res.status).toBe(400);
    const after = (await getJson(app.httpPort, "/metrics")).text;
    expect(count(after)).toBe(count(before) + 1);
  });

  it("gRPC: NaN, Infinity and a wrong count → INVALID_ARGUMENT", async () => {
    const g = grpcClient(PredictService, app.grpcPort);
    try {
      for (const features of [
        row(0).slice(0, 5),
        [...row(0).slice(0, 19), Number.NaN],
        [...row(0).slice(0, 19), Number.POSITIVE_INFINITY],
      ]) {
        const err = await g.call("predict", create(PredictRequestSchema, { features })).catch((e) => e);
        expect(err.code).toBe(GrpcStatus.INVALID_ARGUMENT);
      }
    } finally {
      g.close();
    }
  });

  it("Connect: wrong count → invalid_argument; unknown version → not_found", async () => {
    const client = connectClient(PredictService, app.httpPort);
    const err = await client.predict({ features: [1, 2] }).catch((e) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect(err.code).toBe(Code.InvalidArgument);
    const nf = await client.predict({ features: row(0), modelVersion: "999" }).catch((e) => e);
    expect(nf.code).toBe(Code.NotFound);
  });

  it("counts every error in api_errors_total", async () => {
    const text = (await getJson(app.httpPort, "/metrics")).text;
    const m = text.match(/^api_errors_total\{type="invalid_argument",transport="rest"\} (\d+)/m);
    expect(Number(m?.[1])).toBeGreaterThanOrEqual(restCases.length);
    expect(text).toMatch(/^api_errors_total\{type="invalid_argument",transport="grpc"\} 3$/m);
    expect(text).toMatch(/^predictions_total \d+/m);
    expect(text).toMatch(/^mlops_model_info\{name="ml_classifier",version="1",stage="Production"\} 1$/m);
  });
});

describe("REST: every answer is recorded once, under its route's labels", () => {
  async function counters(): Promise<(series: string) => number> {
    const text = (await getJson(app.httpPort, "/metrics")).text;
    return (series) => {
      const line = text.split("\n").find((l) => l.startsWith(`${series} `));
      return line === undefined ? 0 : Number(line.slice(series.length + 1));
    };
  }
  const requests = (method: string, endpoint: string, status: number) =>
    `api_requests_total{method="${method}",endpoint="${endpoint}",status="${status}",transport="rest"}`;
  const errors = (type: string) => `api_errors_total{type="${type}",transport="rest"}`;
  const base = () => `http://127.0.0.1:${app.httpPort}`;

  const cases: Array<{
    name: string;
    send: () => Promise<number>;
    series: string;
    status: number;
    error?: string;
  }> = [
    {
      name: "lean /predict",
      send: async () => (await postJson(app.httpPort, "/predict", { features: row(4) })).status,
      series: requests("POST", "/predict", 200),
      status: 200,
    },
    {
      name: "lean /predict, bad input",
      send: async () => (await postJson(app.httpPort, "/predict", { features: [1] })).status,
      series: requests("POST", "/predict", 422),
      status: 422,
      error: "invalid_argument",
    },
    {
      name: "/predict with a selector",
      send: async () =>
        (await postJson(app.httpPort, "/predict", { features: row(4), model_version: "999" })).status,
      series: requests("POST", "/predict", 404),
      status: 404,
      error: "not_found",
    },
    {
      name: "a compiled REST route",
      send: async () => (await getJson(app.httpPort, `/v1/models/${MODEL}`)).status,
      series: requests("GET", "/v1/models/{name}", 200),
      status: 200,
    },
    {
      name: "an ops route, by HEAD",
      send: async () => (await fetch(`${base()}/health`, { method: "HEAD" })).status,
      series: requests("GET", "/health", 200),
      status: 200,
    },
    {
      name: "no route",
      send: async () => (await getJson(app.httpPort, "/nope")).status,
      series: requests("GET", "unmatched", 404),
      status: 404,
      error: "not_found",
    },
    {
      name: "a wrong verb",
      send: async () => (await fetch(`${base()}/v1/model-info`, { method: "DELETE" })).status,
      series: requests("DELETE", "unmatched", 405),
      status: 405,
      error: "invalid_argument",
    },
    {
      name: "an undecodable path segment",
      send: async () => (await getJson(app.httpPort, "/v1/models/%E0%A4%A")).status,
      series: requests("GET", "unmatched", 400),
      status: 400,
      error: "invalid_argument",
    },
  ];
  for (const c of cases) {
    it(`${c.name} → ${c.status}, counted once`, async () => {
      const was = await counters();
      expect(await c.send()).toBe(c.status);
      const now = await counters();
      expect(now(c.series) - was(c.series)).toBe(1);
      if (c.error) expect(now(errors(c.error)) - was(errors(c.error))).toBe(1);
    });
  }
});
