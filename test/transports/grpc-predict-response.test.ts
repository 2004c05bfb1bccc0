// The hand-written PredictResponse encoder of the gRPC port writes exactly protobuf-es's bytes.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { PredictResponseSchema } from "../../src/gen/mlops/v1/predict_pb.js";
import { encodePredictResponse } from "../../src/transports/grpc/predict-response.js";

const base = {
  prediction: 1,
  label: "1",
  probability: [0.1921642926580774, 0.8078357073419226],
  modelVersion: "3",
  modelName: "ml_classifier",
  timestamp: "2026-12-02T19:10:00.123Z",
};

const cases: Array<[string, Parameters<typeof encodePredictResponse>[0]]> = [
  ["the usual reply", base],
  ["class 0 (an explicit zero)", { ...base, prediction: 0 }],
  ["no prediction set", { ...base, prediction: undefined }],
  ["a negative prediction (10-byte varint)", { ...base, prediction: -2 }],
  ["a large class index", { ...base, prediction: 2 ** 31 - 1 }],
  ["empty strings and no probabilities", { prediction: 0, probability: [], label: "", modelName: "" }],
  ["non-ASCII labels", { ...base, label: "ñandú 🐦", modelName: "modèle" }],
  ["many classes (a 2-byte length)", { ...base, probability: Array.from({ length: 40 }, (_, i) => i / 40) }],
  ["special doubles", { ...base, probability: [0, -0, Number.MIN_VALUE, 1e308, Number.NaN] }],
  ["a long label (2-byte length)", { ...base, label: "x".repeat(300) }],
];

describe("encodePredictResponse", () => {
  it.each(cases)("%s: the bytes toBinary writes", (_name, init) => {
    const expected = toBinary(PredictResponseSchema, create(PredictResponseSchema, init));
    const got = encodePredictResponse(init);
    expect(Buffer.from(got).equals(Buffer.from(expected))).toBe(true);
    expect(fromBinary(PredictResponseSchema, got)).toEqual(fromBinary(PredictResponseSchema, expected));
  });

  it("takes the message as well as its init shape", () => {
    const message = create(PredictResponseSchema, base);
    expect(encodePredictResponse(message).equals(encodePredictResponse(base))).toBe(true);
  });
});
