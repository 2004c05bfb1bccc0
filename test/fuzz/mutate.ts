// Seed-based mutation as fast-check arbitraries: pick a real input, apply a few edits (the classic
// libFuzzer moves: flip, overwrite, insert, delete, duplicate, splice from another seed, truncate,
// "interesting" values). Positions are drawn as naturals and wrapped to the input's length, so an
// edit list shrinks to a small counterexample like any other fast-check value.
import fc from "fast-check";

type Edit =
  | { op: "flip"; at: number; bit: number }
  | { op: "set"; at: number; value: number }
  | { op: "insert"; at: number; bytes: readonly number[] }
  | { op: "delete"; at: number; len: number }
  | { op: "dup"; at: number; len: number }
  | { op: "splice"; at: number; from: number; fromAt: number; len: number }
  | { op: "truncate"; at: number };

/** Values that sit on boundaries of lengths, counts, signs and encodings. */
const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x40, 0x20, 0x10, 0x0a, 0x0d, 0x22, 0x5c, 0x2c];

function editArbitrary(seedCount: number, tokens: readonly number[][]): fc.Arbitrary<Edit> {
  const at = fc.nat();
  const len = fc.integer({ min: 1, max: 64 });
  return fc.oneof(
    fc.record({ op: fc.constant("flip" as const), at, bit: fc.nat({ max: 7 }) }),
    fc.record({
      op: fc.constant("set" as const),
      at,
      value: fc.oneof(fc.constantFrom(...INTERESTING), fc.nat({ max: 255 })),
    }),
    fc.record({
      op: fc.constant("insert" as const),
      at,
      bytes: fc.oneof(
        fc.array(fc.nat({ max: 255 }), { minLength: 1, maxLength: 8 }),
        tokens.length > 0 ? fc.constantFrom(...tokens) : fc.constant<readonly number[]>([0]),
      ),
    }),
    fc.record({ op: fc.constant("delete" as const), at, len }),
    fc.record({ op: fc.constant("dup" as const), at, len }),
    fc.record({
      op: fc.constant("splice" as const),
      at,
      from: fc.nat({ max: Math.max(0, seedCount - 1) }),
      fromAt: fc.nat(),
      len,
    }),
    fc.record({ op: fc.constant("truncate" as const), at }),
  );
}

/** `b` with `chunk` inserted at `pos` (typed-array copies: the seeds are up to 100 KB, and an array
 * splice with a spread of every byte was most of the importer targets' time). */
function insertAt(b: Uint8Array, pos: number, chunk: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(b.length + chunk.length);
  out.set(b.subarray(0, pos), 0);
  out.set(chunk, pos);
  out.set(b.subarray(pos), pos + chunk.length);
  return out;
}

function apply(input: Uint8Array, edits: readonly Edit[], seeds: readonly Uint8Array[]): Uint8Array {
  let b: Uint8Array = input.slice();
  for (const e of edits) {
    const n = b.length;
    const pos = n === 0 ? 0 : e.at % (n + 1);
    switch (e.op) {
      case "flip":
        if (n > 0) b[pos % n] = (b[pos % n] ?? 0) ^ (1 << e.bit);
        break;
      case "set":
        if (n > 0) b[pos % n] = e.value;
        break;
      case "insert":
        b = insertAt(b, pos, e.bytes);
        break;
      case "delete": {
        const end = Math.min(n, pos + e.len);
        const out = new Uint8Array(n - (end - pos));
        out.set(b.subarray(0, pos), 0);
        out.set(b.subarray(end), pos);
        b = out;
        break;
      }
      case "dup":
        b = insertAt(b, pos, b.slice(pos, pos + e.len));
        break;
      case "splice": {
        const other = seeds[e.from % seeds.length] ?? new Uint8Array();
        const start = other.length === 0 ? 0 : e.fromAt % other.length;
        b = insertAt(b, pos, other.subarray(start, start + e.len));
        break;
      }
      case "truncate":
        b = b.slice(0, pos);
        break;
    }
  }
  return b;
}

export interface MutationOptions {
  /** Most edits per input. Default 6. */
  maxEdits?: number;
  /** Byte strings worth inserting whole (JSON punctuation, percent escapes, keywords). */
  tokens?: readonly (string | Uint8Array)[];
}

const asBytes = (t: string | Uint8Array): number[] =>
  Array.from(typeof t === "string" ? new TextEncoder().encode(t) : t);

/** A seed (unchanged in about one case in eight) or a mutant of one. */
export function mutatedBytes(
  seeds: readonly Uint8Array[],
  options: MutationOptions = {},
): fc.Arbitrary<Uint8Array> {
  if (seeds.length === 0) throw new Error("mutatedBytes needs at least one seed");
  const tokens = (options.tokens ?? []).map(asBytes);
  return fc
    .tuple(
      fc.nat({ max: seeds.length - 1 }),
      fc.array(editArbitrary(seeds.length, tokens), { minLength: 0, maxLength: options.maxEdits ?? 6 }),
    )
    .map(([i, edits]) => apply(seeds[i] as Uint8Array, edits, seeds));
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Text mutants: byte-level edits of UTF-8 seeds, decoded back (invalid sequences become U+FFFD). */
export function mutatedText(seeds: readonly string[], options: MutationOptions = {}): fc.Arbitrary<string> {
  return mutatedBytes(
    seeds.map((s) => encoder.encode(s)),
    options,
  ).map((b) => decoder.decode(b));
}

/** Tokens that steer JSON decoders into their corners. */
export const JSON_TOKENS = [
  "{",
  "}",
  "[",
  "]",
  '"',
  ",",
  ":",
  "null",
  "true",
  "-0",
  "1e999",
  "-1e-999",
  "9007199254740993",
  "18446744073709551616",
  '"NaN"',
  '"Infinity"',
  '"-Infinity"',
  '"\\u0000"',
  '"\\ud800"',
  "\\",
  '"@type"',
  '"__proto__"',
  '"constructor"',
  "0x10",
  '""',
  "[[[[[[[[",
  "{}",
  "[]",
];

/**
 * A parsed seed whose fields can be set one at a time: `slots` fields (a JSON leaf, one number of
 * an ONNX attribute, one token of a LightGBM line); `encode` writes the seed with the given
 * (slot, value index) edits applied, each value index wrapped to what that slot's kind offers.
 */
export interface FieldSeed {
  slots: number;
  encode(edits: readonly (readonly [slot: number, value: number])[]): Uint8Array;
}

/**
 * Field-level mutants: one to `maxEdits` fields of a parsed seed replaced with boundary values
 * (negative index, NaN, huge, wrong type, removed), then encoded again, so the input gets past the
 * syntax and into the importer's checks more often than a byte edit does.
 */
export function mutatedFields(seeds: readonly FieldSeed[], maxEdits = 2): fc.Arbitrary<Uint8Array> {
  if (seeds.length === 0) throw new Error("mutatedFields needs at least one seed");
  return fc
    .tuple(
      fc.nat({ max: seeds.length - 1 }),
      fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: maxEdits }),
    )
    .map(([i, edits]) => {
      const s = seeds[i] as FieldSeed;
      return s.encode(edits.map(([slot, v]) => [s.slots === 0 ? 0 : slot % s.slots, v] as const));
    });
}
