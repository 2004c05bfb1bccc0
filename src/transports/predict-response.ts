// PredictResponse written by hand, in protobuf's binary format (the gRPC port, Connect's
// application/proto; docs/decisions/0020) and in proto3 JSON (Connect's application/json;
// docs/decisions/0029): exactly what protobuf-es's toBinary and toJsonString write, without their
// per-field reflection (~3 µs of a gRPC Predict's ~30, ~1.6 µs of a Connect one's).
import { create, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { PredictResponseSchema } from "../gen/mlops/v1/predict_pb.js";
import { jsonString } from "./json-string.js";
import { utf8Length, varintSize, writeString, writeVarint } from "./proto-wire.js";

type PredictResponseInit = MessageInitShape<typeof PredictResponseSchema>;

/** The strings in field order: model_version 3, timestamp 4, model_name 5, label 6. */
const STRING_FIELDS = [3, 4, 5, 6] as const;

/**
 * PredictResponse (the message or its init shape) as protobuf bytes, field by field in number
 * order as toBinary writes them: `prediction` when set (an int32, negative ones as 10-byte
 * varints), `probability` packed, then the non-empty strings. A message carrying unknown fields
 * goes through toBinary.
 */
export function encodePredictResponse(r: PredictResponseInit): Buffer {
  if ((r as { $unknown?: unknown[] }).$unknown?.length) {
    const bytes = toBinary(PredictResponseSchema, create(PredictResponseSchema, r));
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  const prediction = r.prediction;
  const probability = r.probability ?? [];
  const strings = [r.modelVersion ?? "", r.timestamp ?? "", r.modelName ?? "", r.label ?? ""];
  const lengths = [0, 0, 0, 0];
  let size = 0;
  if (prediction !== undefined) size += 1 + (prediction < 0 ? 10 : varintSize(prediction));
  const n = probability.length;
  if (n > 0) size += 1 + varintSize(n * 8) + n * 8;
  for (let i = 0; i < 4; i++) {
    const s = strings[i] as string;
    if (s === "") continue;
    const length = utf8Length(s);
    lengths[i] = length;
    size += 1 + varintSize(length) + length;
  }
  const buf = Buffer.allocUnsafe(size);
  let at = 0;
  if (prediction !== undefined) {
    buf[at++] = 0x08; // field 1, varint
    if (prediction < 0) {
      // Sign-extended to 64 bits, as protobuf writes a negative int32.
      let v = BigInt.asUintN(64, BigInt(prediction));
      while (v >= 0x80n) {
        buf[at++] = Number(v & 0x7fn) | 0x80;
        v >>= 7n;
      }
      buf[at++] = Number(v);
    } else {
      at = writeVarint(buf, at, prediction);
    }
  }
  if (n > 0) {
    buf[at++] = 0x12; // field 2, length-delimited (packed doubles)
    at = writeVarint(buf, at, n * 8);
    for (let k = 0; k < n; k++) at = buf.writeDoubleLE(probability[k] as number, at);
  }
  for (let i = 0; i < 4; i++) {
    const length = lengths[i] as number;
    if (length === 0) continue;
    buf[at++] = ((STRING_FIELDS[i] as number) << 3) | 2;
    at = writeVarint(buf, at, length);
    at = writeString(buf, at, strings[i] as string, length);
  }
  return buf;
}

/** A double as proto3 JSON writes it: a number, or the strings protobuf-es writes for the others. */
function jsonDouble(v: number): string {
  if (Number.isFinite(v)) return String(v);
  return Number.isNaN(v) ? '"NaN"' : v > 0 ? '"Infinity"' : '"-Infinity"';
}

/**
 * The last timestamp's JSON: the replies of a batch share one (formatted once per millisecond), and
 * a new one each millisecond would push the names out of jsonString's cache.
 */
let lastTimestamp = "";
let lastTimestampJson = '""';
function timestampJson(s: string): string {
  if (s !== lastTimestamp) {
    lastTimestampJson = JSON.stringify(s);
    lastTimestamp = s;
  }
  return lastTimestampJson;
}

/**
 * PredictResponse (the message or its init shape) as proto3 JSON text, as toJsonString writes it
 * with default options: fields in declaration order under their JSON names, `prediction` when set
 * (explicit presence), and the empty list and empty strings left out. Unknown fields are not
 * written by toJsonString either.
 */
export function predictResponseJson(r: PredictResponseInit): string {
  let json = "";
  if (r.prediction !== undefined) json += `,"prediction":${r.prediction}`;
  const probability = r.probability;
  if (probability !== undefined && probability.length > 0) {
    json += `,"probability":[${jsonDouble(probability[0] as number)}`;
    for (let i = 1; i < probability.length; i++) json += `,${jsonDouble(probability[i] as number)}`;
    json += "]";
  }
  if (r.modelVersion) json += `,"model_version":${jsonString(r.modelVersion)}`;
  if (r.timestamp) json += `,"timestamp":${timestampJson(r.timestamp)}`;
  if (r.modelName) json += `,"model_name":${jsonString(r.modelName)}`;
  if (r.label) json += `,"label":${jsonString(r.label)}`;
  return json === "" ? "{}" : `{${json.slice(1)}}`;
}

/** A reply message's hand-written encoders: toBinary's bytes and toJsonString's text. */
export interface HandEncoders {
  binary: (message: never) => Buffer;
  json: (message: never) => string;
}

/** The reply messages written by hand, by type name: the one table both ports look up. */
export const HAND_ENCODERS: ReadonlyMap<string, HandEncoders> = new Map([
  [PredictResponseSchema.typeName, { binary: encodePredictResponse, json: predictResponseJson }],
]);
