import { describe, expect, it } from "vitest";
import type { LoadResult } from "../../bench/lib/load-result.js";
import { spreadOf } from "../../bench/lib/report.js";
import { measureInRounds } from "../../bench/lib/rounds.js";

const result = (rps: number, errors = 0, non2xx = 0): LoadResult => ({
  generator: "autocannon",
  connections: 1,
  inflightPerConnection: 1,
  durationS: 1,
  ok: rps,
  rps,
  latencyMs: { p50: 1000 / rps, p95: 1000 / rps, p99: 1000 / rps, max: 1000 / rps, mean: 1000 / rps },
  latencySource: "per-request",
  errors,
  non2xx,
});

describe("measureInRounds", () => {
  it("runs every cell once per round, odd rounds backward, and keeps each cell's fastest round", async () => {
    const order: string[] = [];
    const figures: Record<string, number[]> = {
      ours: [100, 300, 200],
      bare: [250, 200, 150],
      onnx: [1, 2, 3],
    };
    const cells = Object.entries(figures).map(([name, rps]) => ({
      name,
      measure: async (round: number) => {
        order.push(`${name}${round}`);
        return { load: result(rps[round]!), cpuUs: rps[round]! / 10 };
      },
    }));
    const kept = await measureInRounds(cells, 3);
    expect(order).toEqual(["ours0", "bare0", "onnx0", "onnx1", "bare1", "ours1", "ours2", "bare2", "onnx2"]);
    expect(kept.map((k) => k.load.rps)).toEqual([300, 250, 3]);
    expect(kept[0]!.load.latencyMs.p50).toBeCloseTo(1000 / 300);
    expect(kept.map((k) => k.cpuUs)).toEqual([30, 25, 0.3]);
    expect(kept.map((k) => k.roundsRps)).toEqual([figures.ours, figures.bare, figures.onnx]);
  });

  it("adds up the errors and non-2xx replies of every round, whichever round is kept", async () => {
    let round = 0;
    const cells = [{ measure: async () => ({ load: round++ === 0 ? result(50, 2, 1) : result(400, 0, 3) }) }];
    const [kept] = await measureInRounds(cells, 2);
    expect([kept!.load.rps, kept!.load.errors, kept!.load.non2xx]).toEqual([400, 2, 4]);
  });

  it("reports each round as it ends, and one round is one run per cell", async () => {
    const seen: number[] = [];
    const cells = [{ measure: async () => ({ load: result(10) }) }];
    await measureInRounds(cells, 1, (_c, r) => seen.push(r));
    expect(seen).toEqual([0]);
    await expect(measureInRounds(cells, 0)).rejects.toBeInstanceOf(RangeError);
  });
});

describe("spreadOf", () => {
  it("is how much faster the fastest round was than the slowest, and a dash for one round", () => {
    expect(spreadOf([100, 125, 110])).toBe("25 %");
    expect(spreadOf([100])).toBe("–");
    expect(spreadOf(undefined)).toBe("–");
    expect(spreadOf([0, 10])).toBe("–");
  });
});
