import { describe, expect, it } from "vitest";
import { type BatchModel, createBatcher } from "../../src/serving/batcher.js";

/** A model whose "probability" of class 1 is the row's first feature; it records every call. */
function fakeModel(calls: Array<{ kind: "sync" | "async"; n: number }>): BatchModel {
  const score = (rows: Float64Array, n: number) => {
    const out = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) {
      out[i * 2] = 1 - rows[i * 2]!;
      out[i * 2 + 1] = rows[i * 2]!;
    }
    return out;
  };
  return {
    nFeatures: 2,
    nClasses: 2,
    predictProba(rows, n) {
      calls.push({ kind: "sync", n });
      return score(rows, n);
    },
    async predictProbaAsync(rows, n) {
      calls.push({ kind: "async", n });
      const copy = rows.slice();
      await new Promise((r) => setTimeout(r, 5));
      return score(copy, n);
    },
  };
}

/** fakeModel whose JS-thread scoring takes `usPerRow` µs per row (a busy wait). */
function slowModel(calls: Array<{ kind: "sync" | "async"; n: number }>, usPerRow: number): BatchModel {
  const base = fakeModel(calls);
  return {
    ...base,
    predictProba(rows, n) {
      const until = performance.now() + (n * usPerRow) / 1000;
      while (performance.now() < until) {
        // Busy: the batcher times this call.
      }
      return base.predictProba(rows, n);
    },
  };
}

/** Resolves after the event loop's check phase (where the batcher flushes). */
const nextTurn = () => new Promise((r) => setImmediate(r));

