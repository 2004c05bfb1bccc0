// The lean unary listener (docs/decisions/0027) answers exactly what grpc-js answers: the same
// headers, message bytes and trailers, for successes, service errors and protocol errors; what it
// does not take goes to grpc-js.
import { connect, type IncomingHttpHeaders } from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PredictRequestSchema, PredictService } from "../../src/gen/mlops/v1/predict_pb.js";
import { createLogger } from "../../src/observability/logger.js";
import { createMetrics } from "../../src/observability/metrics.js";
import { invalidArgument, ServiceError } from "../../src/rpc/service-error.js";
import { createGrpcServer, type GrpcServer } from "../../src/transports/grpc/server.js";
import { createPipeline } from "../../src/transports/pipeline.js";

const PATH = "/mlops.v1.PredictService/Predict";

/** Predict whose answer depends on the request: a score, a field error, overload, or a slow reply. */
const impl: Record<string, (req: never) => unknown> = {
  async predict(req: { features: number[]; modelName: string }) {
    if (req.modelName === "slow") await new Promise((r) => setTimeout(r, 300));
    if (req.modelName === "busy")
      throw new ServiceError("RESOURCE_EXHAUSTED", "queue full", { retryAfterSeconds: 1 });
    if (req.features.length !== 2) throw invalidArgument("features", "2 values", `${req.features.length}`);
    return {
      prediction: 1,
      probability: [0.25, 0.75],
      modelVersion: "3",
      modelName: "m",
      timestamp: "2026-01-01T00:00:00.000Z",
      label: "yes ü",
    };
  },
};

for (const m of PredictService.methods) {
  impl[m.localName] ??= () => {
    throw new ServiceError("UNIMPLEMENTED", "not here");
  };
}

function start(lean: boolean): Promise<{ server: GrpcServer; port: number }> {
  const pipeline = createPipeline({
    metrics: createMetrics(),
    logger: createLogger({ level: "silent", destination: "/dev/null" }),
  });
  const server = createGrpcServer({
    bindings: [{ service: PredictService, impl: impl as never }],
    pipeline,
    maxMessageBytes: 1024,
    lean,
  });
  return server.listen("127.0.0.1", 0).then((port) => ({ server, port }));
}

interface Answer {
  headers: IncomingHttpHeaders;
  body: string;
  trailers: IncomingHttpHeaders;
}

function drop(h: IncomingHttpHeaders): IncomingHttpHeaders {
  const { date: _date, ...rest } = h;
  return rest;
}

/** One raw HTTP/2 call: the response headers, the DATA bytes (hex) and the trailers. */
function call(port: number, body: Buffer, headers: Record<string, string> = {}, piece = 0): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://127.0.0.1:${port}`);
    session.on("error", reject);
    const req = session.request({
      ":method": "POST",
      ":path": PATH,
      "content-type": "application/grpc",
      te: "trailers",
      ...headers,
    });
    const answer: Answer = { headers: {}, body: "", trailers: {} };
    const chunks: Buffer[] = [];
    req.on("response", (h) => {
      answer.headers = drop(h);
    });
    req.on("trailers", (t) => {
      answer.trailers = t;
    });
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("error", reject);
    req.on("close", () => {
      answer.body = Buffer.concat(chunks).toString("hex");
      session.close();
      resolve(answer);
    });
    if (piece === 0) {
      req.end(body);
      return;
    }
    // Separate DATA frames: one write per event-loop turn.
    let at = 0;
    const next = () => {
      if (at >= body.length) {
        req.end();
        return;
      }
      req.write(body.subarray(at, at + piece));
      at += piece;
      setImmediate(next);
    };
    next();
  });
}

function frame(message: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

const message = (features: number[], modelName = "") =>
  toBinary(PredictRequestSchema, create(PredictRequestSchema, { features, modelName }));

const CASES: { name: string; body: () => Buffer; headers?: Record<string, string>; piece?: number }[] = [
  { name: "a message in 3-byte pieces", body: () => frame(message([1, 2])), piece: 3 },
  {
    name: "a message at the limit, in 100-byte pieces",
    body: () => frame(message(Array(127).fill(0.5), "x")),
    piece: 100,
  },
  {
    name: "two messages in 7-byte pieces",
    body: () => Buffer.concat([frame(message([1, 2])), frame(message([1, 2]))]),
    piece: 7,
  },
  { name: "a score", body: () => frame(message([1, 2])) },
  { name: "a field error with its trailer", body: () => frame(message([1])) },
  { name: "overload with retry-after", body: () => frame(message([1, 2], "busy")) },
  { name: "bytes that are no PredictRequest", body: () => frame(Buffer.from([0x0a, 0xff, 0xff])) },
  { name: "no message", body: () => Buffer.alloc(0) },
  { name: "half a frame only", body: () => frame(message([1, 2])).subarray(0, 7) },
  { name: "two messages", body: () => Buffer.concat([frame(message([1, 2])), frame(message([1, 2]))]) },
  { name: "a message over the limit", body: () => frame(Buffer.alloc(2000)) },
  {
    name: "content-type application/grpc+proto",
    body: () => frame(message([1, 2])),
    headers: { "content-type": "application/grpc+proto" },
  },
  {
    name: "grpc-encoding identity",
    body: () => frame(message([1, 2])),
    headers: { "grpc-encoding": "identity" },
  },
  { name: "a generous deadline", body: () => frame(message([1, 2])), headers: { "grpc-timeout": "10S" } },
  {
    name: "a deadline the call misses",
    body: () => frame(message([1, 2], "slow")),
    headers: { "grpc-timeout": "50m" },
  },
  {
    name: "an invalid deadline (grpc-js)",
    body: () => frame(message([1, 2])),
    headers: { "grpc-timeout": "soon" },
  },
  { name: "gzip (grpc-js)", body: () => frame(message([1, 2])), headers: { "grpc-encoding": "gzip" } },
  { name: "another method", body: () => frame(message([1, 2])) },
];

describe("lean gRPC unary calls", () => {
  let lean: { server: GrpcServer; port: number };
  let plain: { server: GrpcServer; port: number };
  beforeAll(async () => {
    [lean, plain] = await Promise.all([start(true), start(false)]);
  });
  afterAll(async () => {
    await Promise.all([lean.server.close(1000), plain.server.close(1000)]);
  });

  it("is installed on the pinned grpc-js, and off when asked", () => {
    expect(lean.server.leanInstalled).toBe(true);
    expect(plain.server.leanInstalled).toBe(false);
  });

  for (const c of CASES) {
    it(`answers as grpc-js does: ${c.name}`, async () => {
      const headers =
        c.name === "another method"
          ? { ...c.headers, ":path": "/mlops.v1.PredictService/PredictBatch" }
          : c.headers;
      const [a, b] = await Promise.all([
        call(lean.port, c.body(), headers),
        call(plain.port, c.body(), headers),
      ]);
      expect(a).toEqual(b);
      expect(a.headers[":status"]).toBe(200);
    });
  }

  it("a score is the service's reply, with status OK", async () => {
    const a = await call(lean.port, frame(message([1, 2])));
    expect(a.trailers["grpc-status"]).toBe("0");
    expect(a.body.length).toBeGreaterThan(10);
  });
});
