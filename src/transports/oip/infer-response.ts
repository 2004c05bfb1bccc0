// ModelInferResponse's wire bytes written by hand for the gRPC port (docs/decisions/0020): the bytes
// protobuf-es's toBinary writes for the message the reference builder makes, without building that
// message (BigInt shapes and labels, copied value arrays) or toBinary's per-field reflection.
import { create, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import {
  type InferTensorContents,
  type ModelInferResponse,
  type ModelInferResponse_InferOutputTensor,
  ModelInferResponseSchema,
} from "../../gen/inference/open_inference_grpc_pb.js";
import { utf8Length, varintSize, writeString, writeVarint } from "../proto-wire.js";
import type { InferResult, OutputTensor } from "./inference.js";
import { emptyContents } from "./tensors.js";

/** What the ModelInfer handler returns: the result and its form, encoded by encodeModelInferResponse. */
export class InferReply {
  constructor(
    readonly result: InferResult,
    /** raw_output_contents (as the request was raw) rather than typed `contents`. */
    readonly raw: boolean,
  ) {}
}

const int64s = (values: ArrayLike<number>) => Array.from(values, (v) => BigInt(v));

/** An output as little-endian row-major bytes (raw_output_contents). */
function rawBytes(o: OutputTensor): Uint8Array {
  if (o.datatype === "FP64") {
    const v = o.values as Float64Array;
    return new Uint8Array(Float64Array.from(v).buffer);
  }
  if (o.datatype === "INT64") return new Uint8Array(BigInt64Array.from(int64s(o.values as number[])).buffer);
  // BYTES: each element is a 4-byte little-endian length, then its bytes.
  const parts = (o.values as readonly string[]).map((s) => Buffer.from(s, "utf8"));
  const out = Buffer.alloc(parts.reduce((n, p) => n + 4 + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.writeUInt32LE(p.length, at);
    p.copy(out, at + 4);
    at += 4 + p.length;
  }
  return out;
}

/** Typed `contents`, every repeated field present, so the message needs no further `create`. */
function contents(o: OutputTensor): InferTensorContents {
  const c = emptyContents();
  if (o.datatype === "FP64") c.fp64Contents = Array.from(o.values as Float64Array);
  else if (o.datatype === "INT64") c.int64Contents = int64s(o.values as number[]);
  else c.bytesContents = (o.values as readonly string[]).map((s) => Buffer.from(s, "utf8"));
  return c;
}

/**
 * The reference: the reply as a protobuf-es message. Raw when asked raw (as Triton's clients read
 * either form), else with typed `contents`. The hand encoder falls back to it for values it does
 * not take, and the tests compare the two.
 */
export function inferResponseMessage(result: InferResult, raw: boolean): ModelInferResponse {
  return {
    $typeName: "inference.ModelInferResponse",
    modelName: result.modelName,
    modelVersion: result.modelVersion,
    id: result.id,
    parameters: {},
    outputs: result.outputs.map(
      (o): ModelInferResponse_InferOutputTensor => ({
        $typeName: "inference.ModelInferResponse.InferOutputTensor",
        name: o.name,
        datatype: o.datatype,
        shape: o.shape.map(BigInt),
        parameters: {},
        contents: raw ? undefined : contents(o),
      }),
    ),
    rawOutputContents: raw ? result.outputs.map(rawBytes) : [],
  };
}

/** Whether every value is a non-negative safe integer (written as a plain varint, or as 8 raw bytes). */
function plainInts(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!(Number.isSafeInteger(v) && v >= 0)) return false;
  }
  return true;
}

/** Size of a packed int64 field's payload (the values are plainInts). */
function packedSize(values: ArrayLike<number>): number {
  let size = 0;
  for (let i = 0; i < values.length; i++) size += varintSize(values[i] as number);
  return size;
}

/** A length-delimited field's tag, length and payload size. */
const delimited = (length: number) => 1 + varintSize(length) + length;

/** Per output, the sizes the second pass writes, computed once. */
interface Sized {
  name: number; // the name's UTF-8 length
  shape: number; // packed shape payload
  values: number; // packed int64 / double payload, or the raw blob, or the BYTES elements' total
  strings: Buffer[] | undefined; // BYTES elements as UTF-8
  body: number; // the InferOutputTensor message
}

/**
 * ModelInferResponse as protobuf bytes, as toBinary writes `inferResponseMessage(result, raw)`:
 * fields in number order, empty strings and empty repeated fields left out, `contents` present
 * (maybe empty) on every typed output. A value the hand path does not take (a negative or
 * non-integer INT64, a negative shape) goes through the reference; so does a message.
 */
