// The native core's goals (issue 16, and the core part of issue 15), measured in one run on the two
// anchor models (test/kit/random-model-presets.ts): µs per row batched at 64 and 10,000 rows on one
// thread, a single-row call, 1 → 2 thread scaling at 10,000 rows, and XGBoost's own predictor
// (`inplace_predict`, 300 trees of depth 6, one thread) beside ours when python3 and xgboost are there.
import { execFile, spawnSync } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { ClassifierModel } from "../../src/core/model.js";
import { writeArtifact } from "../../test/kit/artifact-writer.js";
import type { ModelSpec } from "../../test/kit/model-spec.js";
import { randomRows } from "../../test/kit/random-model.js";
import { benchmarkForest, benchmarkGbdt } from "../../test/kit/random-model-presets.js";
import { alternatingBestCallsPerSecond } from "./best-slice.js";
import { poolCall } from "./pool-call.js";
import { GOALS, goal, type Verdict } from "./verdicts.js";

export interface CoreFigures {
  model: "gbdt 300×6" | "rf 100×10";
  engine: string;
  isa: string;
  engineBytes: number;
  usPerRow64: number;
  usPerRow10k: number;
  singleRowUs: number;
  /** rows/s on 2 threads ÷ (2 × rows/s on 1 thread), one 10,000-row async call. */
  scaling2: number;
}

export interface XgboostFigures {
  status: "measured" | "missing" | "failed";
  reason?: string;
  version?: string;
  usPerRow64?: number;
  usPerRow10k?: number;
}

export interface CoreSection {
  figures: CoreFigures[];
  xgboost: XgboostFigures;
}

const PYTHON = "/usr/bin/python3";
// XGBoost trains 300 trees of depth 6 on synthetic rows (20 features, a nonlinear target, so trees
// fill their depth), then inplace_predict is timed on one thread; best of several rounds per batch.
const XGB_SCRIPT = `
import json, sys, time
import numpy as np
import xgboost as xgb
rng = np.random.default_rng(7)
X = rng.standard_normal((20000, 20))
y = ((X[:, 0] + X[:, 1] * X[:, 2] + np.sin(3 * X[:, 3]) + 0.5 * rng.standard_normal(20000)) > 0).astype(int)
b = xgb.train({"max_depth": 6, "eta": 0.1, "objective": "binary:logistic", "nthread": 1, "tree_method": "hist"},
              xgb.DMatrix(X, label=y), num_boost_round=300)
b.set_param({"nthread": 1})
rows = rng.standard_normal((20000, 20))
out = {"version": xgb.__version__}
budget = float(sys.argv[1])
for batch in (64, 10000):
    best = float("inf")
    t_end = time.perf_counter() + budget
    i = 0
    while time.perf_counter() < t_end or i < 3:
        start = (i * batch) % (20000 - batch)
        x = rows[start:start + batch]
        t0 = time.perf_counter(); b.inplace_predict(x); t = time.perf_counter() - t0
        best = min(best, t); i += 1
    out[str(batch)] = best / batch * 1e6
print(json.dumps(out))
`;

export function measureXgboost(cellMs: number): XgboostFigures {
  const probe = spawnSync(PYTHON, ["-c", "import xgboost, numpy"], { encoding: "utf8" });
  if (probe.status !== 0) {
    return { status: "missing", reason: "python3-xgboost is not installed (scripts/install-test-deps.sh)" };
  }
  const run = spawnSync(PYTHON, ["-c", XGB_SCRIPT, String(cellMs / 1000)], {
    encoding: "utf8",
    timeout: 300_000,
  });
  if (run.status !== 0) return { status: "failed", reason: run.stderr.trim().split("\n").pop() };
  const r = JSON.parse(run.stdout) as Record<string, number | string>;
  return {
    status: "measured",
    version: String(r.version),
    usPerRow64: Number(r["64"]),
    usPerRow10k: Number(r["10000"]),
  };
}

const POOL = 20_000;

/** Turns each cell takes (see alternatingBestCallsPerSecond): a slow spell of the host lands on several cells. */
const CELL_TURNS = 3;

