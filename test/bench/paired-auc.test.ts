import { describe, expect, it } from "vitest";
import { pairedAucDelta } from "../../bench/lib/training-goals.js";

// Two-class probabilities, one column per class, from a score per row.
function columns(scores: number[]): Float64Array {
  return Float64Array.from(scores.flatMap((p) => [1 - p, p]));
}

describe("pairedAucDelta", () => {
  const y = Array.from({ length: 400 }, (_, i) => i % 2);
  const good = y.map((c, i) => (c === 1 ? 0.6 : 0.4) + ((i * 37) % 100) / 400);

  it("is exactly 0 for the same predictions", () => {
    expect(pairedAucDelta(y, columns(good), columns(good), 2)).toEqual({ value: 0, low: 0, high: 0 });
  });

  it("puts a clearly better model's interval above 0, and is reproducible", () => {
    const noisy = good.map((p, i) => (i % 3 === 0 ? 1 - p : p));
    const d = pairedAucDelta(y, columns(good), columns(noisy), 2);
    expect(d.value).toBeGreaterThan(0);
    expect(d.low).toBeGreaterThan(0);
    expect(d.low).toBeLessThanOrEqual(d.value);
    expect(d.high).toBeGreaterThanOrEqual(d.value);
    expect(pairedAucDelta(y, columns(good), columns(noisy), 2)).toEqual(d);
  });
});
