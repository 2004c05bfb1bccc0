import { existsSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { CoreError } from "../../src/core/errors.js";
import { ClassifierModel } from "../../src/core/model.js";
import { loadAddon } from "../../src/core/native.js";
import { writeArtifact } from "../kit/artifact-writer.js";
import { type ModelSpec, treesOf } from "../kit/model-spec.js";
import { type RandomModelOptions, randomModel, randomRows, SPECIAL_DOUBLES } from "../kit/random-model.js";
import { createReferenceScorer } from "../kit/reference-scorer.js";

/**
 * Tree walks and margin sums are exact: the core and the reference compare the same doubles with the
 * same operator and add leaves in the same order, so identity models (random forests) must match bit
 * for bit. Sigmoid and softmax call exp(), and V8's Math.exp (an fdlibm port) and the C library's exp
 * may differ in the last ulp; that moves a probability by a few ulps relative, and 1 − p1 by about one
 * ulp of 1 absolute. Hence |a − b| ≤ 1e-12·|b| + 1e-15 there; a wrong leaf would be off by far more.
 */
function expectMatches(spec: ModelSpec, actual: Float64Array, expected: Float64Array): void {
  expect(actual.length).toBe(expected.length);
  if (spec.postTransform === "identity") {
    expect(bytesOf(actual).equals(bytesOf(expected))).toBe(true);
    return;
  }
  let worst = 0;
  let at = -1;
  for (let i = 0; i < actual.length; i++) {
    const excess = Math.abs(actual[i]! - expected[i]!) - (1e-12 * Math.abs(expected[i]!) + 1e-15);
    if (!(excess <= worst)) {
      worst = Number.isNaN(excess) ? Number.POSITIVE_INFINITY : excess;
      at = i;
    }
  }
  expect(at, `index ${at}: ${actual[at]} vs ${expected[at]}`).toBe(-1);
}

function bytesOf(a: Float64Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function load(spec: ModelSpec): ClassifierModel {
  return ClassifierModel.fromBytes(writeArtifact(spec));
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CoreError);
    return (e as CoreError).code;
  }
  throw new Error("expected a CoreError");
}

async function asyncCodeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(CoreError);
    return (e as CoreError).code;
  }
  throw new Error("expected a CoreError");
}

const CASES: [string, RandomModelOptions][] = [
  ["binary gbdt", { family: "gbdt", nTrees: 40 }],
  ["multiclass gbdt", { family: "gbdt", nClasses: 4, nTrees: 40 }],
  ["gbdt with <=", { family: "gbdt", nClasses: 3, nTrees: 30, decision: "less_equal" }],
  ["gbdt without trees", { family: "gbdt", nTrees: 0 }],
  ["binary random forest", { family: "random_forest", nTrees: 30, maxDepth: 10 }],
  [
    "multiclass random forest with <=",
    { family: "random_forest", nClasses: 5, nTrees: 30, decision: "less_equal" },
  ],
  ["stumps and single-leaf trees", { family: "random_forest", nClasses: 3, nTrees: 20, maxDepth: 1 }],
  ["deep sparse trees", { family: "random_forest", nTrees: 8, maxDepth: 24, leafProbability: 0.45 }],
  // More than 256 features: the core reads rows in place instead of a transposed block.
  ["wide random forest", { family: "random_forest", nFeatures: 300, nTrees: 20 }],
  ["wide gbdt", { family: "gbdt", nFeatures: 300, nClasses: 3, nTrees: 20, decision: "less_equal" }],
  ["binary logistic", { family: "logistic", nFeatures: 12 }],
  ["multiclass logistic", { family: "logistic", nFeatures: 12, nClasses: 4 }],
];

