// The gRPC port's hand-read ModelInferRequest (src/transports/oip/infer-request.ts) is the message
// fromBinary reads, for the requests it takes and for the ones it leaves to fromBinary.
import { create, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ModelInferRequestSchema } from "../../src/gen/inference/open_inference_grpc_pb.js";
import { decodeModelInferRequest, readLean } from "../../src/transports/oip/infer-request.js";

type Init = MessageInitShape<typeof ModelInferRequestSchema>;

const row = [
  1.5, -0.3, 2.1, 0.8, -1.2, 0.5, 1.8, -0.7, 2.3, 0.2, -1.5, 1.1, 0.9, -0.4, 2, 0.7, -1.8, 1.3, 0.6, -0.9,
];
const tensor = { name: "features", datatype: "FP64", shape: [1n, 20n], contents: { fp64Contents: row } };
const base: Init = { modelName: "ml_classifier", inputs: [tensor] };

const bytesOf = (init: Init) => toBinary(ModelInferRequestSchema, create(ModelInferRequestSchema, init));

function outcome(run: () => unknown): { ok: unknown } | { error: string } {
  try {
    return { ok: run() };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** Both readings of `bytes`: equal messages, or the same error. */
function expectSame(bytes: Uint8Array, label: string): void {
  const want = outcome(() => fromBinary(ModelInferRequestSchema, bytes));
  expect(
    outcome(() => decodeModelInferRequest(bytes)),
    label,
  ).toEqual(want);
}

const lean: Array<[string, Init]> = [
  ["the bench's request", base],
  [
    "names, id and requested outputs",
    { ...base, modelVersion: "3", id: "req-1", outputs: [{ name: "label" }, { name: "probabilities" }] },
  ],
  [
    "several inputs, one without contents",
    { ...base, inputs: [tensor, { name: "b", datatype: "FP64", shape: [2n, 1n] }] },
  ],
  ["empty contents and an empty shape", { inputs: [{ name: "x", datatype: "FP64", contents: {} }] }],
  [
    "special doubles",
    { inputs: [{ ...tensor, contents: { fp64Contents: [0, -0, Number.NaN, Infinity, -Infinity, 5e-324] } }] },
  ],
  ["large dimensions", { inputs: [{ ...tensor, shape: [2n ** 40n, 0n] }] }],
  ["nothing at all", {}],
];

const left: Array<[string, Init]> = [
  [
    "request parameters",
    { ...base, parameters: { priority: { parameterChoice: { case: "int64Param", value: 1n } } } },
  ],
  [
    "tensor parameters",
    { inputs: [{ ...tensor, parameters: { p: { parameterChoice: { case: "boolParam", value: true } } } }] },
  ],
  [
    "output parameters",
    {
      ...base,
      outputs: [
        { name: "label", parameters: { a: { parameterChoice: { case: "stringParam", value: "x" } } } },
      ],
    },
  ],
  [
    "raw input contents",
    { ...base, inputs: [{ ...tensor, contents: undefined }], rawInputContents: [new Uint8Array(160)] },
  ],
  ["FP32 contents", { inputs: [{ ...tensor, datatype: "FP32", contents: { fp32Contents: [1, 2] } }] }],
  ["INT64 contents", { inputs: [{ ...tensor, datatype: "INT64", contents: { int64Contents: [1n, -2n] } }] }],
  ["a negative dimension (10-byte varint)", { inputs: [{ ...tensor, shape: [-1n, 20n] }] }],
  ["non-ASCII names", { modelName: "modèle", inputs: [{ ...tensor, name: "ñ" }] }],
];

describe("decodeModelInferRequest", () => {
  it.each(lean)("%s: read by hand, as fromBinary reads it", (_name, init) => {
    const bytes = bytesOf(init);
    expect(readLean(bytes)).toBeDefined();
    expectSame(bytes, _name);
  });

  it.each(left)("%s: left to fromBinary", (_name, init) => {
    const bytes = bytesOf(init);
    expect(readLean(bytes)).toBeUndefined();
    expectSame(bytes, _name);
  });

  it("reads the other encodings of a field as fromBinary does", () => {
    const b = Buffer.from(bytesOf(base));
    const cases: Array<[string, Uint8Array]> = [
      // Unpacked int64 shape and unpacked doubles: tensor field 3 as varints, contents field 7 as I64.
      ["unpacked", bytesOf({})],
      ["a string field twice (the last wins)", Buffer.concat([b, Buffer.from([0x0a, 0x01, 0x78])])],
      ["an unknown field (kept as unknown)", Buffer.concat([b, Buffer.from([0x48, 0x05])])],
      ["a second contents (merged)", Buffer.from(bytesOf({ inputs: [tensor] }))],
    ];
    // Hand-written: InferInputTensor { shape: 2, 3 unpacked; contents { fp64 1.5 unpacked } }.
    const contents = Buffer.concat([Buffer.from([0x39]), Buffer.from(new Float64Array([1.5]).buffer)]);
    const input = Buffer.concat([Buffer.from([0x18, 0x02, 0x18, 0x03, 0x2a, contents.length]), contents]);
    cases[0]![1] = Buffer.concat([Buffer.from([0x2a, input.length]), input]);
    const twice = Buffer.concat([
      Buffer.from([0x2a, input.length + contents.length + 2]),
      input,
      Buffer.from([0x2a, contents.length]),
      contents,
    ]);
    cases[3]![1] = twice;
    for (const [label, bytes] of cases) expectSame(bytes, label);
    expect(readLean(cases[0]![1])).toBeDefined();
  });

  it("answers as fromBinary for cut and corrupted bytes", () => {
    const good = Buffer.from(bytesOf({ ...base, id: "x", outputs: [{ name: "label" }] }));
    // A fixed-seed generator, so a failure repeats.
    let state = 0x9e3779b9;
    const next = () => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return state >>> 0;
    };
    for (let cut = 0; cut < good.length; cut++) expectSame(good.subarray(0, cut), `cut at ${cut}`);
    for (let i = 0; i < 2000; i++) {
      const bytes = Buffer.from(good);
      for (let k = 0; k <= next() % 3; k++) bytes[next() % bytes.length] = next() & 0xff;
      expectSame(bytes, bytes.toString("hex"));
    }
  });
});
