// The Open Inference Protocol (KServe V2) over REST and gRPC, against a real server: every REST
// response is validated against the official open_inference_rest.yaml (and, through the REST
// helpers, against openapi/openapi.json); the gRPC client is built from the vendored
// open_inference_grpc.proto by @grpc/proto-loader, not from our generated code; predictions equal
// /predict's for the same rows.
import { join, resolve } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app/create-app.js";
import { MODEL, row, type SeededVersion, seedModel, startTestApp, tempDataDir } from "../helpers/app.js";
import { getJson, postJson } from "../helpers/clients.js";
import { oipValidator } from "../helpers/openapi.js";

const ROOT = resolve(import.meta.dirname, "../..");
const PROTO = join(ROOT, "proto/third_party/inference/open_inference_grpc.proto");

let app: App;
let v1: SeededVersion;
let v2: SeededVersion;
let cleanup: () => void;

beforeAll(async () => {
  const tmp = tempDataDir();
  cleanup = tmp.cleanup;
  v1 = await seedModel(tmp.dir, { stage: "Production", seed: 1 });
  v2 = await seedModel(tmp.dir, { seed: 2, nEstimators: 10 });
  app = await startTestApp(tmp.dir);
});
afterAll(async () => {
  await app?.close();
  cleanup?.();
});

/** A REST call checked against the official OIP description (the helpers check openapi.json too). */
async function oip(method: "GET" | "POST", path: string, body?: unknown) {
  const res = method === "GET" ? await getJson(app.httpPort, path) : await postJson(app.httpPort, path, body);
  const problems = (await oipValidator()).problems({
    method,
    path,
    status: res.status,
    contentType: res.headers.get("content-type"),
    text: res.text,
  });
  expect(problems, `${method} ${path}`).toEqual([]);
  return res;
}

const tensor = (rows: number[][], datatype = "FP64", nested = false) => ({
  name: "input-0",
  shape: [rows.length, rows[0]?.length ?? 0],
  datatype,
  data: nested ? rows : rows.flat(),
});

/** /predict's answer for one row (optionally a registered version). */
async function predict(features: number[], version?: string) {
  const body = version ? { features, model_version: version } : { features };
  const res = await postJson(app.httpPort, "/predict", body);
  expect(res.status).toBe(200);
  return res.body as { prediction: number; probability: number[]; model_version: string };
}

const ROWS = [0, 1, 2, 3, 4, 5].map((i) => row(i));

