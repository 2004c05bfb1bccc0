// ModelInferRequest read by hand for the gRPC port's common request (docs/decisions/0029): names,
// input tensors with a shape and FP64 `contents`, and requested outputs by name; the message
// fromBinary returns, without its per-field reflection, the defaults of every field made by
// create() and the scavenges they cost. Anything else (parameters, raw contents, other content
// types, non-ASCII strings, unknown fields, a field repeated where protobuf merges) goes to
// fromBinary, which reads it as before.
import { fromBinary } from "@bufbuild/protobuf";
import {
  type InferTensorContents,
  type ModelInferRequest,
  type ModelInferRequest_InferInputTensor,
  type ModelInferRequest_InferRequestedOutputTensor,
  ModelInferRequestSchema,
} from "../../gen/inference/open_inference_grpc_pb.js";
import { emptyContents } from "./tensors.js";

/** Wire types. */
const VARINT = 0;
const I64 = 1;
const LEN = 2;

/** Bails out of the lean read: the caller answers with fromBinary. */
const NOT_LEAN = Symbol("not lean");

/**
 * A cursor over one message's bytes, `end` exclusive. Lengths and tags over 2^28 and varints over
 * 2^49 are not lean (no request of ours comes near; fromBinary reads them).
 */
class Cursor {
  constructor(
    readonly buf: Buffer,
    public at: number,
    readonly end: number,
  ) {}

  /** A varint of at most 7 bytes, as a number. */
  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      if (this.at >= this.end) throw NOT_LEAN;
      const b = this.buf[this.at++] as number;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
    throw NOT_LEAN;
  }

  /** A length-delimited field's extent, checked against the message's end. */
  length(): number {
    const n = this.varint();
    if (n > this.end - this.at) throw NOT_LEAN;
    return n;
  }

  /** A length-delimited field's end; the cursor is left at its start. */
  sub(): number {
    const n = this.length();
    return this.at + n;
  }

  /** An ASCII string (every byte below 0x80, so UTF-8 and Latin-1 read it alike). */
  ascii(): string {
    const n = this.length();
    const start = this.at;
    for (let i = start; i < start + n; i++) if ((this.buf[i] as number) >= 0x80) throw NOT_LEAN;
    this.at += n;
    return this.buf.toString("latin1", start, start + n);
  }
}

function contents(c: Cursor): InferTensorContents {
  const fp64: number[] = [];
  while (c.at < c.end) {
    const tag = c.varint();
    if (tag === (7 << 3) + LEN) {
      const n = c.length();
      if (n % 8 !== 0) throw NOT_LEAN;
      for (let end = c.at + n; c.at < end; c.at += 8) fp64.push(c.buf.readDoubleLE(c.at));
    } else if (tag === (7 << 3) + I64) {
      if (c.end - c.at < 8) throw NOT_LEAN;
      fp64.push(c.buf.readDoubleLE(c.at));
      c.at += 8;
    } else throw NOT_LEAN;
  }
  const read = emptyContents();
  read.fp64Contents = fp64;
  return read;
}

function inputTensor(c: Cursor): ModelInferRequest_InferInputTensor {
  let name = "";
  let datatype = "";
  const shape: bigint[] = [];
  let tensorContents: InferTensorContents | undefined;
  while (c.at < c.end) {
    const tag = c.varint();
    if (tag === (1 << 3) + LEN) name = c.ascii();
    else if (tag === (2 << 3) + LEN) datatype = c.ascii();
    else if (tag === (3 << 3) + LEN) {
      const end = c.sub();
      const packed = new Cursor(c.buf, c.at, end);
      while (packed.at < end) shape.push(BigInt(packed.varint()));
      c.at = end;
    } else if (tag === (3 << 3) + VARINT) shape.push(BigInt(c.varint()));
    else if (tag === (5 << 3) + LEN && tensorContents === undefined) {
      const end = c.sub();
      tensorContents = contents(new Cursor(c.buf, c.at, end));
      c.at = end;
    } else throw NOT_LEAN; // parameters, a second contents (merged by protobuf), unknown fields
  }
  return {
    $typeName: "inference.ModelInferRequest.InferInputTensor",
    name,
    datatype,
    shape,
    parameters: Object.create(null),
    contents: tensorContents,
  };
}

function outputTensor(c: Cursor): ModelInferRequest_InferRequestedOutputTensor {
  let name = "";
  while (c.at < c.end) {
    if (c.varint() !== (1 << 3) + LEN) throw NOT_LEAN;
    name = c.ascii();
  }
  return {
    $typeName: "inference.ModelInferRequest.InferRequestedOutputTensor",
    name,
    parameters: Object.create(null),
  };
}

function request(c: Cursor): ModelInferRequest {
  let modelName = "";
  let modelVersion = "";
  let id = "";
  const inputs: ModelInferRequest_InferInputTensor[] = [];
  const outputs: ModelInferRequest_InferRequestedOutputTensor[] = [];
  while (c.at < c.end) {
    const tag = c.varint();
    if (tag === (1 << 3) + LEN) modelName = c.ascii();
    else if (tag === (2 << 3) + LEN) modelVersion = c.ascii();
    else if (tag === (3 << 3) + LEN) id = c.ascii();
    else if (tag === (5 << 3) + LEN || tag === (6 << 3) + LEN) {
      const end = c.sub();
      const sub = new Cursor(c.buf, c.at, end);
      if (tag === (5 << 3) + LEN) inputs.push(inputTensor(sub));
      else outputs.push(outputTensor(sub));
      c.at = end;
    } else throw NOT_LEAN; // parameters, raw_input_contents, unknown fields
  }
  return {
    $typeName: "inference.ModelInferRequest",
    modelName,
    modelVersion,
    id,
    parameters: Object.create(null),
    inputs,
    outputs,
    rawInputContents: [],
  };
}

/** The lean read of `bytes`, or undefined where it leaves them to fromBinary. */
export function readLean(bytes: Uint8Array): ModelInferRequest | undefined {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    return request(new Cursor(buf, 0, buf.length));
  } catch (e) {
    if (e !== NOT_LEAN) throw e;
    return undefined;
  }
}

/** The ModelInferRequest in `bytes`, as fromBinary reads it (and throws for bytes it refuses). */
export function decodeModelInferRequest(bytes: Uint8Array): ModelInferRequest {
  return readLean(bytes) ?? fromBinary(ModelInferRequestSchema, bytes);
}
