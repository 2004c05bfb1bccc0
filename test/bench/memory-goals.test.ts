import { describe, expect, it } from "vitest";
import { extraWorker, type ServerMemory } from "../../bench/lib/memory-goals.js";

const cluster = (workers: number, totalPssMiB: number): ServerMemory => ({
  model: "rf 100×10",
  workers,
  processes: [],
  totalRssMiB: 0,
  totalPssMiB,
});

describe("extraWorker", () => {
  it("keeps each pair's difference in the order measured and reports the median pair, smaller first", () => {
    const pairs = [
      [cluster(2, 170), cluster(3, 230)],
      [cluster(3, 221), cluster(2, 170)], // measured larger first
      [cluster(2, 168), cluster(3, 221)],
    ];
    const r = extraWorker(pairs);
    expect(r.perExtraWorkerRunsMiB).toEqual([60, 51, 53]);
    expect(r.perExtraWorkerMiB).toBe(53);
    expect(r.clusters.map((c) => [c.workers, c.totalPssMiB])).toEqual([
      [2, 168],
      [3, 221],
    ]);
  });

  it("with one pair is that pair's difference", () => {
    const r = extraWorker([[cluster(2, 100), cluster(3, 150)]]);
    expect(r.perExtraWorkerMiB).toBe(50);
    expect(r.perExtraWorkerRunsMiB).toEqual([50]);
  });
});
