// UBJSON (Universal Binary JSON, draft 12), as XGBoost writes `save_model("m.ubj")`: big-endian
// numbers, length-prefixed strings and keys, and typed, counted arrays (`[$d#L…`). Decoded into
// the same plain values JSON.parse gives, so the XGBoost importer reads both alike. Every length
// and count is checked against the bytes left before anything is allocated, and nesting is capped,
// so a hostile file is INVALID_ARGUMENT, never a crash.
import { malformed } from "./errors.js";

const MAX_DEPTH = 128;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Whether the bytes start like a UBJSON object (`{` then a key-length marker or `}`/`$`/`#`). */
export function looksLikeUbjson(bytes: Uint8Array): boolean {
  return bytes[0] === 0x7b && bytes.length > 1 && "iUIlL}$#".includes(String.fromCharCode(bytes[1] ?? 0));
}

class Reader {
  private at = 0;
  private readonly view: DataView;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private fail(expected: string): never {
    throw malformed("xgboost", `ubjson byte ${this.at}`, expected);
  }
  private need(n: number): void {
    if (!(n >= 0) || this.at + n > this.bytes.length) this.fail(`${n} more bytes (the file ends early)`);
  }
  marker(): number {
    this.need(1);
    return this.bytes[this.at++] ?? 0;
  }
  peek(): number {
    this.need(1);
    return this.bytes[this.at] ?? 0;
  }
  done(): boolean {
    return this.at === this.bytes.length;
  }
  /** A scalar of the given type marker. */
  scalar(m: number): number {
    const v = this.view;
    switch (m) {
      case 0x69: // i int8
        this.need(1);
        return v.getInt8(this.at++);
      case 0x55: // U uint8
        this.need(1);
        return v.getUint8(this.at++);
      case 0x49: // I int16
        this.need(2);
        this.at += 2;
        return v.getInt16(this.at - 2);
      case 0x6c: // l int32
        this.need(4);
        this.at += 4;
        return v.getInt32(this.at - 4);
      case 0x4c: {
        // L int64
        this.need(8);
        this.at += 8;
        const n = v.getBigInt64(this.at - 8);
        if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < -BigInt(Number.MAX_SAFE_INTEGER))
          this.fail("an int64 within ±2^53");
        return Number(n);
      }
      case 0x64: // d float32
        this.need(4);
        this.at += 4;
        return v.getFloat32(this.at - 4);
      case 0x44: // D float64
        this.need(8);
        this.at += 8;
        return v.getFloat64(this.at - 8);
      default:
        return this.fail(`a number marker, got 0x${m.toString(16)}`);
    }
  }
  length(): number {
    const n = this.scalar(this.marker());
    if (!Number.isInteger(n) || n < 0) this.fail("a non-negative length");
    return n;
  }
  text(n: number): string {
    this.need(n);
    const s = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    try {
      return utf8.decode(s);
    } catch {
      return this.fail("UTF-8 text");
    }
  }
  value(m: number, depth: number): unknown {
    if (depth > MAX_DEPTH) this.fail(`nesting at most ${MAX_DEPTH} deep`);
    switch (m) {
      case 0x5a: // Z null
        return null;
      case 0x54: // T
        return true;
      case 0x46: // F
        return false;
      case 0x43: // C char
        return this.text(1);
      case 0x53: // S string
      case 0x48: // H high-precision number, as text
        return m === 0x53 ? this.text(this.length()) : Number(this.text(this.length()));
      case 0x5b: // [
        return this.container(depth, false);
      case 0x7b: // {
        return this.container(depth, true);
      default:
        return this.scalar(m);
    }
  }
  /** An array or object, with optional `$type` and `#count`. */
  container(depth: number, object: boolean): unknown {
    let type = 0;
    let count = -1;
    if (this.peek() === 0x24) {
      this.at++;
      type = this.marker();
      if (this.marker() !== 0x23) this.fail("# after a $ type");
      count = this.length();
    } else if (this.peek() === 0x23) {
      this.at++;
      count = this.length();
    }
    // Each element takes at least one byte unless its type is in the header (then its width).
    const width =
      type === 0
        ? 1
        : (({ 105: 1, 85: 1, 73: 2, 108: 4, 76: 8, 100: 4, 68: 8 } as Record<number, number>)[type] ?? 1);
    if (count >= 0) this.need(count * (object ? 1 : width));
    const out: unknown[] = [];
    const obj: Record<string, unknown> = {};
    for (let i = 0; count < 0 || i < count; i++) {
      if (count < 0 && this.peek() === (object ? 0x7d : 0x5d)) {
        this.at++;
        break;
      }
      let key = "";
      if (object) key = this.text(this.length());
      const v = this.value(type === 0 ? this.marker() : type, depth + 1);
      if (object) {
        if (key === "__proto__") this.fail("no __proto__ key");
        obj[key] = v;
      } else out.push(v);
    }
    return object ? obj : out;
  }
}

export function parseUbjson(bytes: Uint8Array): unknown {
  const r = new Reader(bytes);
  const v = r.value(r.marker(), 0);
  if (!r.done()) throw malformed("xgboost", "ubjson", "one value filling the file (bytes after it)");
  return v;
}
