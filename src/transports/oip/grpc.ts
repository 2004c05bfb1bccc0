// inference.GRPCInferenceService (the vendored open_inference_grpc.proto) as one more binding of the
// gRPC port: protobuf-es messages ↔ the shared OIP operations. grpc-js serves it with the pipeline
// like every other service; its calls are recorded under the transport "oip-grpc".
import type { MessageShape } from "@bufbuild/protobuf";
import {
  GRPCInferenceService,
  type InferParameter,
  type ModelInferRequest,
  ModelInferRequestSchema,
  ModelInferResponseSchema,
} from "../../gen/inference/open_inference_grpc_pb.js";
import type { ServiceBinding } from "../../rpc/binding.js";
import type { CallContext } from "../../rpc/context.js";
import { invalidArgument } from "../../rpc/service-error.js";
import { decodeModelInferRequest } from "./infer-request.js";
import { encodeModelInferResponse, InferReply } from "./infer-response.js";
import type { Inference, InferInput } from "./inference.js";
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

type Req<K extends keyof (typeof GRPCInferenceService)["method"]> = MessageShape<
  (typeof GRPCInferenceService)["method"][K]["input"]
>;

/** The common request (FP64 contents) read by hand (infer-request.ts), the rest by fromBinary. */
export const OIP_DECODERS: ReadonlyMap<string, (bytes: Uint8Array) => unknown> = new Map([
  [ModelInferRequestSchema.typeName, decodeModelInferRequest],
]);

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
    // Not async (a throw here is the pipeline's rejection); the reply is written by
    // encodeModelInferResponse (infer-response.ts), the port's encoder for this type: raw when
    // asked raw (as Triton's clients read either form), else typed `contents`.
    modelInfer: (req: Req<"modelInfer">, ctx: CallContext) =>
      inference
        .infer(
          {
            modelName: req.modelName,
            modelVersion: req.modelVersion,
            id: req.id,
            inputs: inputs(req),
            outputs: req.outputs.map((o) => o.name),
            parameters: parameters(req.parameters),
          },
          ctx,
        )
        .then((result) => new InferReply(result, req.rawInputContents.length > 0)),
  };
  return {
    service: GRPCInferenceService,
    impl,
    transport: "oip-grpc",
    // modelInfer answers an InferReply, which this encoder writes (byte-equal to toBinary).
    encoders: new Map([[ModelInferResponseSchema.typeName, encodeModelInferResponse]]),
    decoders: OIP_DECODERS,
  };
}