async function measureModel(
  name: CoreFigures["model"],
  spec: ModelSpec,
  cellMs: number,
): Promise<CoreFigures> {
  const model = ClassifierModel.fromBytes(writeArtifact(spec));
  try {
    const nf = spec.nFeatures;
    const rows = randomRows(spec, POOL, { nanRate: 0, onThresholdRate: 0, seed: 7 });
    const big = rows.subarray(0, 10_000 * nf);
    const async10k = (threads: number) => () => model.predictProbaAsync(big, 10_000, { threads });
    const [calls64, calls10k, callsOne, async1, async2] = (await alternatingBestCallsPerSecond(
      [
        poolCall(model, rows, 64),
        poolCall(model, rows, 10_000),
        poolCall(model, rows, 1),
        async10k(1),
        async10k(2),
      ],
      cellMs,
      CELL_TURNS,
    )) as [number, number, number, number, number];
    const usPerRow64 = 1e6 / (calls64 * 64);
    const usPerRow10k = 1e6 / (calls10k * 10_000);
    const singleRowUs = 1e6 / callsOne;
    const one = async1 * 10_000;
    const two = async2 * 10_000;
    const { engine, engineIsa, engineBytes } = model.info;
    return {
      model: name,
      engine,
      isa: engineIsa,
      engineBytes,
      usPerRow64,
      usPerRow10k,
      singleRowUs,
      scaling2: two / (2 * one),
    };
  } finally {
    model.dispose();
  }
}

/** measureCore in a fresh node process (bench/core-goals.ts), away from the caller's heap and threads. */
export async function measureCoreApart(options: { cellMs: number }): Promise<CoreSection> {
  const root = join(import.meta.dirname, "..", "..");
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", join(root, "bench", "core-goals.ts"), "--cell-ms", String(options.cellMs)],
    { cwd: root, maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout) as CoreSection;
}

export async function measureCore(options: { cellMs: number }): Promise<CoreSection> {
  const figures = [
    await measureModel("gbdt 300×6", benchmarkGbdt(), options.cellMs),
    await measureModel("rf 100×10", benchmarkForest(), options.cellMs),
  ];
  return { figures, xgboost: measureXgboost(options.cellMs) };
}

const f2 = (n: number | undefined) => (n === undefined ? "n/a" : n.toFixed(3));

export function coreLines(section: CoreSection): string[] {
  const x = section.xgboost;
  const lines = [
    "| model | engine | µs/row @64 | µs/row @10k | single-row µs | 1→2 threads @10k | layout |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...section.figures.map(
      (f) =>
        `| ${f.model} | ${f.engine} (${f.isa}) | ${f2(f.usPerRow64)} | ${f2(f.usPerRow10k)} | ${f2(f.singleRowUs)} | ` +
        `${f.scaling2.toFixed(2)}× linear | ${(f.engineBytes / 1024).toFixed(0)} KiB |`,
    ),
  ];
  lines.push(
    "",
    x.status === "measured"
      ? `XGBoost ${x.version} inplace_predict, 300 trees depth 6, 1 thread: ${f2(x.usPerRow64)} µs/row @64, ${f2(x.usPerRow10k)} µs/row @10k.`
      : `XGBoost predictor: ${x.status} (${x.reason ?? ""}).`,
  );
  return lines;
}

export function coreVerdicts(section: CoreSection): Verdict[] {
  const v: Verdict[] = [];
  const x = section.xgboost;
  for (const f of section.figures) {
    const limit = f.model.startsWith("gbdt") ? GOALS.coreGbdtUsPerRow : GOALS.coreRfUsPerRow;
    for (const [batch, us] of [
      [64, f.usPerRow64],
      [10_000, f.usPerRow10k],
    ] as const) {
      v.push(
        goal(
          `${f.model} batch ${batch}, 1 thread: ≤ ${limit} µs/row`,
          us <= limit,
          `${us.toFixed(3)} µs/row`,
        ),
      );
    }
    v.push(
      goal(
        `${f.model} single-row call ≤ ${GOALS.singleRowUs} µs (core bench)`,
        f.singleRowUs <= GOALS.singleRowUs,
        `${f.singleRowUs.toFixed(2)} µs`,
      ),
    );
    v.push(
      goal(
        `${f.model} 1→2 threads at 10k rows ≥ ${GOALS.coreThreadScaling}× linear`,
        f.scaling2 >= GOALS.coreThreadScaling,
        `${f.scaling2.toFixed(2)}×`,
      ),
    );
    if (f.model.startsWith("gbdt")) {
      for (const [batch, ours, theirs] of [
        [64, f.usPerRow64, x.usPerRow64],
        [10_000, f.usPerRow10k, x.usPerRow10k],
      ] as const) {
        const name = `${f.model} batch ${batch}: ≥ ${GOALS.coreVsXgboost}× XGBoost's predictor`;
        v.push(
          theirs === undefined
            ? goal(name, undefined, `XGBoost ${x.status}`)
            : goal(name, theirs / ours >= GOALS.coreVsXgboost, `${(theirs / ours).toFixed(2)}×`),
        );
      }
    }
  }
  return v;
}