export function encodeModelInferResponse(
  reply: InferReply | MessageInitShape<typeof ModelInferResponseSchema>,
): Buffer {
  if (!(reply instanceof InferReply)) return viaToBinary(create(ModelInferResponseSchema, reply));
  const { result, raw } = reply;
  const outputs = result.outputs;
  for (const o of outputs) {
    if (!plainInts(o.shape) || (o.datatype === "INT64" && !plainInts(o.values as ArrayLike<number>))) {
      return viaToBinary(inferResponseMessage(result, raw));
    }
  }
  const modelName = utf8Length(result.modelName);
  const modelVersion = utf8Length(result.modelVersion);
  const id = utf8Length(result.id);
  let size = 0;
  if (modelName > 0) size += delimited(modelName);
  if (modelVersion > 0) size += delimited(modelVersion);
  if (id > 0) size += delimited(id);
  const sized: Sized[] = [];
  for (const o of outputs) {
    const name = utf8Length(o.name);
    let body = 0;
    if (name > 0) body += delimited(name);
    body += delimited(o.datatype.length); // never empty
    const shape = packedSize(o.shape);
    if (shape > 0) body += delimited(shape);
    let values = 0;
    let strings: Buffer[] | undefined;
    const n = o.values.length;
    if (o.datatype === "BYTES") {
      strings = (o.values as readonly string[]).map((s) => Buffer.from(s, "utf8"));
      for (const s of strings) values += raw ? 4 + s.length : delimited(s.length);
    } else if (o.datatype === "FP64" || raw) {
      values = n * 8;
    } else {
      values = packedSize(o.values as ArrayLike<number>);
    }
    if (raw) size += delimited(values);
    else {
      // contents: packed int64 (3), packed double (7) or repeated bytes (8); none when empty.
      const inner = o.datatype === "BYTES" || values === 0 ? values : delimited(values);
      body += delimited(inner);
    }
    size += delimited(body);
    sized.push({ name, shape, values, strings, body });
  }

  const buf = Buffer.allocUnsafe(size);
  let at = 0;
  const string = (tag: number, s: string, length: number) => {
    if (length === 0) return;
    buf[at++] = tag;
    at = writeVarint(buf, at, length);
    at = writeString(buf, at, s, length);
  };
  string(0x0a, result.modelName, modelName);
  string(0x12, result.modelVersion, modelVersion);
  string(0x1a, result.id, id);
  for (let k = 0; k < outputs.length; k++) {
    const o = outputs[k] as OutputTensor;
    const s = sized[k] as Sized;
    buf[at++] = 0x2a; // outputs (5)
    at = writeVarint(buf, at, s.body);
    string(0x0a, o.name, s.name);
    string(0x12, o.datatype, o.datatype.length);
    if (s.shape > 0) {
      buf[at++] = 0x1a; // shape (3), packed int64
      at = writeVarint(buf, at, s.shape);
      for (const d of o.shape) at = writeVarint(buf, at, d);
    }
    if (raw) continue;
    buf[at++] = 0x2a; // contents (5)
    const n = o.values.length;
    if (o.datatype === "BYTES") {
      at = writeVarint(buf, at, s.values);
      for (const b of s.strings as Buffer[]) {
        buf[at++] = 0x42; // bytes_contents (8)
        at = writeVarint(buf, at, b.length);
        at += b.copy(buf, at);
      }
    } else if (s.values === 0) {
      buf[at++] = 0;
    } else {
      at = writeVarint(buf, at, delimited(s.values));
      const v = o.values as ArrayLike<number>;
      if (o.datatype === "FP64") {
        buf[at++] = 0x3a; // fp64_contents (7), packed
        at = writeVarint(buf, at, s.values);
        for (let i = 0; i < n; i++) at = buf.writeDoubleLE(v[i] as number, at);
      } else {
        buf[at++] = 0x1a; // int64_contents (3), packed
        at = writeVarint(buf, at, s.values);
        for (let i = 0; i < n; i++) at = writeVarint(buf, at, v[i] as number);
      }
    }
  }
  if (raw) {
    for (let k = 0; k < outputs.length; k++) {
      const o = outputs[k] as OutputTensor;
      const s = sized[k] as Sized;
      buf[at++] = 0x32; // raw_output_contents (6)
      at = writeVarint(buf, at, s.values);
      const n = o.values.length;
      if (o.datatype === "BYTES") {
        for (const b of s.strings as Buffer[]) {
          at = buf.writeUInt32LE(b.length, at);
          at += b.copy(buf, at);
        }
      } else if (o.datatype === "FP64") {
        const v = o.values as ArrayLike<number>;
        for (let i = 0; i < n; i++) at = buf.writeDoubleLE(v[i] as number, at);
      } else {
        // Non-negative safe integers: the low and high 32 bits, little-endian.
        const v = o.values as ArrayLike<number>;
        for (let i = 0; i < n; i++) {
          const x = v[i] as number;
          at = buf.writeUInt32LE(x % 0x100000000, at);
          at = buf.writeUInt32LE(Math.floor(x / 0x100000000), at);
        }
      }
    }
  }
  return buf;
}

function viaToBinary(message: ModelInferResponse): Buffer {
  const bytes = toBinary(ModelInferResponseSchema, message);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
