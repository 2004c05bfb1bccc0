// Connect's JSON request decoding: the serialization connect-node uses for every unary method
// (protobuf-es's fromJsonString behind Connect's read limit), with the options our adapter gives it.
import type { DescMethodUnary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { createMethodSerializationLookup } from "@connectrpc/connect/protocol";
import fc from "fast-check";
import { JSON_TOKENS, mutatedBytes } from "../mutate.js";
import type { FuzzTarget } from "../target.js";
import { exampleJson, FUZZ_SERVICES, SEED_ROW } from "./examples.js";

const READ_MAX = 1 << 20;
const encoder = new TextEncoder();

interface ConnectInput {
  method: number;
  body: Uint8Array;
}

export const connectJsonTarget: FuzzTarget<ConnectInput> = {
  name: "connect-json",
  parser: "Connect JSON request → message, every unary method",
  documented: "ConnectError invalid_argument (a bad message), resource_exhausted (over the read limit)",
  expected: (e) =>
    e instanceof ConnectError && (e.code === Code.InvalidArgument || e.code === Code.ResourceExhausted),
  async setup() {
    const methods = FUZZ_SERVICES.flatMap((s) => s.methods).filter(
      (m): m is DescMethodUnary => m.methodKind === "unary",
    );
    const parsers = methods.map(
      (m) =>
        createMethodSerializationLookup(m, undefined, undefined, {
          readMaxBytes: READ_MAX,
          writeMaxBytes: READ_MAX,
        }).getI(false).parse,
    );
    const seeds = [
      ...methods.map((m) => encoder.encode(JSON.stringify(exampleJson(m.input)))),
      encoder.encode(JSON.stringify({ features: SEED_ROW })),
    ];
    const names = [...new Set(methods.flatMap((m) => m.input.fields.flatMap((f) => [f.jsonName, f.name])))];
    const structured = fc
      .dictionary(fc.constantFrom(...names, "unknown"), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 })
      .map((o) => encoder.encode(JSON.stringify(o)));
    return {
      arbitrary: fc.record({
        method: fc.nat({ max: methods.length - 1 }),
        body: fc.oneof(
          { weight: 5, arbitrary: mutatedBytes(seeds, { tokens: JSON_TOKENS }) },
          { weight: 3, arbitrary: structured },
          { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
        ),
      }),
      run({ method, body }) {
        const parse = parsers[method];
        if (!parse) throw new Error(`no method ${method}`);
        return parse(body);
      },
    };
  },
};
