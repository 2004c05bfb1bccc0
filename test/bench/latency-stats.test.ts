import { describe, expect, it } from "vitest";
import { quantileSorted, SampleBuffer, summarize } from "../../bench/lib/latency-stats.js";
import { countCpus, defaultLoadWorkers } from "../../bench/lib/scaling.js";
import { GATES, loadGates, ratioGoal } from "../../bench/lib/verdicts.js";

describe("latency statistics", () => {
  it("uses nearest-rank quantiles", () => {
    const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
    expect(quantileSorted(sorted, 0.5)).toBe(50);
    expect(quantileSorted(sorted, 0.95)).toBe(95);
    expect(quantileSorted(sorted, 0.99)).toBe(99);
    expect(quantileSorted(sorted, 1)).toBe(100);
    expect(quantileSorted([7], 0.99)).toBe(7);
    expect(quantileSorted([], 0.5)).toBeNaN();
  });

  it("summarizes unsorted samples without modifying them, across buffer growth", () => {
    const buf = new SampleBuffer();
    const n = 200_000; // beyond the initial 65,536 capacity
    for (let i = n; i >= 1; i--) buf.push(i / 1000);
    expect(buf.length).toBe(n);
    const before = buf.values()[0];
    const s = summarize(buf.values());
    expect(buf.values()[0]).toBe(before);
    expect(s.p50).toBeCloseTo(100, 9);
    expect(s.p95).toBeCloseTo(190, 9);
    expect(s.p99).toBeCloseTo(198, 9);
    expect(s.max).toBe(200);
    expect(s.mean).toBeCloseTo((n + 1) / 2000, 9);
  });
});

describe("gates and goals", () => {
  const load = (over: Partial<{ p95: number; rps: number; errors: number; non2xx: number }>) => ({
    generator: "autocannon" as const,
    connections: 50,
    inflightPerConnection: 1,
    durationS: 3,
    ok: 300,
    rps: over.rps ?? 1000,
    latencyMs: { p50: 1, p95: over.p95 ?? 5, p99: 9, mean: 2, max: 20 },
    latencySource: "per-request" as const,
    errors: over.errors ?? 0,
    non2xx: over.non2xx ?? 0,
  });

  it("pass when p95 < 1 s, rps ≥ 100 and no errors", () => {
    expect(loadGates("REST c50", load({})).map((v) => v.status)).toEqual(["pass", "pass", "pass"]);
  });

  it("fail on each threshold, including one non-2xx reply", () => {
    const statuses = (o: Parameters<typeof load>[0]) => loadGates("x", load(o)).map((v) => v.status);
    expect(statuses({ p95: GATES.p95Ms })).toEqual(["fail", "pass", "pass"]);
    expect(statuses({ rps: 99.9 })).toEqual(["pass", "fail", "pass"]);
    expect(statuses({ non2xx: 1 })).toEqual(["pass", "pass", "fail"]);
    expect(statuses({ errors: 1 })).toEqual(["pass", "pass", "fail"]);
  });

  it("ratio goals miss rather than fail, and are n/a without a baseline", () => {
    expect(ratioGoal("g", 69, 100, 0.7)).toMatchObject({ kind: "goal", status: "miss" });
    expect(ratioGoal("g", 70, 100, 0.7)).toMatchObject({ kind: "goal", status: "pass" });
    expect(ratioGoal("g", 70, undefined, 0.7)).toMatchObject({ kind: "goal", status: "n/a" });
  });
});

describe("CPU sets", () => {
  it("counts CPUs in taskset lists", () => {
    expect(countCpus("0-7")).toBe(8);
    expect(countCpus("0,2,4-5")).toBe(4);
  });

  it("uses autocannon worker threads only with 4+ load CPUs, at most 8", () => {
    expect(defaultLoadWorkers("8-15")).toBe(8);
    expect(defaultLoadWorkers("0-31")).toBe(8);
    expect(defaultLoadWorkers("0-2")).toBe(0);
  });
});
