// Float32 comparisons as exact double thresholds (docs/model-format.md, "Mapping other formats"):
// origin libraries that compare `float32(x) <op> t` with a float32 t become `x < t*` in double.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** The largest float32. */
export const FLT_MAX = 3.4028234663852886e38;
/** The smallest double that rounds to +Infinity as float32 (FLT_MAX + half an ulp, a tie to even). */
const FLT_OVERFLOW = 3.4028235677973366e38;

/** The next double above d (d finite or −∞). */
export function nextUp(d: number): number {
  if (d === Number.POSITIVE_INFINITY || Number.isNaN(d)) return d;
  if (d === 0) return Number.MIN_VALUE;
  f64[0] = d;
  u64[0] = d > 0 ? (u64[0] ?? 0n) + 1n : (u64[0] ?? 0n) - 1n;
  return f64[0] ?? d;
}

/** The float32 just above the float32 value v (+Infinity above FLT_MAX). */
export function nextFloat32(v: number): number {
  if (v >= FLT_MAX) return Number.POSITIVE_INFINITY;
  f32[0] = v;
  if (v === 0) {
    u32[0] = 1;
    return f32[0] ?? 0;
  }
  u32[0] = v > 0 ? (u32[0] ?? 0) + 1 : (u32[0] ?? 0) - 1;
  return f32[0] ?? 0;
}

/** The float32 just below the float32 value v (−Infinity below −FLT_MAX). */
function prevFloat32(v: number): number {
  return -nextFloat32(-v);
}

/**
 * t* for a float32 value t: the smallest double d with float32(d) ≥ t, so that for every non-NaN
 * double x, `float32(x) < t` ⟺ `x < t*`. t = +Infinity gives the smallest double rounding to +∞.
 */
export function lowestRoundingTo(t: number): number {
  if (t === Number.POSITIVE_INFINITY) return FLT_OVERFLOW;
  if (t === -FLT_MAX) return nextUp(-FLT_OVERFLOW);
  // The midpoint of two adjacent float32 values is exact in double; a tie rounds to the even one.
  const m = (prevFloat32(t) + t) / 2;
  return Math.fround(m) >= t ? m : nextUp(m);
}

/** Double threshold for `float32(x) < t` (t a float32 value): `x < result`. */
export function float32Less(t: number): number {
  return lowestRoundingTo(t);
}

/** Double threshold for `float32(x) <= t` (t a float32 value): `x < result`. */
export function float32LessEqual(t: number): number {
  return lowestRoundingTo(nextFloat32(t));
}

/** Whether v is exactly a float32 value. */
export function isFloat32(v: number): boolean {
  return Math.fround(v) === v;
}