describe("native scoring agrees with the reference scorer", () => {
  for (const [name, options] of CASES) {
    it(name, () => {
      for (const seed of [1, 2, 3]) {
        // Thresholds on a coarse grid and inputs copied from them put many rows exactly on a split.
        const spec = randomModel({ thresholdGrid: 4, seed, ...options });
        const rows = randomRows(spec, 300, { seed, nanRate: 0.1, onThresholdRate: 0.4 });
        const model = load(spec);
        expectMatches(spec, model.predictProba(rows, 300), createReferenceScorer(spec).predict(rows, 300));
        model.dispose();
      }
    });
  }

  it("handles infinities, signed zeros, subnormals and extreme values like the reference", () => {
    const spec = randomModel({
      family: "random_forest",
      nFeatures: 4,
      nTrees: 25,
      thresholdGrid: 2,
      seed: 9,
    });
    const specials = [...SPECIAL_DOUBLES, Number.NaN];
    const nRows = specials.length ** 2;
    const rows = new Float64Array(nRows * 4);
    for (let i = 0; i < nRows; i++) {
      rows[i * 4] = specials[i % specials.length]!;
      rows[i * 4 + 1] = specials[Math.floor(i / specials.length)]!;
      rows[i * 4 + 2] = specials[(i * 7) % specials.length]!;
      rows[i * 4 + 3] = 0.5;
    }
    const model = load(spec);
    expectMatches(spec, model.predictProba(rows, nRows), createReferenceScorer(spec).predict(rows, nRows));
  });

  it("returns probabilities that sum to 1 on every row", () => {
    for (const family of ["gbdt", "random_forest", "logistic"] as const) {
      const spec = randomModel({ family, nClasses: 3, seed: 5 });
      const out = load(spec).predictProba(randomRows(spec, 50), 50);
      for (let r = 0; r < 50; r++) {
        expect(out[r * 3]! + out[r * 3 + 1]! + out[r * 3 + 2]!).toBeCloseTo(1, 12);
      }
    }
  });
});

