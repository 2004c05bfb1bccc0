// UBJSON writer for the fuzz seeds (the importer only reads UBJSON, src/models/import/ubjson.ts):
// lays values out as XGBoost's save_model does, int64 lengths and typed, counted number arrays, so
// a model cut down from a .ubj fixture is still shaped like one XGBoost wrote.
const utf8 = new TextEncoder();

class Writer {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  private at = 0;
  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.at + n));
    next.set(this.buf);
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  byte(b: number): void {
    this.room(1);
    this.buf[this.at++] = b;
  }
  /** Type marker then the number: int64 `L`, or float32 `d` where exact, else float64 `D`. */
  number(v: number, marker = numberMarker(v), withMarker = true): void {
    if (withMarker) this.byte(marker);
    this.room(8);
    if (marker === 0x4c) this.view.setBigInt64(this.at, BigInt(v));
    else if (marker === 0x6c) this.view.setInt32(this.at, v);
    else if (marker === 0x55) this.view.setUint8(this.at, v);
    else if (marker === 0x64) this.view.setFloat32(this.at, v);
    else this.view.setFloat64(this.at, v);
    this.at += ({ 76: 8, 108: 4, 85: 1, 100: 4 } as Record<number, number>)[marker] ?? 8;
  }
  text(s: string): void {
    const b = utf8.encode(s);
    this.number(b.length, 0x4c);
    this.room(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
  }
  value(v: unknown): void {
    if (v === null || v === undefined) this.byte(0x5a);
    else if (v === true || v === false) this.byte(v ? 0x54 : 0x46);
    else if (typeof v === "number") this.number(v);
    else if (typeof v === "string") {
      this.byte(0x53);
      this.text(v);
    } else if (Array.isArray(v)) {
      this.byte(0x5b);
      const type = arrayMarker(v);
      if (type !== 0) {
        this.byte(0x24);
        this.byte(type);
      }
      this.byte(0x23);
      this.number(v.length, 0x4c);
      for (const e of v) type === 0 ? this.value(e) : this.number(e as number, type, false);
    } else {
      this.byte(0x7b);
      for (const [k, e] of Object.entries(v as Record<string, unknown>)) {
        this.text(k);
        this.value(e);
      }
      this.byte(0x7d);
    }
  }
  bytes(): Uint8Array {
    return this.buf.slice(0, this.at);
  }
}

function numberMarker(v: number): number {
  if (Number.isSafeInteger(v)) return 0x4c;
  return Number.isNaN(v) || Math.fround(v) === v ? 0x64 : 0x44;
}

/** `$U` (0/1 flags), `$l` (int32), `$d` (float32) for an array of those, else 0 (mixed elements). */
function arrayMarker(v: readonly unknown[]): number {
  if (v.length === 0 || !v.every((e) => typeof e === "number")) return 0;
  const n = v as readonly number[];
  if (n.every((e) => e === 0 || e === 1)) return 0x55;
  if (n.every((e) => Number.isInteger(e) && e >= -(2 ** 31) && e < 2 ** 31)) return 0x6c;
  return n.every((e) => Number.isNaN(e) || Math.fround(e) === e) ? 0x64 : 0;
}

export function encodeUbjson(value: unknown): Uint8Array {
  const w = new Writer();
  w.value(value);
  return w.bytes();
}
