// A minimal protobuf encoder: varints, length-delimited fields, packed repeated scalars. The ONNX
// export of a 100-tree forest has ~100k nodes × a dozen attributes; protobufjs (onnx-proto's
// generated encoder) allocates per element and needs about a second for it, this needs milliseconds.

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const utf8 = new TextEncoder();

export class ProtoWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** A varint; negative values as 64-bit two's complement (10 bytes), as int64 fields require. */
  varint(value: number): this {
    if (!Number.isSafeInteger(value)) throw new RangeError(`not a safe integer: ${value}`);
    this.ensure(10);
    if (value < 0) {
      let v = BigInt.asUintN(64, BigInt(value));
      while (v >= 0x80n) {
        this.buf[this.len++] = Number(v & 0x7fn) | 0x80;
        v >>= 7n;
      }
      this.buf[this.len++] = Number(v);
      return this;
    }
    let v = value;
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
    return this;
  }

  private tag(field: number, wire: number): this {
    return this.varint(field * 8 + wire);
  }

  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    return this;
  }

  /** A varint field (int32, int64, enum). */
  int(field: number, value: number): this {
    return this.tag(field, WIRE_VARINT).varint(value);
  }

  bytes(field: number, value: Uint8Array): this {
    return this.tag(field, WIRE_LEN).varint(value.length).raw(value);
  }

  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  /** An embedded message. */
  message(field: number, body: ProtoWriter): this {
    return this.bytes(field, body.finish());
  }

  /** A packed repeated varint field (parsers accept packed even where the .proto says unpacked). */
  packedInts(field: number, values: ArrayLike<number>): this {
    const body = new ProtoWriter();
    for (let i = 0; i < values.length; i++) body.varint(values[i]!);
    return this.bytes(field, body.finish());
  }

  /** A packed repeated float (32-bit, little-endian) field. */
  packedFloats(field: number, values: ArrayLike<number>): this {
    const data = Float32Array.from(values);
    return this.bytes(field, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}
