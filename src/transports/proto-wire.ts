// Protobuf wire primitives for the replies written by hand (decision 0020: PredictResponse on the
// gRPC port, OIP's ModelInferResponse): the same bytes protobuf-es's BinaryWriter writes.

/** Bytes of a varint holding the non-negative safe integer `n`. */
export function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Writes the non-negative safe integer `n` as a varint at `at`; returns the next offset. */
export function writeVarint(buf: Buffer, at: number, n: number): number {
  while (n >= 0x80) {
    buf[at++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[at++] = n;
  return at;
}

/** UTF-8 length of `s`; short ASCII strings (names, versions, ids) are counted without a native call. */
export function utf8Length(s: string): number {
  if (s.length > 64) return Buffer.byteLength(s, "utf8");
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return Buffer.byteLength(s, "utf8");
  return s.length;
}

/** Writes `s` (of UTF-8 length `length`) at `at`; ASCII byte by byte when short, as utf8Length counted. */
export function writeString(buf: Buffer, at: number, s: string, length: number): number {
  if (length !== s.length || length > 64) return at + buf.write(s, at, length, "utf8");
  for (let i = 0; i < length; i++) buf[at++] = s.charCodeAt(i);
  return at;
}