describe("batch, block and thread independence", () => {
  const spec = randomModel({
    family: "gbdt",
    nClasses: 3,
    nTrees: 60,
    maxDepth: 7,
    thresholdGrid: 4,
    seed: 11,
  });
  const model = load(spec);
  const n = 5000;
  const rows = randomRows(spec, n, { seed: 11, nanRate: 0.05, onThresholdRate: 0.3 });
  const whole = model.predictProba(rows, n);
  const nf = spec.nFeatures;
  const slice = (from: number, to: number) => rows.subarray(from * nf, to * nf);

  it("gives a row the same bits whatever batch it is scored in", () => {
    for (const chunk of [1, 3, 7, 8, 15, 16, 17, 63, 64, 65, 129]) {
      const parts = new Float64Array(whole.length);
      for (let r = 0; r < 400; r += chunk) {
        const m = Math.min(chunk, 400 - r);
        parts.set(model.predictProba(slice(r, r + m), m), r * 3);
      }
      expect(
        bytesOf(parts.subarray(0, 400 * 3)).equals(bytesOf(whole.subarray(0, 400 * 3))),
        `chunk ${chunk}`,
      ).toBe(true);
    }
  });

  it("does the same for wide models, whose rows are read in place", () => {
    const wide = randomModel({ family: "random_forest", nFeatures: 300, nClasses: 3, nTrees: 20, seed: 12 });
    const wideModel = load(wide);
    const wideRows = randomRows(wide, 200, { seed: 12 });
    const all = wideModel.predictProba(wideRows, 200);
    for (const chunk of [1, 7, 8, 17, 64, 65]) {
      const parts = new Float64Array(all.length);
      for (let r = 0; r < 200; r += chunk) {
        const m = Math.min(chunk, 200 - r);
        parts.set(wideModel.predictProba(wideRows.subarray(r * 300, (r + m) * 300), m), r * 3);
      }
      expect(bytesOf(parts).equals(bytesOf(all)), `chunk ${chunk}`).toBe(true);
    }
  });

  it("gives identical bits sync and async on 1, 2 and 4 threads", async () => {
    for (const threads of [1, 2, 4]) {
      const out = await model.predictProbaAsync(rows, n, { threads });
      expect(bytesOf(out).equals(bytesOf(whole)), `threads ${threads}`).toBe(true);
    }
    const defaults = await model.predictProbaAsync(rows, n);
    expect(bytesOf(defaults).equals(bytesOf(whole))).toBe(true);
  });

  it("runs many async calls at once", async () => {
    const outs = await Promise.all(
      Array.from({ length: 8 }, (_, i) => model.predictProbaAsync(slice(i * 100, (i + 1) * 100), 100)),
    );
    outs.forEach((out, i) => {
      expect(bytesOf(out).equals(bytesOf(whole.subarray(i * 300, (i + 1) * 300)))).toBe(true);
    });
  });

  it("gives identical bits from sync calls on several threads", () => {
    for (const threads of [1, 2, 3, 8]) {
      for (const [from, to] of [
        [0, 5000],
        [0, 64],
        [7, 40],
        [100, 1125],
      ] as const) {
        const out = model.predictProba(slice(from, to), to - from, undefined, { threads });
        expect(
          bytesOf(out).equals(bytesOf(whole.subarray(from * 3, to * 3))),
          `rows ${from}-${to} on ${threads} threads`,
        ).toBe(true);
      }
    }
    for (const threads of [0, -1, 1.5, 257, Number.NaN]) {
      expect(codeOf(() => model.predictProba(rows, n, undefined, { threads }))).toBe("ERR_INVALID_ARG");
    }
  });

  it("gives identical bits when calls of many sizes and thread counts share the pool at once", async () => {
    // The core's workers are shared by every call (and by training): calls that overlap on the
    // libuv threads each take what workers are free and score the rest themselves.
    const calls = [
      [0, 33, 2],
      [33, 97, 2],
      [97, 161, 4],
      [161, 1161, 3],
      [1161, 5000, 8],
      [0, 5000, 2],
      [100, 4100, 4],
      [4000, 4064, 2],
      [64, 128, 256],
      [200, 2200, 2],
      [0, 1, 4],
      [1, 4999, 3],
    ] as const;
    for (let round = 0; round < 3; round++) {
      const outs = await Promise.all(
        calls.map(([from, to, threads]) => model.predictProbaAsync(slice(from, to), to - from, { threads })),
      );
      outs.forEach((out, i) => {
        const [from, to, threads] = calls[i]!;
        expect(
          bytesOf(out).equals(bytesOf(whole.subarray(from * 3, to * 3))),
          `rows ${from}-${to} on ${threads} threads`,
        ).toBe(true);
      });
    }
  });

  it("fills a caller-provided output and returns it", () => {
    const out = new Float64Array(10 * 3).fill(Number.NaN);
    const returned = model.predictProba(slice(0, 10), 10, out);
    expect(returned).toBe(out);
    expect(bytesOf(out).equals(bytesOf(whole.subarray(0, 30)))).toBe(true);
  });

  it("gives every small call without an output an array of its own", () => {
    // Calls of under 8 rows are scored into a per-model scratch buffer and copied out.
    const firsts: Float64Array[] = [];
    for (const m of [1, 2, 7, 1]) {
      const got = model.predictProba(slice(m, 2 * m), m);
      expect(bytesOf(got).equals(bytesOf(whole.subarray(m * 3, 2 * m * 3))), `${m} rows`).toBe(true);
      firsts.push(got);
    }
    // Later calls did not overwrite earlier results, and no two share memory.
    expect(bytesOf(firsts[0]!).equals(bytesOf(whole.subarray(3, 6)))).toBe(true);
    expect(new Set(firsts.map((a) => a.buffer)).size).toBe(firsts.length);
  });

  it("scores zero rows", async () => {
    expect(model.predictProba(new Float64Array(0), 0).length).toBe(0);
    expect((await model.predictProbaAsync(new Float64Array(0), 0)).length).toBe(0);
  });

  it("snapshots async input: changing or transferring rows mid-flight does not change the result", async () => {
    const copy = rows.slice();
    const pending = model.predictProbaAsync(copy, n, { threads: 2 });
    copy.fill(Number.NaN);
    expect(bytesOf(await pending).equals(bytesOf(whole))).toBe(true);

    const moved = rows.slice();
    const pending2 = model.predictProbaAsync(moved, n, { threads: 2 });
    structuredClone(moved.buffer, { transfer: [moved.buffer] });
    expect(moved.length).toBe(0); // detached
    expect(bytesOf(await pending2).equals(bytesOf(whole))).toBe(true);
  });
});

