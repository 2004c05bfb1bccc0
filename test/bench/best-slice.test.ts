import { describe, expect, it } from "vitest";
import { alternatingBestCallsPerSecond, bestCallsPerSecond } from "../../bench/lib/best-slice.js";

describe("bestCallsPerSecond", () => {
  it("awaits a returned promise before the next call and slices calls that each take over 1 ms one by one", async () => {
    let running = 0;
    let overlapped = false;
    let calls = 0;
    const rate = await bestCallsPerSecond(async () => {
      overlapped ||= running > 0;
      running++;
      calls++;
      // A busy 2 ms then a timer turn: a timer alone may fire early on the event loop's cached clock.
      const t0 = performance.now();
      while (performance.now() - t0 < 2) {}
      await new Promise((resolve) => setTimeout(resolve, 0));
      running--;
    }, 20);
    expect(overlapped).toBe(false);
    // A warm-up call and at least 3 counted slices of one call each.
    expect(calls).toBeGreaterThanOrEqual(4);
    // Each call waits ≥ 2 ms, so no slice can be faster than 500 calls per second.
    expect(rate).toBeGreaterThan(0);
    expect(rate).toBeLessThanOrEqual(500);
  });

  it("runs a cheap synchronous call in slices of many calls, and returns a finite rate", async () => {
    let calls = 0;
    const rate = await bestCallsPerSecond(() => {
      calls++;
    }, 5);
    expect(Number.isFinite(rate)).toBe(true);
    expect(rate).toBeGreaterThan(0);
    // Slices grow by doubling until one lasts ~1 ms: far more calls than slices.
    expect(calls).toBeGreaterThan(1000);
  });
});

describe("alternatingBestCallsPerSecond", () => {
  it("alternates the calls in turns and keeps each one's best rate, in the order given", async () => {
    const order: number[] = [];
    const busy = (ms: number) => {
      const t0 = performance.now();
      while (performance.now() - t0 < ms) {}
    };
    const [fast, slow] = await alternatingBestCallsPerSecond(
      [
        () => {
          if (order.at(-1) !== 0) order.push(0);
          busy(0.05);
        },
        () => {
          if (order.at(-1) !== 1) order.push(1);
          busy(1.5);
        },
      ],
      40,
      3,
    );
    expect(order).toEqual([0, 1, 0, 1, 0, 1]);
    expect(fast).toBeGreaterThan(slow!);
    expect(slow).toBeLessThanOrEqual(1000 / 1.5);
  });

  it("rejects fewer than one round", async () => {
    await expect(alternatingBestCallsPerSecond([() => {}], 5, 0)).rejects.toThrow(RangeError);
  });
});
