// trimNativeHeap gives freed native memory back: the C heap's resident pages shrink after models
// that filled it are disposed (a cluster worker does this after startup and after each swap).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { makeClassification } from "../../src/core/data/synthetic.js";
import { trimNativeHeap } from "../../src/core/memory.js";
import { ClassifierModel } from "../../src/core/model.js";
import { train } from "../../src/core/train.js";

/** Resident KiB of the main C heap ([heap] in /proc/self/smaps). */
function cHeapRssKiB(): number {
  const lines = readFileSync("/proc/self/smaps", "utf8").split("\n");
  const at = lines.findIndex((l) => l.endsWith("[heap]"));
  if (at < 0) return 0;
  for (let i = at + 1; i < lines.length; i++) {
    const m = lines[i]!.match(/^Rss:\s+(\d+) kB/);
    if (m) return Number(m[1]);
  }
  return 0;
}

describe("trimNativeHeap", () => {
  it("returns the pages of disposed models to the kernel (glibc)", async () => {
    const ds = makeClassification({ nSamples: 2000, nFeatures: 20, seed: 5 });
    const bytes = (await train(ds, { model: "rf", nEstimators: 60, maxDepth: 10, seed: 1 })).toBytes();
    // Interleave what stays with what goes, so the freed chunks sit below live ones and only a
    // trim (not free()'s own top-of-heap release) can hand their pages back.
    const kept: ClassifierModel[] = [];
    const freed: ClassifierModel[] = [];
    for (let i = 0; i < 40; i++) (i % 4 === 3 ? kept : freed).push(ClassifierModel.fromBytes(bytes));
    for (const m of freed) m.dispose();
    const before = cHeapRssKiB();
    expect(trimNativeHeap()).toBe(true);
    const after = cHeapRssKiB();
    // Under `npm run test:asan` the sanitizer's allocator replaces glibc's and there is no [heap]:
    // there the call must only be harmless (the models below still score).
    if (before > 0) expect(after).toBeLessThan(before);
    // The models kept still score.
    const row = Float64Array.from(ds.x.subarray(0, 20));
    for (const m of kept) expect(m.predictProba(row, 1).length).toBe(2);
    for (const m of kept) m.dispose();
    console.log(`trimNativeHeap: C heap ${before} → ${after} KiB resident`);
  });
});