describe("argument and shape errors", () => {
  const spec = randomModel({ family: "random_forest", nFeatures: 5, nClasses: 3, seed: 21 });
  const rows = randomRows(spec, 4, { seed: 21 });

  it("rejects bad arguments with stable codes and stays usable after each", async () => {
    const model = load(spec);
    const baseline = model.predictProba(rows, 4);
    const call =
      (...args: unknown[]) =>
      () =>
        (model.predictProba as (...a: unknown[]) => Float64Array).apply(model, args);
    const checks: [() => unknown, string][] = [
      [call(rows, 3), "ERR_SHAPE"],
      [call(rows, 5), "ERR_SHAPE"],
      [call(rows.subarray(1), 4), "ERR_SHAPE"],
      [call(rows, -1), "ERR_INVALID_ARG"],
      [call(rows, 1.5), "ERR_INVALID_ARG"],
      [call(rows, Number.NaN), "ERR_INVALID_ARG"],
      [call(rows, Number.POSITIVE_INFINITY), "ERR_INVALID_ARG"],
      [call(rows, 2 ** 60), "ERR_INVALID_ARG"],
      [call(rows, "4"), "ERR_INVALID_ARG"],
      [call(rows, 4n), "ERR_INVALID_ARG"],
      [call(rows), "ERR_INVALID_ARG"],
      [call(Array.from(rows), 4), "ERR_INVALID_ARG"],
      [call(new Float32Array(rows), 4), "ERR_INVALID_ARG"],
      [call(rows.buffer, 4), "ERR_INVALID_ARG"],
      [call(null, 0), "ERR_INVALID_ARG"],
      [call(rows, 4, new Float64Array(11)), "ERR_SHAPE"],
      [call(rows, 4, new Float32Array(12)), "ERR_INVALID_ARG"],
      [call(rows, 4, [0]), "ERR_INVALID_ARG"],
      [
        call(rows.subarray(0, 10), 2, new Float64Array(rows.buffer, rows.byteOffset + 32, 6)),
        "ERR_INVALID_ARG",
      ],
    ];
    for (const [fn, code] of checks) {
      expect(codeOf(fn)).toBe(code);
      expect(bytesOf(model.predictProba(rows, 4)).equals(bytesOf(baseline))).toBe(true);
    }
    for (const threads of [0, -1, 1.5, 257, Number.NaN]) {
      expect(await asyncCodeOf(model.predictProbaAsync(rows, 4, { threads }))).toBe("ERR_INVALID_ARG");
    }
    expect(await asyncCodeOf(model.predictProbaAsync(rows, 3))).toBe("ERR_SHAPE");
    expect(bytesOf(await model.predictProbaAsync(rows, 4)).equals(bytesOf(baseline))).toBe(true);
  });

  it("names expected and actual sizes in shape errors", () => {
    const model = load(spec);
    try {
      model.predictProba(rows, 3);
      expect.unreachable();
    } catch (e) {
      expect((e as CoreError).code).toBe("ERR_SHAPE");
      expect((e as Error).message).toContain("20");
      expect((e as Error).message).toContain("15");
    }
  });

  it("treats a detached rows buffer as empty", () => {
    const model = load(spec);
    const gone = rows.slice();
    structuredClone(gone.buffer, { transfer: [gone.buffer] });
    expect(codeOf(() => model.predictProba(gone, 4))).toBe("ERR_SHAPE");
    expect(model.predictProba(gone, 0).length).toBe(0);
  });

  it("refuses direct construction of the native class", () => {
    const { Model } = loadAddon();
    const Ctor = Model as unknown as new () => unknown;
    let code: unknown;
    try {
      new Ctor();
    } catch (e) {
      code = (e as { code?: unknown }).code;
    }
    expect(code).toBe("ERR_INVALID_ARG");
  });
});

describe("dispose", () => {
  const spec = randomModel({ family: "gbdt", seed: 31 });
  const rows = randomRows(spec, 3000, { seed: 31 });

  it("makes later calls fail with ERR_MODEL_DISPOSED; dispose itself is idempotent", async () => {
    const model = load(spec);
    model.dispose();
    model.dispose();
    expect(codeOf(() => model.predictProba(rows, 3000))).toBe("ERR_MODEL_DISPOSED");
    expect(codeOf(() => model.toBytes())).toBe("ERR_MODEL_DISPOSED");
    expect(await asyncCodeOf(model.predictProbaAsync(rows, 3000))).toBe("ERR_MODEL_DISPOSED");
    // Disposed wins over argument checks, and metadata stays readable.
    expect(codeOf(() => model.predictProba(new Float64Array(1), 7))).toBe("ERR_MODEL_DISPOSED");
    expect(model.info.nTrees).toBe(10);
  });

  it("lets an in-flight async call finish after dispose()", async () => {
    const model = load(spec);
    const expected = model.predictProba(rows, 3000);
    const pending = model.predictProbaAsync(rows, 3000, { threads: 2 });
    model.dispose();
    expect(bytesOf(await pending).equals(bytesOf(expected))).toBe(true);
  });
});

