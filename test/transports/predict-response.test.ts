// The hand-written PredictResponse encoders write exactly protobuf-es's bytes and JSON text.
import { create, fromBinary, toBinary, toJsonString } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { PredictResponseSchema } from "../../src/gen/mlops/v1/predict_pb.js";
import { encodePredictResponse, predictResponseJson } from "../../src/transports/predict-response.js";

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
  ["infinities and tiny exponents", { ...base, probability: [Infinity, -Infinity, 1e-7, -1.5e-300, 1e21] }],
  ["strings JSON must escape", { ...base, label: 'a "quoted"\\ label\n\t\u0001\u2028', modelName: "\ud800" }],
  ["only a timestamp", { timestamp: "2026-12-02T19:10:00.123Z" }],
  ["nothing set", {}],
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

describe("predictResponseJson", () => {
  it.each(cases)("%s: the text toJsonString writes", (_name, init) => {
    expect(predictResponseJson(init)).toBe(
      toJsonString(PredictResponseSchema, create(PredictResponseSchema, init)),
    );
  });

  it("takes the message as well as its init shape", () => {
    const message = create(PredictResponseSchema, base);
    expect(predictResponseJson(message)).toBe(predictResponseJson(base));
  });

  it("writes toJsonString's text for random replies", () => {
    // A fixed-seed generator, so a failure repeats.
    let state = 0x2545f491;
    const next = () => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) / 2 ** 32;
    };
    const specials = [0, -0, Number.NaN, Infinity, -Infinity, 1e-320, 2 ** 53, 0.1 + 0.2];
    const text = () =>
      next() < 0.2
        ? ""
        : String.fromCharCode(
            ...Array.from({ length: 1 + Math.floor(next() * 12) }, () => Math.floor(next() * 0x2100)),
          );
    for (let i = 0; i < 500; i++) {
      const n = Math.floor(next() * 6);
      const init = {
        prediction: next() < 0.1 ? undefined : Math.floor((next() - 0.2) * 2 ** 31),
        probability: Array.from({ length: n }, () =>
          next() < 0.1
            ? specials[Math.floor(next() * specials.length)]!
            : next() * 10 ** Math.floor(next() * 40 - 20),
        ),
        modelVersion: text(),
        timestamp: text(),
        modelName: text(),
        label: text(),
      };
      expect(predictResponseJson(init)).toBe(
        toJsonString(PredictResponseSchema, create(PredictResponseSchema, init)),
      );
    }
  });
});
