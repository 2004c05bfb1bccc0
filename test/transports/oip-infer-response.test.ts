// The hand-written ModelInferResponse encoder of the gRPC port writes exactly the bytes protobuf-es's
// toBinary writes for the reference message, typed and raw, on many shapes.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ModelInferResponseSchema } from "../../src/gen/inference/open_inference_grpc_pb.js";
import {
  encodeModelInferResponse,
  InferReply,
  inferResponseMessage,
} from "../../src/transports/oip/infer-response.js";
import type { InferResult, OutputTensor } from "../../src/transports/oip/inference.js";

const probs = (rows: number, classes: number) =>
  Float64Array.from({ length: rows * classes }, (_, i) => ((i * 7919) % 1000) / 997);

function result(outputs: OutputTensor[], over: Partial<InferResult> = {}): InferResult {
  return { modelName: "ml_classifier", modelVersion: "3", id: "req-1", outputs, ...over };
}

const label = (values: ArrayLike<number>): OutputTensor => ({
  name: "label",
  datatype: "INT64",
  shape: [values.length],
  values,
});
const probabilities = (rows: number, classes: number): OutputTensor => ({
  name: "probabilities",
  datatype: "FP64",
  shape: [rows, classes],
  values: probs(rows, classes),
});
const strings = (values: string[]): OutputTensor => ({
  name: "label",
  datatype: "BYTES",
  shape: [values.length],
  values,
});

const cases: Array<[string, InferResult]> = [
  ["the usual reply (1 row, 2 classes)", result([label(Int32Array.of(1)), probabilities(1, 2)])],
  ["class 0 and a plain number array", result([label([0]), probabilities(1, 2)])],
  ["no id, no version", result([label([1]), probabilities(1, 2)], { id: "", modelVersion: "" })],
  ["empty model name", result([label([1])], { modelName: "", modelVersion: "", id: "" })],
  ["no outputs", result([])],
  ["zero rows", result([label([]), { ...probabilities(0, 3), shape: [0, 3] }])],
  [
    "a 128-row batch (2-byte lengths)",
    result([label(Int32Array.from({ length: 128 }, (_, i) => i % 3)), probabilities(128, 3)]),
  ],
  [
    "a 5,000-row batch (3-byte lengths)",
    result([label(Int32Array.from({ length: 5000 }, (_, i) => i % 300)), probabilities(5000, 4)]),
  ],
  ["large class indices", result([label([127, 128, 16383, 16384, 2 ** 31, 2 ** 53 - 1])])],
  ["a negative class (the reference path)", result([label([-1, 2]), probabilities(2, 2)])],
  ["a non-integer INT64 (the reference path)", result([label([1.5])])],
  ["a negative shape (the reference path)", result([{ ...label([1]), shape: [-1] }])],
  [
    "special doubles",
    result([
      {
        ...probabilities(1, 6),
        values: Float64Array.of(0, -0, Number.MIN_VALUE, 1e308, Number.NaN, -Infinity),
      },
    ]),
  ],
  ["BYTES labels", result([strings(["cat", "dog", ""]), probabilities(3, 2)])],
  [
    "non-ASCII BYTES and names",
    result([{ ...strings(["ñandú 🐦", "x".repeat(300)]), name: "étiquette" as OutputTensor["name"] }], {
      modelName: "modèle",
    }),
  ],
  ["an empty BYTES tensor", result([strings([])])],
  ["a long id (2-byte length)", result([label([1]), probabilities(1, 2)], { id: "i".repeat(200) })],
  ["a big shape value", result([{ ...probabilities(1, 2), shape: [1, 2, 300000] }])],
];

describe("encodeModelInferResponse", () => {
  for (const raw of [false, true]) {
    it.each(cases)(`%s (${raw ? "raw" : "typed"}): the bytes toBinary writes`, (_name, r) => {
      let expected: Uint8Array;
      try {
        expected = toBinary(ModelInferResponseSchema, inferResponseMessage(r, raw));
      } catch (err) {
        expect(() => encodeModelInferResponse(new InferReply(r, raw))).toThrow((err as Error).message);
        return;
      }
      const got = encodeModelInferResponse(new InferReply(r, raw));
      expect(Buffer.from(got).equals(Buffer.from(expected))).toBe(true);
      expect(fromBinary(ModelInferResponseSchema, new Uint8Array(got))).toEqual(
        fromBinary(ModelInferResponseSchema, expected),
      );
    });
  }

  it("takes a message or its init shape as well", () => {
    const r = result([label([1]), probabilities(1, 2)]);
    const message = inferResponseMessage(r, false);
    const expected = Buffer.from(toBinary(ModelInferResponseSchema, message));
    expect(encodeModelInferResponse(message).equals(expected)).toBe(true);
    expect(
      encodeModelInferResponse({ modelName: "m", id: "x" }).equals(
        Buffer.from(
          toBinary(ModelInferResponseSchema, create(ModelInferResponseSchema, { modelName: "m", id: "x" })),
        ),
      ),
    ).toBe(true);
  });
});
