// An independent client: gRPC's C core (Debian's python3-grpcio), the same stack grpcurl's peers
// use, speaking to our grpc-js server with bytes encoded from the protos. It does what the README's
// grpcurl lines do: list services through reflection, predict, promote, check health.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app/create-app.js";
import {
  ModelInferRequestSchema,
  ModelInferResponseSchema,
} from "../../src/gen/inference/open_inference_grpc_pb.js";
import { Stage } from "../../src/gen/mlops/v1/model_pb.js";
import { PredictRequestSchema, PredictResponseSchema } from "../../src/gen/mlops/v1/predict_pb.js";
import {
  TransitionModelVersionStageRequestSchema,
  TransitionModelVersionStageResponseSchema,
} from "../../src/gen/mlops/v1/registry_pb.js";
import { MODEL, row, type SeededVersion, seedModel, startTestApp, tempDataDir } from "../helpers/app.js";

const PYTHON = "/usr/bin/python3";

const CLIENT = `
import json, sys, grpc
calls = json.load(sys.stdin)
out = []
for c in calls:
    ch = grpc.insecure_channel(c["target"])
    md = list(c.get("metadata", {}).items())
    try:
        if c["kind"] == "stream":
            fn = ch.stream_stream(c["path"])
            res = b"".join(fn(iter([bytes.fromhex(c["hex"])]), metadata=md, timeout=10))
        else:
            res = ch.unary_unary(c["path"])(bytes.fromhex(c["hex"]), metadata=md, timeout=10)
        out.append({"ok": True, "hex": res.hex()})
    except grpc.RpcError as e:
        out.append({"ok": False, "code": e.code().name, "details": e.details()})
    ch.close()
json.dump(out, sys.stdout)
`;

interface Call {
  kind: "unary" | "stream";
  path: string;
  bytes: Uint8Array;
  metadata?: Record<string, string>;
}
type Result = { ok: true; bytes: Uint8Array } | { ok: false; code: string; details: string };