/** The scoring-engine fields of info (test/core/engines.test.ts checks their values). */
function engineFields(model: ClassifierModel) {
  const { engine, rowEngine, engineIsa, engineBytes } = model.info;
  expect(typeof engine).toBe("string");
  expect(engineBytes).toBeGreaterThan(0);
  return { engine, rowEngine, engineIsa, engineBytes };
}

describe("info", () => {
  it("describes the loaded model", () => {
    const spec = randomModel({ family: "random_forest", nFeatures: 6, nClasses: 3, nTrees: 7, seed: 41 });
    const model = load(spec);
    expect(model.nFeatures).toBe(6);
    expect(model.nClasses).toBe(3);
    expect(model.info).toEqual({
      ...engineFields(model),
      family: "random_forest",
      familyId: 2,
      nFeatures: 6,
      nClasses: 3,
      nOutputs: 3,
      nTrees: 7,
      nNodes: spec.left.length,
      featureNames: ["f0", "f1", "f2", "f3", "f4", "f5"],
      paramsJson: spec.paramsJson,
      classLabels: { kind: "none", values: [] },
    });
    expect(Object.isFrozen(model.info)).toBe(true);
    const linear = load(randomModel({ family: "logistic", featureNames: false }));
    expect(linear.info).toMatchObject({
      family: "logistic",
      familyId: 3,
      nTrees: 0,
      nNodes: 0,
      featureNames: [],
    });
  });
});

describe("worker threads", () => {
  it("loads and scores in a worker, and survives the worker's termination mid-call", async () => {
    const spec = randomModel({ family: "gbdt", nClasses: 3, nTrees: 50, seed: 51 });
    const bytes = writeArtifact(spec);
    const rows = randomRows(spec, 4000, { seed: 51 });
    const expected = load(spec).predictProba(rows, 4000);
    // The built library (npm test builds it first), so that src/core loads the addon into a second
    // Node environment as it does in the first.
    const modelUrl = new URL("../../dist/core/model.js", import.meta.url);
    expect(existsSync(modelUrl), "dist/ is missing: run `npm run build` first").toBe(true);
    const source = `
      const { parentPort, workerData } = require("node:worker_threads");
      import(workerData.modelUrl).then(async ({ ClassifierModel }) => {
        const model = ClassifierModel.fromBytes(workerData.bytes);
        const out = await model.predictProbaAsync(workerData.rows, 4000, { threads: 2 });
        // Started before the message goes out, so the parent's terminate() lands while it is in flight.
        if (workerData.hang) model.predictProbaAsync(workerData.rows, 4000, { threads: 2 });
        parentPort.postMessage(out);
      });
    `;
    for (const hang of [false, true]) {
      const worker = new Worker(source, {
        eval: true,
        workerData: { modelUrl: modelUrl.href, bytes, rows, hang },
      });
      const out = await new Promise<Float64Array>((resolve, reject) => {
        worker.once("message", resolve);
        worker.once("error", reject);
      });
      expect(bytesOf(out).equals(bytesOf(expected))).toBe(true);
      await worker.terminate();
    }
    expect(bytesOf(load(spec).predictProba(rows, 4000)).equals(bytesOf(expected))).toBe(true);
  });
});

describe("exportTrees", () => {
  it("returns the artifact's trees as flat arrays", () => {
    const spec = randomModel({ family: "gbdt", nClasses: 3, nTrees: 6, decision: "less_equal", seed: 61 });
    const model = load(spec);
    const out = model.exportTrees()!;
    expect(out).toMatchObject({
      family: "gbdt",
      nClasses: 3,
      nOutputs: 3,
      leafWidth: 1,
      aggregation: "sum",
      postTransform: "softmax",
      decision: "less_equal",
    });
    expect(out.treeNodeOffsets.length).toBe(7);
    // The very arrays the artifact was written from, typed alike.
    expect(out).toStrictEqual(treesOf(spec));
    const rf = load(randomModel({ family: "random_forest", nClasses: 3, nTrees: 2 })).exportTrees()!;
    expect(rf.value.length).toBe(3 * rf.left.length);
    expect(load(randomModel({ family: "logistic" })).exportTrees()).toBeUndefined();
    model.dispose();
    expect(codeOf(() => model.exportTrees())).toBe("ERR_MODEL_DISPOSED");
  });
});
