// inference.GRPCInferenceService (the vendored open_inference_grpc.proto) as one more binding of the
// gRPC port: protobuf-es messages ↔ the shared OIP operations. grpc-js serves it with the pipeline
// like every other service; its calls are recorded under the transport "oip-grpc".
import type { MessageShape } from "@bufbuild/protobuf";
import {
  GRPCInferenceService,
  type InferParameter,
  type InferTensorContents,
  type ModelInferRequest,
  type ModelInferResponse,
  type ModelInferResponse_InferOutputTensor,
} from "../../gen/inference/open_inference_grpc_pb.js";
import type { ServiceBinding } from "../../rpc/binding.js";
import type { CallContext } from "../../rpc/context.js";
import { invalidArgument } from "../../rpc/service-error.js";
import type { Inference, InferInput, InferResult, OutputTensor } from "./inference.js";
import { fromContents, fromRaw } from "./tensors.js";

function parameters(map: { [key: string]: InferParameter }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, p] of Object.entries(map)) out[k] = p.parameterChoice.value;
  return out;
}

/** The request's tensors; `raw_input_contents`, when present, holds one blob per input and excludes `contents`. */
function inputs(request: ModelInferRequest): InferInput[] {
  const raw = request.rawInputContents;
  if (raw.length > 0 && raw.length !== request.inputs.length) {
    throw invalidArgument(
      "raw_input_contents",
      `one entry per input (${request.inputs.length})`,
      `${raw.length} entries`,
    );
  }
  return request.inputs.map((tensor, i) => {
    if (raw.length > 0 && tensor.contents !== undefined) {
      throw invalidArgument(`inputs[${i}].contents`, "no contents when raw_input_contents is used", "both");
    }
    return {
      name: tensor.name,
      datatype: tensor.datatype,
      shape: tensor.shape,
      values: (datatype, shape, field) =>
        raw.length > 0
          ? fromRaw(raw[i] as Uint8Array, datatype, shape, field)
          : fromContents(tensor.contents, datatype),
    };
  });
}

const int64s = (values: ArrayLike<number>) => Array.from(values, (v) => BigInt(v));

/** An output as little-endian row-major bytes (raw_output_contents). */
function rawBytes(o: OutputTensor): Uint8Array {
  if (o.datatype === "FP64") {
    const v = o.values as Float64Array;
    return new Uint8Array(Float64Array.from(v).buffer);
  }
  if (o.datatype === "INT64") return new Uint8Array(BigInt64Array.from(int64s(o.values as number[])).buffer);
  // BYTES: each element is a 4-byte little-endian length, then its bytes.
  const parts = (o.values as readonly string[]).map((s) => Buffer.from(s, "utf8"));
  const out = Buffer.alloc(parts.reduce((n, p) => n + 4 + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.writeUInt32LE(p.length, at);
    p.copy(out, at + 4);
    at += 4 + p.length;
  }
  return out;
}

/** Typed `contents`, every repeated field present, so the message needs no further `create`. */
function contents(o: OutputTensor): InferTensorContents {
  const c: InferTensorContents = {
    $typeName: "inference.InferTensorContents",
    boolContents: [],
    intContents: [],
    int64Contents: [],
    uintContents: [],
    uint64Contents: [],
    fp32Contents: [],
    fp64Contents: [],
    bytesContents: [],
  };
  if (o.datatype === "FP64") c.fp64Contents = Array.from(o.values as Float64Array);
  else if (o.datatype === "INT64") c.int64Contents = int64s(o.values as number[]);
  else c.bytesContents = (o.values as readonly string[]).map((s) => Buffer.from(s, "utf8"));
  return c;
}

/**
 * Answers raw when asked raw (as Triton's clients read either form), else with typed `contents`.
 * Built as complete messages (this is the hot path): grpc-js's serializer then skips `create`.
 */
function inferResponse(result: InferResult, raw: boolean): ModelInferResponse {
  return {
    $typeName: "inference.ModelInferResponse",
    modelName: result.modelName,
    modelVersion: result.modelVersion,
    id: result.id,
    parameters: {},
    outputs: result.outputs.map(
      (o): ModelInferResponse_InferOutputTensor => ({
        $typeName: "inference.ModelInferResponse.InferOutputTensor",
        name: o.name,
        datatype: o.datatype,
        shape: o.shape.map(BigInt),
        parameters: {},
        contents: raw ? undefined : contents(o),
      }),
    ),
    rawOutputContents: raw ? result.outputs.map(rawBytes) : [],
  };
}

type Req<K extends keyof (typeof GRPCInferenceService)["method"]> = MessageShape<
  (typeof GRPCInferenceService)["method"][K]["input"]
>;

/** GRPCInferenceService over `inference`, for the gRPC port (reflection lists it with the others). */
export function oipGrpcBinding(inference: Inference): ServiceBinding {
  const impl = {
    serverLive: () => ({ live: true }),
    serverReady: async (_: Req<"serverReady">, ctx: CallContext) => ({
      ready: await inference.serverReady(ctx),
    }),
    modelReady: async (req: Req<"modelReady">, ctx: CallContext) => ({
      ready: await inference.modelReady(req.name, req.version, ctx),
    }),
    serverMetadata: () => inference.serverMetadata(),
    modelMetadata: async (req: Req<"modelMetadata">, ctx: CallContext) => {
      const m = await inference.modelMetadata(req.name, req.version, ctx);
      return {
        ...m,
        inputs: m.inputs.map((t) => ({ ...t, shape: t.shape.map(BigInt) })),
        outputs: m.outputs.map((t) => ({ ...t, shape: t.shape.map(BigInt) })),
      };
    },
    modelInfer: async (req: Req<"modelInfer">, ctx: CallContext) => {
      const result = await inference.infer(
        {
          modelName: req.modelName,
          modelVersion: req.modelVersion,
          id: req.id,
          inputs: inputs(req),
          outputs: req.outputs.map((o) => o.name),
          parameters: parameters(req.parameters),
        },
        ctx,
      );
      return inferResponse(result, req.rawInputContents.length > 0);
    },
  };
  return { service: GRPCInferenceService, impl, transport: "oip-grpc" };
}