describe("OIP REST: health, metadata", () => {
  it("server metadata at /v2 (and /v2/, as the spec spells it)", async () => {
    for (const path of ["/v2", "/v2/"]) {
      const res = await oip("GET", path);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ name: "mlops", version: expect.any(String), extensions: [] });
    }
  });

  it("live and ready answer 200 with an empty body; an unknown model or version is not ready (400)", async () => {
    for (const path of [
      "/v2/health/live",
      "/v2/health/ready",
      `/v2/models/${MODEL}/ready`,
      `/v2/models/${MODEL}/versions/${v1.version}/ready`,
      `/v2/models/${MODEL}/versions/${v2.version}/ready`,
    ]) {
      const res = await oip("GET", path);
      expect([path, res.status, res.text]).toEqual([path, 200, ""]);
    }
    for (const path of ["/v2/models/nope/ready", `/v2/models/${MODEL}/versions/99/ready`]) {
      const res = await oip("GET", path);
      expect([path, res.status, res.text]).toEqual([path, 400, ""]);
    }
  });

  it("model metadata: inputs and outputs with -1 for the batch, the platform, the versions", async () => {
    const res = await oip("GET", `/v2/models/${MODEL}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: MODEL,
      versions: [String(v1.version), String(v2.version)],
      platform: "mlops_gbdt",
      inputs: [{ name: "features", datatype: "FP64", shape: [-1, 20] }],
      outputs: [
        { name: "label", datatype: "INT64", shape: [-1] },
        { name: "probabilities", datatype: "FP64", shape: [-1, 2] },
      ],
      properties: { stage: "STAGE_PRODUCTION", artifact_sha256: v1.sha256 },
    });
    const versioned = await oip("GET", `/v2/models/${MODEL}/versions/${v2.version}`);
    expect(versioned.body).toMatchObject({ properties: { stage: "STAGE_NONE", artifact_sha256: v2.sha256 } });
  });

  it("unknown model or version: 404 with {error}", async () => {
    for (const path of ["/v2/models/nope", `/v2/models/${MODEL}/versions/99`]) {
      const res = await oip("GET", path);
      expect(res.status).toBe(404);
      expect(Object.keys(res.body)).toEqual(["error"]);
    }
  });
  it("a malformed percent escape in the path: 400 (with {error} but on a probe), like the /v1 routes", async () => {
    for (const path of ["/v2/models/%ZZ", `/v2/models/${MODEL}/versions/%E0%A4%A`]) {
      const res = await oip("GET", path);
      expect(res.status, path).toBe(400);
      expect(Object.keys(res.body)).toEqual(["error"]);
    }
    const probe = await oip("GET", "/v2/models/%ZZ/ready"); // not ready: 400, the probe's empty body
    expect([probe.status, probe.text]).toEqual([400, ""]);
    const infer = await oip("POST", "/v2/models/%ZZ/infer", { inputs: [tensor([row(0)])] });
    expect(infer.status).toBe(400);
    expect(Object.keys(infer.body)).toEqual(["error"]);
  });
});

describe("OIP REST: infer", () => {
  it("flat and nested FP64 data give /predict's probabilities and classes, with the id echoed", async () => {
    const expected = await Promise.all(ROWS.map((r) => predict(r)));
    for (const nested of [false, true]) {
      const res = await oip("POST", `/v2/models/${MODEL}/infer`, {
        id: "req-7",
        inputs: [tensor(ROWS, "FP64", nested)],
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        model_name: MODEL,
        model_version: String(v1.version),
        id: "req-7",
        outputs: [
          { name: "label", datatype: "INT64", shape: [ROWS.length], data: expected.map((e) => e.prediction) },
          {
            name: "probabilities",
            datatype: "FP64",
            shape: [ROWS.length, 2],
            data: expected.flatMap((e) => e.probability),
          },
        ],
      });
    }
  });

  it("one row goes the same way (batched like /predict)", async () => {
    const [expected] = await Promise.all([predict(ROWS[0] as number[])]);
    const res = await oip("POST", `/v2/models/${MODEL}/infer`, { inputs: [tensor([ROWS[0] as number[]])] });
    expect(res.body.id).toBeUndefined();
    expect((res.body.outputs as { data: number[] }[])[1]?.data).toEqual(expected?.probability);
  });

  it("FP32, INT64 and INT32 inputs are converted to doubles", async () => {
    const fp32 = ROWS.map((r) => r.map(Math.fround));
    const ints = ROWS.map((r) => r.map((v) => Math.round(v * 10)));
    for (const [rows, datatype] of [
      [fp32, "FP32"],
      [ints, "INT64"],
      [ints, "INT32"],
    ] as const) {
      const expected = await Promise.all(rows.map((r) => predict(r)));
      const res = await oip("POST", `/v2/models/${MODEL}/infer`, {
        inputs: [tensor(rows as number[][], datatype)],
      });
      expect(res.status, datatype).toBe(200);
      const probabilities = (res.body.outputs as { data: number[] }[])[1]?.data;
      expect(probabilities, datatype).toEqual(expected.flatMap((e) => e.probability));
    }
  });

  it("outputs selects what comes back, in the order asked", async () => {
    const res = await oip("POST", `/v2/models/${MODEL}/infer`, {
      inputs: [tensor(ROWS)],
      outputs: [{ name: "probabilities" }, { name: "label" }],
    });
    expect((res.body.outputs as { name: string }[]).map((o) => o.name)).toEqual(["probabilities", "label"]);
    const only = await oip("POST", `/v2/models/${MODEL}/infer`, {
      inputs: [tensor(ROWS)],
      outputs: [{ name: "label" }],
    });
    expect(only.body.outputs).toEqual([
      { name: "label", datatype: "INT64", shape: [ROWS.length], data: expect.any(Array) },
    ]);
  });

  it("/versions/{v} scores that registered version, as /predict's model_version does", async () => {
    const expected = await Promise.all(ROWS.map((r) => predict(r, String(v2.version))));
    const served = await Promise.all(ROWS.map((r) => predict(r)));
    expect(expected.map((e) => e.probability)).not.toEqual(served.map((e) => e.probability));
    const res = await oip("POST", `/v2/models/${MODEL}/versions/${v2.version}/infer`, {
      inputs: [tensor(ROWS)],
    });
    expect(res.status).toBe(200);
    expect(res.body.model_version).toBe(String(v2.version));
    expect((res.body.outputs as { data: number[] }[])[1]?.data).toEqual(
      expected.flatMap((e) => e.probability),
    );
  });

  it("bad requests: 400 with {error} (Triton's status mapping); unknown model or version 404", async () => {
    const url = `/v2/models/${MODEL}/infer`;
    const cases: Array<[string, unknown, number]> = [
      ["wrong feature count", { inputs: [tensor([[1, 2, 3]])] }, 400],
      ["shape and data disagree", { inputs: [{ ...tensor(ROWS), shape: [2, 20] }] }, 400],
      ["nested data off the shape", { inputs: [{ ...tensor(ROWS, "FP64", true), shape: [6, 19] }] }, 400],
      ["unsupported datatype", { inputs: [tensor(ROWS, "BYTES")] }, 400],
      ["two inputs", { inputs: [tensor(ROWS), tensor(ROWS)] }, 400],
      ["no inputs", {}, 400],
      [
        "a non-number",
        { inputs: [{ ...tensor([ROWS[0] as number[]]), data: ["x", ...ROWS[0]!.slice(1)] }] },
        400,
      ],
      ["a fraction as INT32", { inputs: [tensor(ROWS, "INT32")] }, 400],
      ["an unknown output", { inputs: [tensor(ROWS)], outputs: [{ name: "logits" }] }, 400],
      ["malformed JSON", "{", 400],
      ["an unsupported parameter", { inputs: [tensor(ROWS)], parameters: { classification: 2 } }, 400],
    ];
    for (const [name, body, status] of cases) {
      const res = await oip("POST", url, body);
      expect([name, res.status]).toEqual([name, status]);
      expect(Object.keys(res.body), name).toEqual(["error"]);
    }
    expect((await oip("POST", "/v2/models/nope/infer", { inputs: [tensor(ROWS)] })).status).toBe(404);
    expect(
      (await oip("POST", `/v2/models/${MODEL}/versions/99/infer`, { inputs: [tensor(ROWS)] })).status,
    ).toBe(404);
  });

  it("records every call under transport oip-rest, by route template", async () => {
    const text = (await getJson(app.httpPort, "/metrics")).text;
    expect(text).toMatch(
      /^api_requests_total\{method="POST",endpoint="\/v2\/models\/\{name\}\/infer",status="200",transport="oip-rest"\} \d+$/m,
    );
    expect(text).toMatch(
      /^api_requests_total\{method="GET",endpoint="\/v2\/models\/\{name\}\/ready",status="400",transport="oip-rest"\} \d+$/m,
    );
    expect(text).toMatch(/^api_errors_total\{type="invalid_argument",transport="oip-rest"\} \d+$/m);
    expect(text).toMatch(/^api_errors_total\{type="not_found",transport="oip-rest"\} \d+$/m);
  });
});

/** A client from the vendored proto, loaded at run time: not our generated code. */
function oipClient(port: number) {
  const pkg = grpc.loadPackageDefinition(loadSync(PROTO, { keepCase: true, longs: Number, defaults: true }));
  const Ctor = (pkg.inference as grpc.GrpcObject).GRPCInferenceService as grpc.ServiceClientConstructor;
  const client = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as Record<
    string,
    (req: unknown, cb: (err: grpc.ServiceError | null, res: unknown) => void) => void
  > & { close(): void };
  const call = <T = Record<string, unknown>>(method: string, req: unknown) =>
    new Promise<T>((res, rej) => client[method]?.(req, (err, out) => (err ? rej(err) : res(out as T))));
  return { call, close: () => client.close() };
}

interface GrpcOutput {
  name: string;
  datatype: string;
  shape: number[];
  contents: { fp64_contents: number[]; int64_contents: number[] } | null;
}

describe("OIP gRPC: inference.GRPCInferenceService from the vendored proto (@grpc/proto-loader)", () => {
  it("the vendored proto declares exactly the six RPCs", () => {
    const def = loadSync(PROTO)["inference.GRPCInferenceService"] as Record<string, unknown>;
    expect(Object.keys(def).sort()).toEqual(
      ["ModelInfer", "ModelMetadata", "ModelReady", "ServerLive", "ServerMetadata", "ServerReady"].sort(),
    );
  });

  it("ServerLive, ServerReady, ModelReady, ServerMetadata, ModelMetadata", async () => {
    const c = oipClient(app.grpcPort);
    try {
      expect(await c.call("ServerLive", {})).toEqual({ live: true });
      expect(await c.call("ServerReady", {})).toEqual({ ready: true });
      expect(await c.call("ModelReady", { name: MODEL, version: "" })).toEqual({ ready: true });
      expect(await c.call("ModelReady", { name: MODEL, version: String(v2.version) })).toEqual({
        ready: true,
      });
      expect(await c.call("ModelReady", { name: "nope", version: "" })).toEqual({ ready: false });
      expect(await c.call("ServerMetadata", {})).toEqual({
        name: "mlops",
        version: expect.any(String),
        extensions: [],
      });
      const meta = await c.call("ModelMetadata", { name: MODEL, version: "" });
      expect(meta).toMatchObject({
        name: MODEL,
        versions: [String(v1.version), String(v2.version)],
        platform: "mlops_gbdt",
        inputs: [{ name: "features", datatype: "FP64", shape: [-1, 20] }],
        outputs: [
          { name: "label", datatype: "INT64", shape: [-1] },
          { name: "probabilities", datatype: "FP64", shape: [-1, 2] },
        ],
      });
      const err = await c.call("ModelMetadata", { name: "nope", version: "" }).catch((e) => e);
      expect(err.code).toBe(grpc.status.NOT_FOUND);
    } finally {
      c.close();
    }
  });

  it("ModelInfer with contents (FP64, INT64) and with raw_input_contents (FP64, FP32) equals /predict", async () => {
    const c = oipClient(app.grpcPort);
    try {
      const expected = await Promise.all(ROWS.map((r) => predict(r)));
      const shape = [ROWS.length, 20];
      const base = { model_name: MODEL, model_version: "", id: "g-1" };
      const byContents = await c.call<{ id: string; model_version: string; outputs: GrpcOutput[] }>(
        "ModelInfer",
        {
          ...base,
          inputs: [{ name: "x", datatype: "FP64", shape, contents: { fp64_contents: ROWS.flat() } }],
        },
      );
      expect(byContents.id).toBe("g-1");
      expect(byContents.model_version).toBe(String(v1.version));
      expect(byContents.outputs.map((o) => [o.name, o.datatype, o.shape])).toEqual([
        ["label", "INT64", [ROWS.length]],
        ["probabilities", "FP64", [ROWS.length, 2]],
      ]);
      expect(byContents.outputs[0]?.contents?.int64_contents).toEqual(expected.map((e) => e.prediction));
      expect(byContents.outputs[1]?.contents?.fp64_contents).toEqual(expected.flatMap((e) => e.probability));

      const raw = await c.call<{ outputs: GrpcOutput[]; raw_output_contents: Buffer[] }>("ModelInfer", {
        ...base,
        inputs: [{ name: "x", datatype: "FP64", shape }],
        raw_input_contents: [Buffer.from(Float64Array.from(ROWS.flat()).buffer)],
      });
      const [labels, probs] = raw.raw_output_contents as [Buffer, Buffer];
      const f64 = new Float64Array(probs.buffer.slice(probs.byteOffset, probs.byteOffset + probs.length));
      const i64 = new BigInt64Array(
        labels.buffer.slice(labels.byteOffset, labels.byteOffset + labels.length),
      );
      expect(Array.from(f64)).toEqual(expected.flatMap((e) => e.probability));
      expect(Array.from(i64, Number)).toEqual(expected.map((e) => e.prediction));

      const fp32Rows = ROWS.map((r) => r.map(Math.fround));
      const fp32Expected = await Promise.all(fp32Rows.map((r) => predict(r)));
      const fp32 = await c.call<{ raw_output_contents: Buffer[] }>("ModelInfer", {
        ...base,
        inputs: [{ name: "x", datatype: "FP32", shape }],
        raw_input_contents: [Buffer.from(Float32Array.from(fp32Rows.flat()).buffer)],
        outputs: [{ name: "probabilities" }],
      });
      const p32 = fp32.raw_output_contents[0] as Buffer;
      expect(
        Array.from(new Float64Array(p32.buffer.slice(p32.byteOffset, p32.byteOffset + p32.length))),
      ).toEqual(fp32Expected.flatMap((e) => e.probability));

      const ints = ROWS.map((r) => r.map((v) => Math.round(v)));
      const intExpected = await Promise.all(ints.map((r) => predict(r)));
      const i64Res = await c.call<{ outputs: GrpcOutput[] }>("ModelInfer", {
        ...base,
        inputs: [{ name: "x", datatype: "INT64", shape, contents: { int64_contents: ints.flat() } }],
      });
      expect(i64Res.outputs[1]?.contents?.fp64_contents).toEqual(intExpected.flatMap((e) => e.probability));

      const versioned = await c.call<{ model_version: string; outputs: GrpcOutput[] }>("ModelInfer", {
        ...base,
        model_version: String(v2.version),
        inputs: [{ name: "x", datatype: "FP64", shape, contents: { fp64_contents: ROWS.flat() } }],
      });
      const v2Expected = await Promise.all(ROWS.map((r) => predict(r, String(v2.version))));
      expect(versioned.model_version).toBe(String(v2.version));
      expect(versioned.outputs[1]?.contents?.fp64_contents).toEqual(v2Expected.flatMap((e) => e.probability));
    } finally {
      c.close();
    }
  });

  it("errors carry gRPC codes: INVALID_ARGUMENT for bad tensors, NOT_FOUND for an unknown model", async () => {
    const c = oipClient(app.grpcPort);
    try {
      const bad = [
        {
          model_name: MODEL,
          inputs: [{ name: "x", datatype: "FP64", shape: [1, 3], contents: { fp64_contents: [1, 2, 3] } }],
        },
        {
          model_name: MODEL,
          inputs: [{ name: "x", datatype: "FP64", shape: [1, 20] }],
          raw_input_contents: [Buffer.alloc(8 * 19)],
        },
        {
          model_name: MODEL,
          inputs: [{ name: "x", datatype: "FP64", shape: [1, 20], contents: { fp64_contents: row(0) } }],
          raw_input_contents: [Buffer.alloc(8 * 20)],
        },
        {
          model_name: MODEL,
          inputs: [
            {
              name: "x",
              datatype: "UINT8",
              shape: [1, 20],
              contents: { uint_contents: row(0).map(() => 1) },
            },
          ],
        },
      ];
      for (const req of bad) {
        const err = await c.call("ModelInfer", req).catch((e) => e);
        expect(err.code, JSON.stringify(req).slice(0, 80)).toBe(grpc.status.INVALID_ARGUMENT);
      }
      const nf = await c
        .call("ModelInfer", {
          model_name: "nope",
          inputs: [{ name: "x", datatype: "FP64", shape: [1, 20], contents: { fp64_contents: row(0) } }],
        })
        .catch((e) => e);
      expect(nf.code).toBe(grpc.status.NOT_FOUND);
    } finally {
      c.close();
    }
  });

  it("records its calls under transport oip-grpc", async () => {
    const text = (await getJson(app.httpPort, "/metrics")).text;
    expect(text).toMatch(
      /^api_requests_total\{method="POST",endpoint="\/inference.GRPCInferenceService\/ModelInfer",status="OK",transport="oip-grpc"\} \d+$/m,
    );
    expect(text).toMatch(/^api_errors_total\{type="invalid_argument",transport="oip-grpc"\} \d+$/m);
  });
});

describe("OIP with no model served", () => {
  let empty: App;
  let done: () => void;
  beforeAll(async () => {
    const tmp = tempDataDir();
    done = tmp.cleanup;
    empty = await startTestApp(tmp.dir);
  });
  afterAll(async () => {
    await empty?.close();
    done?.();
  });

  it("is live but not ready (400), and infer or metadata answer 503 with {error}", async () => {
    const check = async (method: "GET" | "POST", path: string, body?: unknown) => {
      const res =
        method === "GET" ? await getJson(empty.httpPort, path) : await postJson(empty.httpPort, path, body);
      const problems = (await oipValidator()).problems({
        method,
        path,
        status: res.status,
        contentType: res.headers.get("content-type"),
        text: res.text,
      });
      expect(problems).toEqual([]);
      return res;
    };
    expect((await check("GET", "/v2/health/live")).status).toBe(200);
    expect((await check("GET", "/v2/health/ready")).status).toBe(400);
    expect((await check("GET", `/v2/models/${MODEL}/ready`)).status).toBe(400);
    const meta = await check("GET", `/v2/models/${MODEL}`);
    expect([meta.status, Object.keys(meta.body)]).toEqual([503, ["error"]]);
    const infer = await check("POST", `/v2/models/${MODEL}/infer`, { inputs: [tensor(ROWS)] });
    expect([infer.status, Object.keys(infer.body)]).toEqual([503, ["error"]]);
    const c = oipClient(empty.grpcPort);
    try {
      expect(await c.call("ServerReady", {})).toEqual({ ready: false });
      const err = await c
        .call("ModelInfer", {
          model_name: MODEL,
          inputs: [{ name: "x", datatype: "FP64", shape: [1, 20], contents: { fp64_contents: row(0) } }],
        })
        .catch((e) => e);
      expect(err.code).toBe(grpc.status.UNAVAILABLE);
    } finally {
      c.close();
    }
  });
});
