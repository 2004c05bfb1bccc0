// The fuzz targets' inputs sent for real: REST requests and Connect JSON to the HTTP port, raw
// protobuf bytes to the gRPC port, of a running app with a served model. Every answer must be a
// documented status with a documented error code, never INTERNAL, and the server must still answer
// afterwards. (The long runs drive the same parsers in process: docs/fuzzing.md.)
import * as http from "node:http";
import { request } from "node:http";
import * as grpc from "@grpc/grpc-js";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app/create-app.js";
import { ERROR_CODES } from "../../src/rpc/error-codes.js";
import { row, seedModel, startTestApp, tempDataDir } from "../helpers/app.js";
import { postJson } from "../helpers/clients.js";
import { connectJsonTarget } from "./targets/connect-json.js";
import { FUZZ_SERVICES } from "./targets/examples.js";
import { grpcProtobufTarget } from "./targets/grpc-protobuf.js";
import { restTarget } from "./targets/rest.js";

const CASES = Number(process.env.MLOPS_FUZZ_WIRE_CASES ?? 150);
const SEED = 424242;
const CODES = new Set(Object.keys(ERROR_CODES).map((c) => c.toLowerCase()));

let app: App;
let cleanup: () => void;
beforeAll(async () => {
  const tmp = tempDataDir();
  cleanup = tmp.cleanup;
  await seedModel(tmp.dir, { stage: "Production" });
  app = await startTestApp(tmp.dir);
});
afterAll(async () => {
  await app?.close();
  cleanup?.();
});

function send(verb: string, path: string, body: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; text: string } | undefined>((resolve, reject) => {
    let req: ReturnType<typeof request>;
    try {
      // An explicit length: Node's client sends a GET's body chunked and then misreads the answer.
      const length = { "content-length": String(Buffer.byteLength(body)) };
      req = request({
        host: "127.0.0.1",
        port: app.httpPort,
        method: verb,
        path,
        headers: { ...headers, ...length },
      });
    } catch {
      resolve(undefined); // a path or verb no HTTP client can send (spaces, control characters)
      return;
    }
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (d: string) => {
        text += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** encodeURIComponent, with a lone surrogate (which it refuses) sent as U+FFFD. */
function pctEncode(c: string): string {
  try {
    return encodeURIComponent(c);
  } catch {
    return encodeURIComponent("\ufffd");
  }
}

function expectDocumentedError(status: number, text: string, what: string): void {
  expect(status, what).not.toBe(500);
  if (status < 400) return;
  if (text === "") throw new Error(`${status} with an empty body: ${what}`);
  const body = JSON.parse(text) as { code?: string };
  expect(CODES.has(String(body.code)), `${what}: ${text}`).toBe(true);
  expect(body.code, what).not.toBe("internal");
}

describe("fuzzed requests over real sockets", () => {
  it(`REST: ${CASES} mutated requests answer documented statuses and codes`, async () => {
    const { arbitrary } = await restTarget.setup();
    let sent = 0;
    for (const input of fc.sample(arbitrary, { numRuns: CASES, seed: SEED })) {
      // A request target is printable ASCII on the wire: what a client would send percent-encodes the rest.
      const raw = input.query === "" ? input.path : `${input.path}?${input.query}`;
      const path = raw.replace(/[^\x21-\x7e]/gu, pctEncode);
      if (!path.startsWith("/")) continue;
      const res = await send(input.verb, path, input.body, { "content-type": "application/json" });
      if (!res) continue;
      sent++;
      if (input.verb === "HEAD") continue;
      // Node's HTTP parser refuses a method it does not know before any handler runs: a bare 400.
      if (!http.METHODS.includes(input.verb) && res.status === 400 && res.text === "") continue;
      expectDocumentedError(res.status, res.text, `${input.verb} ${path} ${input.body}`);
    }
    expect(sent).toBeGreaterThan(CASES / 2);
    expect((await postJson(app.httpPort, "/predict", { features: row(0) })).status).toBeLessThan(600);
  });

  it(`Connect: ${CASES} mutated JSON bodies answer Connect errors, never internal`, async () => {
    const { arbitrary } = await connectJsonTarget.setup();
    const methods = FUZZ_SERVICES.flatMap((s) => s.methods.map((m) => `/${s.typeName}/${m.name}`));
    for (const input of fc.sample(arbitrary, { numRuns: CASES, seed: SEED })) {
      const path = methods[input.method % methods.length] ?? "";
      const res = await send("POST", path, Buffer.from(input.body).toString("latin1"), {
        "content-type": "application/json",
      });
      if (!res) continue;
      expectDocumentedError(res.status, res.text, `${path} ${Buffer.from(input.body).toString()}`);
    }
  });

  it(`gRPC: ${CASES} mutated protobuf messages answer a status, and the server keeps serving`, async () => {
    const { arbitrary } = await grpcProtobufTarget.setup();
    const methods = FUZZ_SERVICES.flatMap((s) => s.methods.map((m) => `/${s.typeName}/${m.name}`));
    const client = new grpc.Client(`127.0.0.1:${app.grpcPort}`, grpc.credentials.createInsecure());
    const seen = new Map<number, number>();
    try {
      for (const input of fc.sample(arbitrary, { numRuns: CASES, seed: SEED })) {
        const path = methods[input.method % methods.length] ?? "";
        const status = await new Promise<grpc.StatusObject | { code: 0; details: string }>((resolve) => {
          client.makeUnaryRequest(
            path,
            (b: Buffer) => b,
            (b: Buffer) => b,
            Buffer.from(input.bytes),
            (err) => resolve(err ? (err as grpc.StatusObject) : { code: 0, details: "" }),
          );
        });
        seen.set(status.code, (seen.get(status.code) ?? 0) + 1);
        const name = grpc.status[status.code] ?? String(status.code);
        // A message that does not decode is the client's error: INVALID_ARGUMENT, never INTERNAL.
        expect(CODES.has(name.toLowerCase()) || status.code === 0, `${path}: ${name} ${status.details}`).toBe(
          true,
        );
        expect(status.code, `${path}: ${status.details}`).not.toBe(grpc.status.INTERNAL);
      }
    } finally {
      client.close();
    }
    expect(seen.size).toBeGreaterThan(1);
    expect((await postJson(app.httpPort, "/predict", { features: row(0) })).status).toBeLessThan(600);
  });
});