/** Async on purpose: the server under test lives in this process and must keep running. One result a call. */
async function callAll<const C extends readonly Call[]>(
  port: number,
  calls: C,
): Promise<{ [K in keyof C]: Result }> {
  const input = calls.map((c) => ({
    kind: c.kind,
    path: c.path,
    hex: Buffer.from(c.bytes).toString("hex"),
    metadata: c.metadata ?? {},
    target: `127.0.0.1:${port}`,
  }));
  const child = spawn(PYTHON, ["-c", CLIENT], { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  child.stdin.end(JSON.stringify(input));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (code !== 0) throw new Error(`python client failed: ${stderr}`);
  const results = (
    JSON.parse(stdout) as Array<{ ok: boolean; hex?: string; code?: string; details?: string }>
  ).map(
    (r): Result =>
      r.ok
        ? { ok: true, bytes: Buffer.from(r.hex ?? "", "hex") }
        : { ok: false, code: r.code ?? "", details: r.details ?? "" },
  );
  if (results.length !== calls.length) {
    throw new Error(`python client answered ${results.length} of ${calls.length} calls`);
  }
  return results as { [K in keyof C]: Result };
}

let app: App;
let v2: SeededVersion;
let cleanup: () => void;

beforeAll(async () => {
  if (!existsSync(PYTHON) || spawnSync(PYTHON, ["-c", "import grpc"]).status !== 0) {
    throw new Error(
      "python3-grpcio is missing: run scripts/install-test-deps.sh (apt-get install python3-grpcio)",
    );
  }
  const tmp = tempDataDir();
  cleanup = tmp.cleanup;
  await seedModel(tmp.dir, { stage: "Production", seed: 1 });
  v2 = await seedModel(tmp.dir, { seed: 2 });
  app = await startTestApp(tmp.dir, { apiToken: "t0ken" });
});
afterAll(async () => {
  await app?.close();
  cleanup?.();
});

describe("gRPC C-core client (python3-grpcio)", () => {
  it("lists services through reflection, as `grpcurl list` does", async () => {
    // ServerReflectionRequest{list_services: ""}: field 7, length-delimited, empty.
    const [res] = await callAll(app.grpcPort, [
      {
        kind: "stream",
        path: "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        bytes: Uint8Array.of(0x3a, 0x00),
      },
    ]);
    expect(res.ok).toBe(true);
    const text = Buffer.from((res as { bytes: Uint8Array }).bytes).toString("latin1");
    for (const s of [
      "mlops.v1.PredictService",
      "mlops.v1.RegistryService",
      "mlops.v1.TrackingService",
      "inference.GRPCInferenceService",
      "grpc.health.v1.Health",
    ]) {
      expect(text).toContain(s);
    }
  });

  it("predicts, promotes with the token, and is refused without it", async () => {
    const promote = toBinary(
      TransitionModelVersionStageRequestSchema,
      create(TransitionModelVersionStageRequestSchema, {
        name: MODEL,
        version: String(v2.version),
        stage: Stage.PRODUCTION,
        archiveExistingVersions: true,
      }),
    );
    const path = "/mlops.v1.RegistryService/TransitionModelVersionStage";
    const [predicted, denied, promoted] = await callAll(app.grpcPort, [
      {
        kind: "unary",
        path: "/mlops.v1.PredictService/Predict",
        bytes: toBinary(PredictRequestSchema, create(PredictRequestSchema, { features: row(4) })),
      },
      { kind: "unary", path, bytes: promote },
      { kind: "unary", path, bytes: promote, metadata: { authorization: "Bearer t0ken" } },
    ]);
    expect(predicted.ok).toBe(true);
    const p = fromBinary(PredictResponseSchema, (predicted as { bytes: Uint8Array }).bytes);
    expect(p.modelVersion).toBe("1");
    expect(p.probability.length).toBe(2);
    expect(denied).toMatchObject({ ok: false, code: "UNAUTHENTICATED" });
    expect(promoted.ok).toBe(true);
    const t = fromBinary(
      TransitionModelVersionStageResponseSchema,
      (promoted as { bytes: Uint8Array }).bytes,
    );
    expect(t.modelVersion?.stage).toBe(Stage.PRODUCTION);
    expect(t.archivedVersions.map((v) => v.version)).toEqual(["1"]);
  });

  it("an invalid request gets INVALID_ARGUMENT", async () => {
    const [res] = await callAll(app.grpcPort, [
      {
        kind: "unary",
        path: "/mlops.v1.PredictService/Predict",
        bytes: toBinary(PredictRequestSchema, create(PredictRequestSchema, { features: [1, 2, 3] })),
      },
    ]);
    expect(res).toMatchObject({ ok: false, code: "INVALID_ARGUMENT" });
  });

  it("calls the Open Inference Protocol's ModelInfer, as `grpcurl … inference.GRPCInferenceService/ModelInfer` does", async () => {
    const request = create(ModelInferRequestSchema, {
      modelName: MODEL,
      id: "py-1",
      inputs: [{ name: "x", datatype: "FP64", shape: [1n, 20n], contents: { fp64Contents: row(4) } }],
    });
    const [inferred, predicted] = await callAll(app.grpcPort, [
      {
        kind: "unary",
        path: "/inference.GRPCInferenceService/ModelInfer",
        bytes: toBinary(ModelInferRequestSchema, request),
      },
      {
        kind: "unary",
        path: "/mlops.v1.PredictService/Predict",
        bytes: toBinary(PredictRequestSchema, create(PredictRequestSchema, { features: row(4) })),
      },
    ]);
    expect(inferred.ok && predicted.ok).toBe(true);
    const r = fromBinary(ModelInferResponseSchema, (inferred as { bytes: Uint8Array }).bytes);
    const p = fromBinary(PredictResponseSchema, (predicted as { bytes: Uint8Array }).bytes);
    expect(r.id).toBe("py-1");
    expect(r.outputs.find((o) => o.name === "probabilities")?.contents?.fp64Contents).toEqual(p.probability);
  });
});
