import { describe, expect, it } from "vitest";
import type { Dataset } from "../../src/core/data/dataset.js";
import { makeClassification } from "../../src/core/data/synthetic.js";

function classCounts(ds: Dataset, nClasses: number): number[] {
  const counts = new Array<number>(nClasses).fill(0);
  for (const v of ds.y) counts[v]!++;
  return counts;
}

function classMean(ds: Dataset, feature: number, cls: number): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < ds.nRows; i++) {
    if (ds.y[i] === cls) {
      sum += ds.x[i * ds.nFeatures + feature]!;
      n++;
    }
  }
  return sum / n;
}

describe("makeClassification", () => {
  it("uses the documented defaults", () => {
    const ds = makeClassification();
    expect(ds.nRows).toBe(1000);
    expect(ds.nFeatures).toBe(20);
    expect(ds.x.length).toBe(20000);
    expect(ds.featureNames).toEqual(Array.from({ length: 20 }, (_, i) => `f${i}`));
    expect(ds.classNames).toBeUndefined();
    expect(new Set(ds.y)).toEqual(new Set([0, 1]));
    expect(ds.x.every((v) => Number.isFinite(v))).toBe(true);
    // default seed is 42
    expect(makeClassification({ seed: 42 }).x).toEqual(ds.x);
  });

  it("is deterministic for a seed and differs across seeds", () => {
    const a = makeClassification({ seed: 7, nSamples: 200 });
    const b = makeClassification({ seed: 7, nSamples: 200 });
    const c = makeClassification({ seed: 8, nSamples: 200 });
    expect(b.x).toEqual(a.x);
    expect(b.y).toEqual(a.y);
    expect(c.x).not.toEqual(a.x);
  });

  it("splits rows evenly over classes", () => {
    expect(classCounts(makeClassification({ flipY: 0 }), 2)).toEqual([500, 500]);
    // 900 rows over 3 × 2 clusters: 150 each, 300 per class
    expect(classCounts(makeClassification({ nSamples: 900, nClasses: 3, flipY: 0 }), 3)).toEqual([
      300, 300, 300,
    ]);
  });

  it("keeps cluster order when shuffle is false", () => {
    const ds = makeClassification({
      nSamples: 8,
      nClasses: 2,
      nClustersPerClass: 2,
      flipY: 0,
      shuffle: false,
    });
    expect([...ds.y]).toEqual([0, 0, 1, 1, 0, 0, 1, 1]);
  });

  it("puts class signal in the informative columns only", () => {
    // one cluster per class: each class mean is its hypercube vertex, which differ by 2 × classSep
    // in at least one informative column; noise columns have the same N(0, 1) mean in both classes.
    const ds = makeClassification({
      nSamples: 2000,
      nFeatures: 6,
      nInformative: 2,
      nRedundant: 0,
      nClustersPerClass: 1,
      classSep: 2,
      flipY: 0,
    });
    const gap = (f: number) => Math.abs(classMean(ds, f, 0) - classMean(ds, f, 1));
    expect(Math.max(gap(0), gap(1))).toBeCloseTo(4, 0);
    for (let f = 2; f < 6; f++) expect(gap(f)).toBeLessThan(0.3);
  });

  it("makes redundant columns exact linear combinations of the informative ones", () => {
    const ds = makeClassification({ nSamples: 300, nFeatures: 4, nInformative: 2, nRedundant: 1, flipY: 0 });
    const at = (i: number, f: number) => ds.x[i * 4 + f]!;
    // Solve f2 = b0·f0 + b1·f1 from rows 0 and 1 (Cramer's rule), then check every row.
    const det = at(0, 0) * at(1, 1) - at(0, 1) * at(1, 0);
    const b0 = (at(0, 2) * at(1, 1) - at(0, 1) * at(1, 2)) / det;
    const b1 = (at(0, 0) * at(1, 2) - at(0, 2) * at(1, 0)) / det;
    for (let i = 0; i < ds.nRows; i++) expect(at(i, 2)).toBeCloseTo(b0 * at(i, 0) + b1 * at(i, 1), 8);
    // while the noise column is not such a combination
    const noiseFit = (i: number) => Math.abs(at(i, 3) - (b0 * at(i, 0) + b1 * at(i, 1)));
    expect(Math.max(...Array.from({ length: 50 }, (_, i) => noiseFit(i)))).toBeGreaterThan(0.5);
  });

  it("flips about flipY × (1 - 1/nClasses) of the labels", () => {
    const clean = makeClassification({ nSamples: 4000, flipY: 0, shuffle: false });
    const noisy = makeClassification({ nSamples: 4000, flipY: 0.5, shuffle: false });
    // same seed and no shuffle: X is identical, only labels move; expected share changed 0.25
    expect(Buffer.from(noisy.x.buffer).equals(Buffer.from(clean.x.buffer))).toBe(true);
    let changed = 0;
    for (let i = 0; i < 4000; i++) if (noisy.y[i] !== clean.y[i]) changed++;
    expect(changed / 4000).toBeGreaterThan(0.2);
    expect(changed / 4000).toBeLessThan(0.3);
  });

  it("uses every hypercube vertex when clusters fill it", () => {
    const ds = makeClassification({
      nInformative: 2,
      nRedundant: 0,
      nFeatures: 2,
      nClustersPerClass: 2,
      classSep: 3,
      shuffle: false,
    });
    // unshuffled, rows 250k..250k+249 are cluster k; its mean sits on a vertex (±3, ±3)
    const corners = new Set<string>();
    for (let k = 0; k < 4; k++) {
      const mean = [0, 0];
      for (let i = 250 * k; i < 250 * (k + 1); i++)
        for (let f = 0; f < 2; f++) mean[f]! += ds.x[i * 2 + f]! / 250;
      corners.add(mean.map((m) => Math.sign(m)).join(","));
    }
    expect(corners).toEqual(new Set(["1,1", "1,-1", "-1,1", "-1,-1"]));
  });

  it.each([
    ["informative + redundant > features", { nFeatures: 5, nInformative: 4, nRedundant: 2 }],
    [
      "more clusters than hypercube vertices",
      { nInformative: 1, nRedundant: 0, nClasses: 2, nClustersPerClass: 2 },
    ],
    ["one class", { nClasses: 1 }],
    ["zero samples", { nSamples: 0 }],
    ["fewer samples than clusters", { nSamples: 3 }],
    ["fractional features", { nFeatures: 20.5 }],
    ["negative redundant", { nRedundant: -1 }],
    ["flipY above 1", { flipY: 1.5 }],
    ["NaN classSep", { classSep: Number.NaN }],
    ["negative seed", { seed: -1 }],
  ])("rejects %s with ERR_DATA", (_name, options) => {
    expect(() => makeClassification(options)).toThrow(expect.objectContaining({ code: "ERR_DATA" }));
  });
});