describe("createBatcher", () => {
  it("uses the documented defaults: batches of 64; a cheap model's are scored on the JS thread", async () => {
    const calls: Array<{ kind: "sync" | "async"; n: number }> = [];
    const model = fakeModel(calls);
    const batcher = createBatcher();
    const one = await batcher.submit(model, Float64Array.of(0.25, 0));
    expect(Array.from(one)).toEqual([0.75, 0.25]);
    expect(calls).toEqual([{ kind: "sync", n: 1 }]);
    await nextTurn();
    calls.length = 0;
    const many = await Promise.all(
      Array.from({ length: 100 }, (_, i) => batcher.submit(model, Float64Array.of(i / 100, 0))),
    );
    expect(many.map((p) => p[1])).toEqual(Array.from({ length: 100 }, (_, i) => i / 100));
    // The first row of the turn goes at once; the others wait for the flush, 64 at most per call.
    expect(calls).toEqual([
      { kind: "sync", n: 1 },
      { kind: "sync", n: 64 },
      { kind: "sync", n: 35 },
    ]);
  });

  it("takes plain arrays of numbers beside typed rows; each caller keeps its own result across batches", async () => {
    const calls: Array<{ kind: "sync" | "async"; n: number }> = [];
    const base = fakeModel(calls);
    // Fills the batcher's output buffer when handed one, as the native model does.
    const model: BatchModel = {
      ...base,
      predictProba(rows, n, out) {
        const scores = base.predictProba(rows, n);
        if (!out) return scores;
        out.set(scores);
        return out;
      },
    };
    const batcher = createBatcher();
    await batcher.submit(model, [0.5, 0]);
    await nextTurn();
    const first = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        batcher.submit(model, i % 2 ? [i / 20, 0] : Float64Array.of(i / 20, 0)),
      ),
    );
    // The next batches reuse the JS-thread buffers: the first batch's answers must not change.
    await Promise.all(Array.from({ length: 30 }, () => batcher.submit(model, [0.9, 0])));
    await Promise.all(Array.from({ length: 5 }, () => batcher.submit(model, [0.1, 0])));
    expect(first.map((p) => Array.from(p))).toEqual(
      Array.from({ length: 20 }, (_, i) => [1 - i / 20, i / 20]),
    );
  });

  it("sends an expensive model's large batches off the JS thread (syncMaxUs)", async () => {
    const calls: Array<{ kind: "sync" | "async"; n: number }> = [];
    const model = slowModel(calls, 20);
    const batcher = createBatcher({ syncMaxUs: 200 });
    const burst = () =>
      Promise.all(Array.from({ length: 41 }, (_, i) => batcher.submit(model, Float64Array.of(i / 41, 0))));
    // Its first three large batches are timed on the JS thread: ~20 µs a row.
    for (let i = 0; i < 3; i++) {
      await burst();
      await nextTurn();
    }
    expect(calls.filter((c) => c.n >= 40).map((c) => c.kind)).toEqual(["sync", "sync", "sync"]);
    calls.length = 0;
    await burst();
    // 41 rows × ~20 µs is over the 200 µs budget: off the JS thread (all 41 batch: traffic is not light).
    expect(calls).toEqual([{ kind: "async", n: 41 }]);
  });

  it("under load rows batch from the first one; once traffic is light again a lone row goes at once", async () => {
    const calls: Array<{ kind: "sync" | "async"; n: number }> = [];
    const model = fakeModel(calls);
    const batcher = createBatcher();
    const burst = (n: number) =>
      Promise.all(Array.from({ length: n }, (_, i) => batcher.submit(model, Float64Array.of(i / n, 0))));
    await burst(10); // light so far: 1 at once, 9 batched
    await burst(10); // the last turn batched: all 10 wait for the flush
    expect(calls.map((c) => c.n)).toEqual([1, 9, 10]);
    await burst(1); // one row in a turn: light again
    await nextTurn();
    calls.length = 0;
    const pending = batcher.submit(model, Float64Array.of(0.5, 0));
    expect(calls).toEqual([{ kind: "sync", n: 1 }]);
    await pending;
  });

  it("a lone row is scored at once, without waiting for the event loop", async () => {
    const calls: Array<{ kind: "sync" | "async"; n: number }> = [];
    const batcher = createBatcher();
    const pending = batcher.submit(fakeModel(calls), Float64Array.of(0.5, 0));
    expect(calls).toEqual([{ kind: "sync", n: 1 }]);
    expect(Array.from(await pending)).toEqual([0.5, 0.5]);
  });

  it("never mixes two model snapshots in one call", async () => {
    const calls: Array<{ kind: "sync" | "async"; n: number }> = [];
    const a = fakeModel(calls);
    const b = fakeModel(calls);
    const batcher = createBatcher({ syncMaxRows: 0 });
    const results = await Promise.all([
      batcher.submit(a, Float64Array.of(0.1, 0)),
      batcher.submit(a, Float64Array.of(0.2, 0)),
      batcher.submit(b, Float64Array.of(0.3, 0)),
      batcher.submit(a, Float64Array.of(0.4, 0)),
    ]);
    expect(results.map((r) => r[1])).toEqual([0.1, 0.2, 0.3, 0.4]);
    expect(calls.map((c) => c.n)).toEqual([2, 1, 1]);
  });

  it("queues while the native call is busy and sheds beyond maxQueue", async () => {
    const calls: Array<{ kind: "sync" | "async"; n: number }> = [];
    const model = fakeModel(calls);
    const depths: number[] = [];
    const batcher = createBatcher({
      maxBatchSize: 4,
      maxQueue: 6,
      syncMaxRows: 0,
      onQueueDepth: (d) => depths.push(d),
    });
    const settled = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => batcher.submit(model, Float64Array.of(i / 20, 0))),
    );
    const rejected = settled.filter((s) => s.status === "rejected");
    expect(rejected.length).toBeGreaterThan(0);
    for (const r of rejected) {
      expect((r as PromiseRejectedResult).reason.code).toBe("RESOURCE_EXHAUSTED");
      expect((r as PromiseRejectedResult).reason.retryAfterSeconds).toBe(1);
    }
    settled.forEach((s, i) => {
      if (s.status === "fulfilled") expect(s.value[1]).toBe(i / 20);
    });
    expect(Math.max(...depths)).toBeLessThanOrEqual(6);
    expect(batcher.depth).toBe(0);
  });

  it("a failing call rejects exactly its own rows", async () => {
    const model: BatchModel = {
      nFeatures: 1,
      nClasses: 2,
      predictProba() {
        throw Object.assign(new Error("boom"), { code: "ERR_MODEL_DISPOSED" });
      },
      predictProbaAsync: async () => new Float64Array(0),
    };
    const batcher = createBatcher();
    await expect(batcher.submit(model, Float64Array.of(1))).rejects.toMatchObject({
      code: "ERR_MODEL_DISPOSED",
    });
  });
});
