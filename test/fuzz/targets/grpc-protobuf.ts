// gRPC's protobuf request decoding: the requestDeserialize of the grpc-js service definitions the
// gRPC port registers (protobuf-es's fromBinary, and the hand-read ModelInferRequest), for every
// unary method. A decoded message must re-encode, re-encoding is stable (decode ∘ encode is the
// identity on what decode returns), and a hand-read message is the one fromBinary reads.
import { Buffer } from "node:buffer";
import type { DescMethodUnary } from "@bufbuild/protobuf";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { GRPCInferenceService } from "../../../src/gen/inference/open_inference_grpc_pb.js";
import { grpcServiceDefinition } from "../../../src/transports/grpc/service-definition.js";
import { OIP_DECODERS } from "../../../src/transports/oip/grpc.js";
import { mutatedBytes } from "../mutate.js";
import type { FuzzTarget } from "../target.js";
import { exampleMessage, FUZZ_SERVICES } from "./examples.js";

/** protobuf-es's binary decode errors: each is a malformed message, which the gRPC port answers with a status. */
const DECODE_ERRORS = [
  /^illegal tag: /,
  /^premature EOF$/,
  /^cant skip wire type \d+$/,
  /^invalid end group tag$/,
  /^invalid varint$/,
  /^invalid wire type/,
  /^The encoded data was not valid for encoding utf-8$/,
  /^Offset is outside the bounds of the DataView$/,
];

interface GrpcInput {
  method: number;
  bytes: Uint8Array;
}

export const grpcProtobufTarget: FuzzTarget<GrpcInput> = {
  name: "grpc-protobuf",
  parser: "gRPC request bytes → message (requestDeserialize), every unary method",
  documented: "protobuf-es decode errors (illegal tag, premature EOF, invalid varint, bad UTF-8, …)",
  expected: (e) => e instanceof Error && DECODE_ERRORS.some((p) => p.test(e.message)),
  async setup() {
    // The Open Inference Protocol's service is on the gRPC port too.
    const methods = [...FUZZ_SERVICES, GRPCInferenceService].flatMap((s) =>
      s.methods
        .filter((m): m is DescMethodUnary => m.methodKind === "unary")
        .map((m) => ({ m, def: grpcServiceDefinition(s, { decoders: OIP_DECODERS })[m.localName] })),
    );
    const seeds = methods.map(({ m }) => toBinary(m.input, exampleMessage(m.input)));
    return {
      arbitrary: fc.record({
        method: fc.nat({ max: methods.length - 1 }),
        bytes: fc.oneof(
          { weight: 6, arbitrary: mutatedBytes(seeds) },
          { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
        ),
      }),
      run({ method, bytes }) {
        const entry = methods[method];
        if (!entry?.def) throw new Error(`no method ${method}`);
        const { def } = entry;
        const decoded = def.requestDeserialize(Buffer.from(bytes));
        if (OIP_DECODERS.has(entry.m.input.typeName)) {
          const want = toBinary(entry.m.input, fromBinary(entry.m.input, bytes));
          if (!Buffer.from(want).equals(def.requestSerialize(decoded))) {
            throw new Error(`${entry.m.name}: the hand-read message is not fromBinary's`);
          }
        }
        const once = def.requestSerialize(decoded);
        const twice = def.requestSerialize(def.requestDeserialize(once));
        if (!once.equals(twice)) throw new Error(`${entry.m.name}: re-encoding is not stable`);
      },
    };
  },
};
