// The lean Connect decoder's flat-JSON path (src/transports/http/connect-decode.ts) answers exactly as
// protobuf-es's fromJsonString: the same message, or the same error, for flat bodies, duplicate keys
// (also spelled with escapes or hidden in strings), nested values and malformed text.
import { fromJsonString } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { PredictBatchRequestSchema, PredictRequestSchema } from "../../src/gen/mlops/v1/predict_pb.js";
import { createConnectDecoder } from "../../src/transports/http/connect-decode.js";
import { decodeError } from "../../src/transports/http/decode-error.js";

const encoder = new TextEncoder();

function outcome(run: () => unknown): { ok: unknown } | { error: string } {
  try {
    return { ok: run() };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

const BODIES = [
  '{"features":[1.5,-0.3,2.1]}',
  ' { "features" : [ 1, 2 ] , "modelName" : "m:x" } ',
  '{"features":[1,"NaN","2"],"model_version":"3"}',
  '{"features":[1,2],"features":[3]}',
  '{"features":[1,2],"feat\\u0075res":[3]}',
  '{"modelName":"a\\":b","modelName":"c"}',
  '{"modelName":"\\\\","features":[1]}',
  '{"features":[1,2],"unknown":{"a":1,"a":2}}',
  '{"features":[{"a":1}]}',
  '{"features":[1,null]}',
  '{"features":null,"modelName":null}',
  '{"features":"x"}',
  '{"rows":[{"values":[1,2]},{"values":[3]}]}',
  '{"rows":[{"values":[1],"values":[2]}]}',
  "[1,2]",
  "3",
  "null",
  "{}",
  "",
  '{"features":[1,2]',
  // The quick read of finite double lists (one key), and what it leaves to fromJson.
  '{"features":[-0,1e-320,5e-324,1.7976931348623157e308]}',
  '{"features":[1e400]}',
  '{"features":[-1e400,1]}',
  '{"features":[]}',
  '{"features":[1,true]}',
  '{"features":[1],"unknown":3,"other":[1,2]}',
  '{"__proto__":[1],"features":[2]}',
  '{"features":[1,2],"n_features":2}',
  '{"nFeatures":"2","features":[1,2]}',
  '{"n_features":2,"nFeatures":2,"features":[1,2]}',
  '{"features":[1],"model_name":"\\ud800"}',
  '{"model_alias":"a","features":[3,4]}',
];

describe("Connect JSON decoding", () => {
  for (const schema of [PredictRequestSchema, PredictBatchRequestSchema]) {
    const decode = createConnectDecoder(schema);
    it(`${schema.typeName}: the flat path agrees with fromJsonString`, () => {
      for (const body of BODIES) {
        // fromJsonString, its errors mapped as the decoder maps them (named as REST names fields).
        const want = outcome(() => {
          try {
            return fromJsonString(schema, body, { ignoreUnknownFields: true });
          } catch (e) {
            throw (e as Error).message.startsWith("cannot decode ") ? decodeError(schema, e) : e;
          }
        });
        const got = outcome(() => decode(encoder.encode(body), false));
        expect(got, body).toEqual(want);
      }
    });
  }

  it("refuses a duplicate key on the flat path as fromJsonString does", () => {
    const decode = createConnectDecoder(PredictRequestSchema);
    expect(() => decode(encoder.encode('{"features":[1,2],"features":[3]}'), false)).toThrow(/duplicate/i);
  });

  it("reads a JSON body's text as it reads its bytes (BOM, invalid UTF-8)", () => {
    const decode = createConnectDecoder(PredictRequestSchema);
    const bodies = [
      Buffer.from('\ufeff{"features":[1,2]}'),
      Buffer.concat([
        Buffer.from('{"model_name":"a'),
        Buffer.from([0xff, 0xc3, 0x28, 0xe2, 0x82]),
        Buffer.from('","features":[1]}'),
      ]),
      Buffer.from('{"features":[1],"model_name":"ñandú 🐦"}'),
      Buffer.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, 0x7b, 0x7d]),
    ];
    for (const bytes of bodies) {
      const asBytes = outcome(() => decode(new Uint8Array(bytes), false));
      expect(
        outcome(() => decode(bytes.toString("utf8"), false)),
        bytes.toString("hex"),
      ).toEqual(asBytes);
    }
  });
});
