import { existsSync, readdirSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { ClassifierModel } from "../../src/core/model.js";
import { importModel } from "../../src/models/import/index.js";
import { writeArtifact } from "../kit/artifact-writer.js";
import { joinTrees, type ModelSpec } from "../kit/model-spec.js";
import {
  createRng,
  type RandomModelOptions,
  randomModel,
  randomRows,
  SPECIAL_DOUBLES,
} from "../kit/random-model.js";
import { createReferenceScorer } from "../kit/reference-scorer.js";

/**
 * Every scoring engine (native/core/engines) must give every row the same bits as every other, on the
 * same models: the engine is a load-time choice (MLOPS_SCORER_ENGINE, MLOPS_SCORER_ISA, read at load),
 * never a change in results. Each model below is scored on each engine and kernel, at batch sizes that
 * reach every path (single rows, partial vector groups, partial blocks, several blocks).
 */

const CPU_FLAGS = existsSync("/proc/cpuinfo") ? readFileSync("/proc/cpuinfo", "utf8") : "";
/** The CPU runs the heap engine's AVX-512 kernels (Linux x86-64 only; elsewhere the scalar kernel). */
const HAS_AVX512 = /\bavx512f\b/.test(CPU_FLAGS) && /\bavx512bw\b/.test(CPU_FLAGS);
/** The CPU runs the predicated engine's AVX-512 kernels. */
const HAS_PREDICATED = HAS_AVX512 && /\bavx512vl\b/.test(CPU_FLAGS) && /\bavx512dq\b/.test(CPU_FLAGS);

type Setting = { engine?: string; isa?: string };

function loadWith(spec: ModelSpec, setting: Setting): ClassifierModel {
  return loadBytesWith(writeArtifact(spec), setting);
}

function loadBytesWith(bytes: Uint8Array, setting: Setting): ClassifierModel {
  const saved = { engine: process.env.MLOPS_SCORER_ENGINE, isa: process.env.MLOPS_SCORER_ISA };
  try {
    if (setting.engine) process.env.MLOPS_SCORER_ENGINE = setting.engine;
    else delete process.env.MLOPS_SCORER_ENGINE;
    if (setting.isa) process.env.MLOPS_SCORER_ISA = setting.isa;
    else delete process.env.MLOPS_SCORER_ISA;
    return ClassifierModel.fromBytes(bytes);
  } finally {
    for (const [key, value] of [
      ["MLOPS_SCORER_ENGINE", saved.engine],
      ["MLOPS_SCORER_ISA", saved.isa],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

afterEach(() => {
  delete process.env.MLOPS_SCORER_ENGINE;
  delete process.env.MLOPS_SCORER_ISA;
});

function bytesOf(a: Float64Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** Rows with NaN, values exactly on thresholds, and the special doubles mixed in. */
function hostileRows(spec: ModelSpec, n: number, seed: number): Float64Array {
  const rows = randomRows(spec, n, { seed, nanRate: 0.08, onThresholdRate: 0.4 });
  const specials = SPECIAL_DOUBLES;
  for (let i = 0; i < rows.length; i += 7) rows[i] = specials[(i / 7) % specials.length]!;
  return rows;
}

/** Scores `rows` in calls of `batch` rows (the engines take different paths by call size). */
function scoreInBatches(model: ClassifierModel, rows: Float64Array, n: number, batch: number): Float64Array {
  const nf = model.nFeatures;
  const nc = model.nClasses;
  const out = new Float64Array(n * nc);
  for (let r = 0; r < n; r += batch) {
    const m = Math.min(batch, n - r);
    out.set(model.predictProba(rows.subarray(r * nf, (r + m) * nf), m), r * nc);
  }
  return out;
}

const MODELS: [string, RandomModelOptions][] = [
  [
    "binary gbdt, full depth 6",
    { family: "gbdt", nFeatures: 20, nTrees: 41, maxDepth: 6, leafProbability: 0 },
  ],
  ["binary gbdt, ragged depth 6", { family: "gbdt", nFeatures: 12, nTrees: 30 }],
  ["multiclass gbdt", { family: "gbdt", nFeatures: 9, nClasses: 4, nTrees: 33, maxDepth: 5 }],
  ["gbdt with <=", { family: "gbdt", nClasses: 3, nTrees: 30, decision: "less_equal" }],
  ["gbdt on 32 features", { family: "gbdt", nFeatures: 32, nTrees: 25, maxDepth: 7 }],
  ["gbdt on 3 features", { family: "gbdt", nFeatures: 3, nTrees: 25, maxDepth: 4 }],
  ["gbdt on 32 features, depth 6", { family: "gbdt", nFeatures: 32, nTrees: 70, maxDepth: 6 }],
  // More than 2,046 split values on a feature: the row kernel's packed nodes do not fit.
  [
    "gbdt with 2,500 split values per feature",
    { family: "gbdt", nFeatures: 2, nTrees: 80, maxDepth: 6, leafProbability: 0 },
  ],
  ["gbdt stumps", { family: "gbdt", nFeatures: 5, nTrees: 33, maxDepth: 1 }],
  ["gbdt of depth 2", { family: "gbdt", nFeatures: 6, nClasses: 3, nTrees: 30, maxDepth: 2 }],
  ["gbdt of depth 3", { family: "gbdt", nFeatures: 7, nTrees: 31, maxDepth: 3, leafProbability: 0 }],
  ["binary random forest, depth 10", { family: "random_forest", nFeatures: 20, nTrees: 9, maxDepth: 10 }],
  [
    "multiclass random forest with <=",
    { family: "random_forest", nClasses: 5, nTrees: 12, decision: "less_equal" },
  ],
  ["stumps and single-leaf trees", { family: "random_forest", nClasses: 3, nTrees: 20, maxDepth: 1 }],
  // The heap engine does not take these: they must land on the generic engine.
  ["deep sparse trees", { family: "random_forest", nTrees: 6, maxDepth: 24, leafProbability: 0.45 }],
  ["wide gbdt", { family: "gbdt", nFeatures: 40, nTrees: 10 }],
];

const SETTINGS: Setting[] = [
  {},
  { engine: "generic" },
  { engine: "heap" },
  { engine: "heap", isa: "scalar" },
  { engine: "predicated" },
  { engine: "predicated", isa: "scalar" },
  { engine: "binned" },
  { engine: "binned", isa: "scalar" },
  { isa: "scalar" },
];

describe("every engine gives every row the same bits", () => {
  for (const [name, options] of MODELS) {
    it(name, () => {
      for (const seed of [1, 2]) {
        const spec = randomModel({ thresholdGrid: seed === 1 ? 4 : 0, seed, ...options });
        const n = 203;
        const rows = hostileRows(spec, n, seed);
        const generic = loadWith(spec, { engine: "generic" });
        expect(generic.info.engine).toBe("generic");
        const expected = generic.predictProba(rows, n);
        // The generic engine itself against the TypeScript reference (margins are exact; exp() may
        // differ in the last ulp between V8 and libm, so non-identity transforms get 1e-12).
        const reference = createReferenceScorer(spec).predict(rows, n);
        for (let i = 0; i < expected.length; i++) {
          const tol = spec.postTransform === "identity" ? 0 : 1e-12 * Math.abs(reference[i]!) + 1e-15;
          if (!(Math.abs(expected[i]! - reference[i]!) <= tol)) {
            throw new Error(`${name}: value ${i} ${expected[i]} vs reference ${reference[i]}`);
          }
        }
        expectBitsEverywhere(spec, rows, n, expected, [1, 2, 5, 8, 13, 64, 65, n]);
        generic.dispose();
      }
    });
  }
});

/** Every setting gives `rows` the generic engine's bits, at each batch size. */
function sameBitsEverywhere(spec: ModelSpec, rows: Float64Array, n: number, batches: number[]): void {
  const generic = loadWith(spec, { engine: "generic" });
  const expected = generic.predictProba(rows, n);
  generic.dispose();
  expectBitsEverywhere(spec, rows, n, expected, batches);
}

/** Every setting gives `rows` exactly `expected`, at each batch size. */
function expectBitsEverywhere(
  spec: ModelSpec,
  rows: Float64Array,
  n: number,
  expected: Float64Array,
  batches: number[],
): void {
  for (const setting of SETTINGS) {
    const model = loadWith(spec, setting);
    for (const batch of batches) {
      const got = scoreInBatches(model, rows, n, batch);
      expect(
        bytesOf(got).equals(bytesOf(expected)),
        `${JSON.stringify(setting)} batch ${batch} on ${model.info.engine}/${model.info.engineIsa}`,
      ).toBe(true);
    }
    model.dispose();
  }
}

describe("binned engine", () => {
  it("bins split values that crowd one bucket, and values around every bucket edge", () => {
    // Even features: most split values within 1e-9 of 0 and two far out, so the direct-mapped
    // first step overflows its buckets and falls back to the search.
    const spec = randomModel({ family: "random_forest", nFeatures: 8, nTrees: 20, maxDepth: 10, seed: 11 });
    const far = [1e6, -1e6];
    for (let i = 0; i < spec.threshold.length; i++) {
      if (spec.left[i] !== -1 && spec.feature[i]! % 2 === 0) {
        spec.threshold[i] = i % 97 === 0 ? far[i % 2]! : spec.threshold[i]! * 1e-9;
      }
    }
    const n = 900;
    const rows = hostileRows(spec, n, 3);
    // Rows next to split values: one ulp either side, where a bucket boundary may fall.
    for (let i = 0; i < rows.length; i += 5) {
      const t = spec.threshold[(i * 31) % spec.threshold.length]!;
      rows[i] = i % 2 ? t + Math.abs(t) * 2.220446049250313e-16 : t - Math.abs(t) * 2.220446049250313e-16;
    }
    sameBitsEverywhere(spec, rows, n, [1, 9, 64, n]);
  });

  it("bins a feature with more split values than the vector top's 16-bit lanes take", () => {
    // 34 full trees of depth 10 on one feature: ~34,800 distinct split values, above the
    // multiplexer's 32,766, so the vector binning runs without the vector top.
    const spec = randomModel({
      family: "random_forest",
      nFeatures: 1,
      nTrees: 34,
      maxDepth: 10,
      leafProbability: 0,
      seed: 17,
    });
    sameBitsOnBinned(spec, 300, 7, [1, 9]);
  });

  it("scores batches of several blocks", () => {
    const spec = randomModel({ family: "random_forest", nFeatures: 20, nTrees: 10, maxDepth: 10, seed: 12 });
    const n = 2600;
    sameBitsEverywhere(spec, hostileRows(spec, n, 4), n, [n, 1031]);
  });

  it("scores trees of different depths and multiclass gbdt", () => {
    const spec = randomModel({
      family: "gbdt",
      nFeatures: 11,
      nClasses: 3,
      nTrees: 40,
      maxDepth: 9,
      seed: 13,
    });
    const n = 700;
    sameBitsEverywhere(spec, hostileRows(spec, n, 5), n, [3, 32, n]);
  });

  it("scores trees that take several lines below the top (depths 11 to 16) next to shallow ones", () => {
    // Below the 5 top levels a line covers 5 levels: depth 16 takes three lines (1 + 5 + 5 levels),
    // 12 and 14 two; the depth-3 and depth-8 trees put one-line and several-line trees in one group of 4.
    const trees = [16, 3, 12, 8, 14, 10, 11].map((maxDepth, seed) =>
      randomModel({
        family: "random_forest",
        nFeatures: 20,
        nTrees: 1,
        maxDepth,
        leafProbability: 0.25,
        seed,
      }),
    );
    sameBitsOnBinned(joinModels(trees), 500, 6, [1, 40]);
  });

  it("finds the leaves of a group whose leaf numbers pass 16 bits", () => {
    // Two full trees of depth 16 in one group of 4: the second tree's leaves are numbered from
    // 65,536 on, past a line's 16-bit first-leaf field (its high bits are in a second field).
    const spec = randomModel({
      family: "random_forest",
      nFeatures: 20,
      nTrees: 2,
      maxDepth: 16,
      leafProbability: 0,
      seed: 21,
    });
    sameBitsOnBinned(spec, 400, 8, [1, 40]);
  });
});

/** The binned engine takes `spec`, and every setting gives n hostile rows the generic engine's bits, in batches and all at once. */
function sameBitsOnBinned(spec: ModelSpec, n: number, seed: number, batches: number[]): void {
  const model = loadWith(spec, { engine: "binned" });
  expect(model.info.engine).toBe("binned");
  model.dispose();
  sameBitsEverywhere(spec, hostileRows(spec, n, seed), n, [...batches, n]);
}

/** One model of the trees of several single-tree random models of one family and shape. */
function joinModels(specs: ModelSpec[]): ModelSpec {
  const trees = specs.map((m) => ({
    left: m.left,
    right: m.right,
    feature: m.feature,
    threshold: m.threshold,
    defaultLeft: m.defaultLeft,
    value: m.value,
    outputIndex: m.outputIndex[0] ?? 0,
  }));
  return { ...specs[0]!, ...joinTrees(trees) };
}

/** Rows for a loaded model: each value NaN, a special double, one of the model's thresholds on that feature, or random. */
function rowsOnThresholds(model: ClassifierModel, n: number, seed: number): Float64Array {
  const trees = model.exportTrees()!;
  const nf = model.nFeatures;
  const thresholds: number[][] = Array.from({ length: nf }, () => []);
  for (let i = 0; i < trees.feature.length; i++) {
    if (trees.left[i] !== -1) thresholds[trees.feature[i]!]!.push(trees.threshold[i]!);
  }
  const rng = createRng(seed);
  const rows = new Float64Array(n * nf);
  for (let i = 0; i < rows.length; i++) {
    const t = thresholds[i % nf]!;
    const u = rng();
    if (u < 0.08) rows[i] = Number.NaN;
    else if (u < 0.15) rows[i] = SPECIAL_DOUBLES[Math.floor(rng() * SPECIAL_DOUBLES.length)]!;
    else if (u < 0.6 && t.length > 0) rows[i] = t[Math.floor(rng() * t.length)]!;
    else rows[i] = (rng() - 0.5) * 8;
  }
  return rows;
}

describe("every engine gives an imported model's rows the same bits", () => {
  const root = new URL("../fixtures/import/", import.meta.url);
  const files = ["xgboost", "lightgbm", "onnx"].flatMap((dir) =>
    readdirSync(new URL(`${dir}/`, root))
      .filter((f) => /\.(json|ubj|txt|onnx)$/.test(f) && !f.endsWith(".expected.json"))
      .map((f) => `${dir}/${f}`),
  );
  const automatic = new Set<string>();
  for (const file of files) {
    it(file, () => {
      const imported = importModel(new Uint8Array(readFileSync(new URL(file, root))));
      const spec = imported.artifact;
      imported.model.dispose();
      const generic = ClassifierModel.fromBytes(spec);
      if (!generic.exportTrees()) return; // linear models have one engine
      const n = 300;
      const rows = rowsOnThresholds(generic, n, 5);
      const expected = generic.predictProba(rows, n);
      for (const setting of SETTINGS) {
        const model = loadBytesWith(spec, setting);
        if (!setting.engine && !setting.isa) automatic.add(model.info.engine);
        for (const batch of [1, 7, 64, n]) {
          const got = scoreInBatches(model, rows, n, batch);
          expect(
            bytesOf(got).equals(bytesOf(expected)),
            `${JSON.stringify(setting)} batch ${batch} on ${model.info.engine}/${model.info.engineIsa}`,
          ).toBe(true);
        }
        model.dispose();
      }
      generic.dispose();
    });
  }
  it("reach the predicated engine where the CPU has it", () => {
    expect(automatic.has("predicated")).toBe(HAS_PREDICATED);
    expect(automatic.has("generic")).toBe(true);
  });
});

describe("engine selection", () => {
  const shallow = randomModel({ family: "gbdt", nFeatures: 20, nTrees: 20, maxDepth: 6, seed: 3 });
  const deep = randomModel({
    family: "random_forest",
    nTrees: 4,
    maxDepth: 24,
    leafProbability: 0.45,
    seed: 3,
  });
  const wide = randomModel({ family: "gbdt", nFeatures: 33, nTrees: 4, seed: 3 });
  const forest = randomModel({ family: "random_forest", nFeatures: 20, nTrees: 4, maxDepth: 10, seed: 3 });

  it("picks the predicated engine's vector kernels for shallow one-value-per-leaf trees when the CPU has them", () => {
    const model = loadWith(shallow, {});
    if (HAS_PREDICATED) {
      expect(model.info).toMatchObject({
        engine: "predicated",
        engineIsa: "avx512",
        rowEngine: "predicated",
      });
    } else {
      expect(model.info).toMatchObject({ engine: "generic", engineIsa: "scalar", rowEngine: "generic" });
    }
    expect(model.info.engineBytes).toBeGreaterThan(0);
  });

  it("picks the binned engine's vector kernels for batches of trees of 7 levels, the generic engine for a few rows", () => {
    const seven = randomModel({
      family: "gbdt",
      nFeatures: 20,
      nTrees: 20,
      maxDepth: 7,
      leafProbability: 0,
      seed: 3,
    });
    const model = loadWith(seven, {});
    if (HAS_AVX512) {
      expect(model.info).toMatchObject({ engine: "binned", engineIsa: "avx512", rowEngine: "generic" });
      // Both engines' layouts are counted.
      expect(model.info.engineBytes).toBeGreaterThan(loadWith(seven, { engine: "generic" }).info.engineBytes);
    } else {
      expect(model.info).toMatchObject({ engine: "generic", rowEngine: "generic" });
    }
    // Without vector kernels the binned engine is only used when asked.
    expect(loadWith(seven, { isa: "scalar" }).info.engine).toBe("generic");
    expect(loadWith(seven, { engine: "binned", isa: "scalar" }).info).toMatchObject({
      engine: "binned",
      engineIsa: "scalar",
      rowEngine: "binned",
    });
    // The heap engine, only when asked.
    expect(loadWith(seven, { engine: "heap" }).info.engine).toBe("heap");
    // Deeper than 6 levels the predicated engine uses its hybrid layout, only when asked.
    expect(loadWith(seven, { engine: "predicated" }).info.engine).toBe("predicated");
  });

  it("keeps models the heap engine does not take on the generic engine, even when asked", () => {
    for (const spec of [deep, wide]) {
      for (const setting of [{}, { engine: "heap" }, { engine: "predicated" }, { engine: "binned" }]) {
        expect(loadWith(spec, setting).info).toMatchObject({ engine: "generic", rowEngine: "generic" });
      }
    }
  });

  it("scores batches of deep forests on the binned engine, a few rows on the predicated row kernel, where the CPU has them", () => {
    expect(loadWith(forest, {}).info).toMatchObject(
      HAS_AVX512
        ? { engine: "binned", engineIsa: "avx512", rowEngine: HAS_PREDICATED ? "predicated" : "generic" }
        : { engine: "generic" },
    );
    expect(loadWith(forest, { engine: "heap" }).info).toMatchObject({ engine: "heap", rowEngine: "heap" });
    // Leaf vectors: the predicated engine's hybrid layout takes them, only when asked.
    expect(loadWith(forest, { engine: "predicated" }).info).toMatchObject({
      engine: "predicated",
      rowEngine: "predicated",
    });
  });

  it("honours MLOPS_SCORER_ENGINE and MLOPS_SCORER_ISA, read at load", () => {
    expect(loadWith(shallow, { engine: "generic" }).info.engine).toBe("generic");
    expect(loadWith(shallow, { isa: "scalar" }).info).toMatchObject({
      engine: "generic",
      engineIsa: "scalar",
    });
    expect(loadWith(shallow, { engine: "heap", isa: "scalar" }).info).toMatchObject({
      engine: "heap",
      engineIsa: "scalar",
      rowEngine: "heap",
    });
    expect(loadWith(shallow, { engine: "predicated", isa: "scalar" }).info).toMatchObject({
      engine: "predicated",
      engineIsa: "scalar",
      rowEngine: "predicated",
    });
    // Unknown values mean automatic.
    expect(loadWith(shallow, { engine: "bogus", isa: "bogus" }).info.engine).toBe(
      loadWith(shallow, {}).info.engine,
    );
  });

  it("scores logistic models on the linear engine", () => {
    const linear = randomModel({ family: "logistic", nFeatures: 6, seed: 3 });
    expect(loadWith(linear, { engine: "heap" }).info).toMatchObject({
      engine: "linear",
      rowEngine: "linear",
    });
  });
});

describe("threads", () => {
  it("gives the heap, predicated and binned engines' rows the same bits on 1, 2 and 3 threads", async () => {
    for (const spec of [
      randomModel({ family: "gbdt", nFeatures: 20, nClasses: 3, nTrees: 30, seed: 8 }),
      randomModel({ family: "random_forest", nFeatures: 20, nTrees: 12, maxDepth: 10, seed: 8 }),
    ]) {
      await sameOnThreads(spec);
    }
  });
});

async function sameOnThreads(spec: ModelSpec): Promise<void> {
  const n = 5000;
  const rows = hostileRows(spec, n, 8);
  const expected = loadWith(spec, { engine: "generic" }).predictProba(rows, n);
  for (const engine of ["heap", "predicated", "binned"]) {
    const model = loadWith(spec, { engine });
    for (const threads of [1, 2, 3]) {
      const got = await model.predictProbaAsync(rows, n, { threads });
      expect(bytesOf(got).equals(bytesOf(expected)), `${engine} threads ${threads}`).toBe(true);
    }
  }
}
