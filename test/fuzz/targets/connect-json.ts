// Connect's JSON request decoding for every unary method: the lean Connect adapter's decoder
// (src/transports/http/connect-decode.ts: protobuf-es, unknown keys ignored, enum spellings as REST
// takes them, errors naming the field). The read limit is the body reader's, before it.
import type { DescMethodUnary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { ServiceError } from "../../../src/rpc/service-error.js";
import { createConnectDecoder } from "../../../src/transports/http/connect-decode.js";
import { JSON_TOKENS, mutatedBytes } from "../mutate.js";
import type { FuzzTarget } from "../target.js";
import { exampleJson, FUZZ_SERVICES, SEED_ROW } from "./examples.js";

const encoder = new TextEncoder();

interface ConnectInput {
  method: number;
  body: Uint8Array;
}

export const connectJsonTarget: FuzzTarget<ConnectInput> = {
  name: "connect-json",
  parser: "Connect JSON request → message, every unary method",
  documented: "ServiceError INVALID_ARGUMENT (a bad message, naming the field)",
  expected: (e) => e instanceof ServiceError && e.code === "INVALID_ARGUMENT",
  async setup() {
    const methods = FUZZ_SERVICES.flatMap((s) => s.methods).filter(
      (m): m is DescMethodUnary => m.methodKind === "unary",
    );
    const parsers = methods.map((m) => {
      const decode = createConnectDecoder(m.input);
      return (body: Uint8Array) => decode(body, false);
    });
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
