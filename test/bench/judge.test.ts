// The benchmark's verdicts (labels from GATES and GOALS, never a threshold spelled out) and its one
// optional baseline, the seed stack.
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planSeedStack } from "../../bench/lib/baselines.js";
import { GOAL_LABELS, JUDGED_LEVEL, judge, type RunResults } from "../../bench/lib/judge.js";
import type { LoadResult } from "../../bench/lib/load-result.js";
import type { Measurement, Target } from "../../bench/lib/report.js";
import { GOALS } from "../../bench/lib/verdicts.js";

const BENCH = join(import.meta.dirname, "..", "..", "bench");

function load(rps: number, p99 = 5): LoadResult {
  return {
    generator: "autocannon",
    connections: 50,
    inflightPerConnection: 1,
    durationS: 2,
    ok: rps * 2,
    rps,
    latencyMs: { p50: 1, p95: 3, p99, mean: 1.5, max: 20 },
    latencySource: "per-request",
    errors: 0,
    non2xx: 0,
  };
}

const m = (target: Target, protocol: "rest" | "grpc", rps: number): Measurement => ({
  target,
  protocol,
  level: JUDGED_LEVEL,
  load: load(rps),
});

function results(over: Partial<RunResults> = {}): RunResults {
  return {
    measurements: [
      m("mlops", "rest", 900),
      m("bare-node-http", "rest", 1000),
      m("mlops-connect", "rest", 800),
      m("node-onnx", "rest", 300),
      m("mlops", "grpc", 700),
      m("bare-grpc-js", "grpc", 1000),
      { ...m("mlops", "grpc", 1100), level: "c10x10" },
      { ...m("bare-grpc-js", "grpc", 1000), level: "c10x10" },
      { ...m("mlops", "grpc", 500), level: "c50-grpcjs" },
      { ...m("bare-grpc-js", "grpc", 500), level: "c50-grpcjs" },
    ],
    grpcChecks: [{ target: "mlops", phase: "before", ok: 5, failed: 0 }],
    seedStack: { status: "skipped", reason: "no seed-stack script given" },
    onnx: { status: "skipped", reason: "--no-onnx", comparisons: [] },
    scaling: { status: "measured", connections: 256, points: [] },
    memory: {
      single: [],
      clusters: [],
      // 58 MiB is under 60 MiB but over the 60 MB (57.2 MiB).
      perExtraWorkerMiB: 58,
      coldStart: { model: "gbdt 1000×6", bestMs: GOALS.coldStartMs - 1, runsMs: [GOALS.coldStartMs - 1] },
    },
    training: {
      status: "measured",
      figures: [
        {
          set: "binary",
          rows: 10,
          classes: 2,
          threads: 2,
          ours: { seconds: 1, auc: 0.99 },
          xgboost: { version: "1.7.4", seconds: 2, auc: 0.98 },
          timeRatio: 0.5,
        },
      ],
    },
    ...over,
  };
}

