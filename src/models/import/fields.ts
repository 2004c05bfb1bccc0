// Checked reads of a parsed document's fields: each names the field when the value is not what the
// format says, so a hostile file is INVALID_ARGUMENT with a path, never a TypeError.
import { type ImportFormat, malformed, show } from "./errors.js";

export type Json = Record<string, unknown>;

export class Fields {
  constructor(readonly format: ImportFormat) {}

  object(v: unknown, field: string): Json {
    if (typeof v !== "object" || v === null || Array.isArray(v))
      throw malformed(this.format, field, "an object", show(v));
    return v as Json;
  }

  array(v: unknown, field: string, length?: number): unknown[] {
    if (!Array.isArray(v)) throw malformed(this.format, field, "an array", show(v));
    if (length !== undefined && v.length !== length) {
      throw malformed(this.format, field, `an array of ${length}`, String(v.length));
    }
    return v;
  }

  /** A number, or a string holding one (XGBoost writes most scalars as strings). */
  number(v: unknown, field: string): number {
    const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : Number.NaN;
    if (!Number.isFinite(n)) throw malformed(this.format, field, "a finite number", show(v));
    return n;
  }

  integer(v: unknown, field: string, min: number, max: number): number {
    const n = this.number(v, field);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw malformed(this.format, field, `an integer in [${min}, ${max}]`, show(v));
    }
    return n;
  }

  string(v: unknown, field: string): string {
    if (typeof v !== "string") throw malformed(this.format, field, "a string", show(v));
    return v;
  }

  /** An array of finite numbers (typed arrays are copied). */
  numbers(v: unknown, field: string, length?: number): number[] {
    const a = this.array(v, field, length);
    const out = new Array<number>(a.length);
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      if (typeof x !== "number" || !Number.isFinite(x))
        throw malformed(this.format, `${field}[${i}]`, "a finite number", show(x));
      out[i] = x;
    }
    return out;
  }

  integers(v: unknown, field: string, min: number, max: number, length?: number): number[] {
    const a = this.array(v, field, length);
    const out = new Array<number>(a.length);
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      if (typeof x !== "number" || !Number.isInteger(x) || x < min || x > max) {
        throw malformed(this.format, `${field}[${i}]`, `an integer in [${min}, ${max}]`, show(x));
      }
      out[i] = x;
    }
    return out;
  }

  strings(v: unknown, field: string): string[] {
    const a = this.array(v, field);
    return a.map((x, i) => this.string(x, `${field}[${i}]`));
  }
}