describe("judge", () => {
  it("names every goal from GOALS and judges it against the same value", () => {
    const verdicts = judge(results());
    const byName = new Map(verdicts.map((v) => [v.name, v]));
    expect(GOAL_LABELS.vsBare("rest")).toBe(`REST c50 ≥ ${GOALS.restVsBare}× bare node:http`);
    expect(GOAL_LABELS.vsBare("grpc")).toBe(`gRPC c50 ≥ ${GOALS.grpcVsBare}× bare grpc-js`);
    expect(byName.get(GOAL_LABELS.vsBare("rest"))).toMatchObject({ kind: "goal", status: "pass" }); // 0.9×
    expect(byName.get(GOAL_LABELS.vsBare("grpc"))).toMatchObject({ kind: "goal", status: "miss" }); // 0.7×
    expect(byName.get(GOAL_LABELS.p99("rest"))?.name).toContain(`${GOALS.p99MsAt50} ms`);
    expect(verdicts.filter((v) => v.kind === "gate").every((v) => v.status === "pass")).toBe(true);
  });

  it("judges issue 15's goals: gRPC at every generator, Connect, the Node baseline, memory, cold start, training", () => {
    const byName = new Map(judge(results()).map((v) => [v.name, v]));
    expect(byName.get(GOAL_LABELS.grpcLevel("c10x10"))).toMatchObject({ status: "pass" }); // 1.1×
    expect(byName.get(GOAL_LABELS.grpcLevel("c50-grpcjs"))).toMatchObject({ status: "pass" }); // 1.0×
    expect(byName.get(GOAL_LABELS.connect)).toMatchObject({ status: "pass" }); // 800 / 900
    expect(byName.get(GOAL_LABELS.vsNodeOnnx)).toMatchObject({ status: "pass" }); // 3×
    expect(byName.get(GOAL_LABELS.perWorker)).toMatchObject({ status: "miss" });
    expect(byName.get(GOAL_LABELS.coldStart)).toMatchObject({ status: "pass" });
    expect(byName.get(GOAL_LABELS.training("binary"))).toMatchObject({ status: "pass" });
    expect(GOAL_LABELS.perWorker).toContain(`${GOALS.perExtraWorkerMB} MB (57.2 MiB)`);
    const quick = new Map(
      judge(results({ memory: undefined, training: undefined, scaling: undefined, quick: true })).map((v) => [
        v.name,
        v,
      ]),
    );
    expect(quick.get(GOAL_LABELS.training("two sets"))).toMatchObject({ status: "n/a" });
    expect(quick.get(GOAL_LABELS.manyCores)).toMatchObject({ status: "n/a" });
  });

  it("judges training AUC as equal when the paired interval of the difference holds 0", () => {
    const verdictFor = (aucDelta: { value: number; low: number; high: number }) => {
      const base = results().training!;
      const fit = { ...base.figures[0]!, ours: { seconds: 1, auc: 0.991 }, aucDelta };
      fit.xgboost = { version: "1.7.4", seconds: 2, auc: 0.9918 };
      return judge(results({ training: { ...base, figures: [fit] } })).find(
        (v) => v.name === GOAL_LABELS.training("binary"),
      );
    };
    expect(verdictFor({ value: -0.0008, low: -0.002, high: 0.0004 })).toMatchObject({ status: "pass" });
    expect(verdictFor({ value: -0.0008, low: -0.0012, high: -0.0003 })).toMatchObject({ status: "miss" });
  });

  it("without the seed stack, says why and leaves only that goal unjudged", () => {
    const verdicts = judge(results());
    const seed = verdicts.find((v) => v.name === GOAL_LABELS.vsSeed);
    expect(seed).toMatchObject({ kind: "goal", status: "n/a" });
    expect(seed?.detail).toBe("seed stack skipped: no seed-stack script given");
    expect(verdicts.filter((v) => v.status === "n/a")).toHaveLength(1);
  });

  it("judges the Open Inference Protocol's infer against our own route, and gates its load and replies", () => {
    const withOip = results();
    withOip.measurements.push(m("mlops-oip", "rest", 900 * GOALS.oipVsNative), m("mlops-oip", "grpc", 100));
    withOip.grpcChecks.push({ target: "mlops-oip", phase: "before", ok: 4, failed: 1, firstError: "bad" });
    const verdicts = judge(withOip);
    const byName = new Map(verdicts.map((v) => [v.name, v]));
    expect(GOAL_LABELS.oipVsNative("rest", JUDGED_LEVEL)).toBe(
      `REST OIP infer ${JUDGED_LEVEL} ≥ ${GOALS.oipVsNative}× REST /predict`,
    );
    expect(byName.get(GOAL_LABELS.oipVsNative("rest", JUDGED_LEVEL))).toMatchObject({
      kind: "goal",
      status: "pass",
    });
    expect(byName.get(GOAL_LABELS.oipVsNative("grpc", JUDGED_LEVEL))).toMatchObject({
      kind: "goal",
      status: "miss",
    });
    expect(verdicts.filter((v) => v.kind === "gate" && v.name.startsWith("REST OIP infer"))).toHaveLength(3);
    expect(verdicts.find((v) => v.name.startsWith("gRPC OIP ModelInfer replies"))).toMatchObject({
      kind: "gate",
      status: "fail",
    });
  });

  it("judges the seed ratio against GOALS.vsSeed when it was measured", () => {
    const measured = results({ seedStack: { status: "measured" } });
    measured.measurements.push(m("seed-stack", "rest", 900 / GOALS.vsSeed));
    expect(judge(measured).find((v) => v.name === GOAL_LABELS.vsSeed)?.status).toBe("pass");
  });

  it("no bench source spells out a threshold in a label: they come from GATES and GOALS", async () => {
    // ≥ 0.70×, ≤ 10 ms, < 1000 ms, ≥ 100 rps … written as numbers instead of from the constants.
    const spelled = /[≥≤<>]=?\s*\d[\d.]*\s*(×|x\b|ms\b|µs\b|s\b|rps\b)/;
    const offenders: string[] = [];
    for (const file of await sources(BENCH)) {
      const lines = (await readFile(file, "utf8")).split("\n");
      lines.forEach((line, i) => {
        const literals = line.match(/"[^"]*"|`[^`]*`/g) ?? [];
        if (literals.some((l) => spelled.test(l.replace(/\$\{[^}]*\}/g, ""))))
          offenders.push(`${file}:${i + 1}`);
      });
    }
    expect(offenders).toEqual([]);
    // The rule bites: the label this replaced would be caught.
    expect(spelled.test('"REST c50 ≥ 0.70× bare node:http"')).toBe(true);
  });
});

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== "results") out.push(...(await sources(path)));
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

describe("planSeedStack", () => {
  let dir: string;
  let script: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mlops-seed-plan-"));
    script = join(dir, "run-seed-stack.sh");
    await writeFile(script, "#!/bin/sh\n");
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const installed = () => true;
  const missing = () => false;

  it("skips, saying why, when it is off, has no script or its script is not there", () => {
    expect(planSeedStack({ seedStack: "off", seedStackScript: script, quick: false }, installed)).toEqual({
      run: false,
      reason: "--seed-stack off",
    });
    const none = planSeedStack({ seedStack: "auto", quick: false }, installed);
    expect(none).toMatchObject({ run: false, reason: expect.stringContaining("MLOPS_BENCH_SEED_STACK") });
    const gone = planSeedStack({ seedStack: "auto", seedStackScript: join(dir, "nope.sh"), quick: false });
    expect(gone).toMatchObject({ run: false, reason: expect.stringContaining("nope.sh not found") });
  });

  it("quick auto runs skip it without FastAPI; full runs start it and let the script install", () => {
    const quick = { seedStack: "auto" as const, seedStackScript: script, quick: true };
    expect(planSeedStack(quick, missing)).toMatchObject({
      run: false,
      reason: expect.stringContaining("FastAPI"),
    });
    expect(planSeedStack(quick, installed)).toEqual({ run: true, script, installed: true });
    expect(planSeedStack({ ...quick, quick: false }, missing)).toEqual({
      run: true,
      script,
      installed: false,
    });
  });

  it('"on" starts it even when the script is missing, so the failure shows', () => {
    const path = join(dir, "nope.sh");
    expect(planSeedStack({ seedStack: "on", seedStackScript: path, quick: true }, missing)).toEqual({
      run: true,
      script: path,
      installed: false,
    });
  });
});
