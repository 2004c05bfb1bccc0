import { describe, expect, it } from "vitest";
import type { Dataset } from "../../src/core/data/dataset.js";
import { selectRows } from "../../src/core/data/split.js";
import { makeClassification } from "../../src/core/data/synthetic.js";
import { ERR_TRAIN_CANCELLED, ERR_TRAIN_INVALID, TrainError } from "../../src/core/errors.js";
import { accuracy, argmaxRows } from "../../src/core/metrics.js";
import { type TrainDataset, train } from "../../src/core/train.js";
import { type ModelFamily, resolveTrainOptions, type TrainOptions } from "../../src/core/train-options.js";
import { createRng } from "../kit/random-model.js";

const binary = makeClassification({ nSamples: 1200, nFeatures: 8, nInformative: 4, nRedundant: 2, seed: 7 });
const FAMILIES: ModelFamily[] = ["gbdt", "rf", "logreg"];

function dataset(rows: number[][], labels: number[]): TrainDataset {
  return {
    x: Float64Array.from(rows.flat()),
    y: Float64Array.from(labels),
    nRows: rows.length,
    nFeatures: rows[0]?.length ?? 0,
  };
}

async function rejection(promise: Promise<unknown>): Promise<TrainError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(TrainError);
    return error as TrainError;
  }
  throw new Error("expected the promise to reject");
}

function trainAccuracy(model: Awaited<ReturnType<typeof train>>, data: TrainDataset | Dataset): number {
  const proba = model.predictProba(data.x, data.nRows);
  return accuracy(data.y, argmaxRows(proba, model.nClasses));
}

describe("resolveTrainOptions", () => {
  it("fills each family's documented defaults and leaves threads out", () => {
    expect(resolveTrainOptions({})).toEqual({
      model: "gbdt",
      nEstimators: 100,
      maxDepth: 6,
      learningRate: 0.1,
      minSamplesLeaf: 1,
      minChildWeight: 1,
      l2: 1,
      subsample: 1,
      colsample: 1,
      maxBins: 256,
      seed: 0,
    });
    expect(resolveTrainOptions({ model: "rf", threads: 2 })).toEqual({
      model: "rf",
      nEstimators: 100,
      maxDepth: 10,
      minSamplesLeaf: 1,
      maxFeatures: "sqrt",
      maxBins: 256,
      seed: 0,
    });
    expect(resolveTrainOptions({ model: "logreg", seed: 3 })).toEqual({
      model: "logreg",
      l2: 1,
      maxIter: 100,
    });
    expect(resolveTrainOptions({ model: "rf", maxFeatures: 0.5, maxDepth: 0, seed: 9 })).toMatchObject({
      maxFeatures: 0.5,
      maxDepth: 0,
      seed: 9,
    });
  });

  it.each<[string, TrainOptions]>([
    ["unknown option", { nEstimator: 5 } as TrainOptions],
    ["option of another family", { model: "rf", learningRate: 0.3 }],
    ["unknown family", { model: "svm" as ModelFamily }],
    ["negative depth", { maxDepth: -1 }],
    ["fractional depth", { maxDepth: 2.5 }],
    ["zero learning rate", { learningRate: 0 }],
    ["NaN learning rate", { learningRate: Number.NaN }],
    ["zero trees", { nEstimators: 0 }],
    ["subsample 0", { subsample: 0 }],
    ["subsample above 1", { subsample: 1.5 }],
    ["colsample 0", { colsample: 0 }],
    ["one bin", { maxBins: 1 }],
    ["negative l2", { model: "logreg", l2: -1 }],
    ["zero iterations", { model: "logreg", maxIter: 0 }],
    ["maxFeatures 0", { model: "rf", maxFeatures: 0 }],
    ["maxFeatures 1.5", { model: "rf", maxFeatures: 1.5 }],
    ["maxFeatures word", { model: "rf", maxFeatures: "half" as "sqrt" }],
    ["negative seed", { seed: -1 }],
    ["too many threads", { threads: 1000 }],
  ])("rejects %s with ERR_TRAIN_INVALID / bad_param", (_name, options) => {
    let error: unknown;
    try {
      resolveTrainOptions(options);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TrainError);
    expect((error as TrainError).code).toBe(ERR_TRAIN_INVALID);
    expect((error as TrainError).reason).toBe("bad_param");
  });
});

describe("train: determinism", () => {
  it.each<[ModelFamily, TrainOptions]>([
    ["gbdt", { nEstimators: 15, subsample: 0.8, colsample: 0.6, seed: 5 }],
    ["rf", { nEstimators: 12, maxFeatures: "log2", seed: 5 }],
    ["logreg", {}],
  ])("%s gives identical artifact bytes on 1 and 2 threads and across runs", async (model, options) => {
    const one = await train(binary, { model, ...options, threads: 1 });
    const two = await train(binary, { model, ...options, threads: 2 });
    const again = await train(binary, { model, ...options, threads: 2 });
    expect(Buffer.from(two.toBytes()).equals(Buffer.from(one.toBytes()))).toBe(true);
    expect(Buffer.from(again.toBytes()).equals(Buffer.from(one.toBytes()))).toBe(true);
  });

  it("gbdt gives the same bytes with the split kernel and with MLOPS_TRAIN_ISA=scalar", async () => {
    // NaN (some columns, not others), a few-valued column, 3 classes, counted and count-free
    // histograms, and feature groups that do not fill the kernel's 8 lanes.
    const data = makeClassification({ nSamples: 900, nFeatures: 11, nInformative: 5, nClasses: 3, seed: 9 });
    for (let i = 0; i < data.nRows; i++) {
      if (i % 5 === 0) data.x[i * 11 + 2] = Number.NaN;
      if (i % 2 === 0) data.x[i * 11 + 7] = Number.NaN;
      data.x[i * 11 + 4] = Math.round(data.x[i * 11 + 4]!);
    }
    const settings: TrainOptions[] = [
      { nEstimators: 12, maxDepth: 5, colsample: 0.8, subsample: 0.9, seed: 3 },
      { nEstimators: 8, maxDepth: 4, minSamplesLeaf: 4, maxBins: 16 },
      { nEstimators: 8, maxDepth: 4, minChildWeight: 0 },
    ];
    const saved = process.env.MLOPS_TRAIN_ISA;
    try {
      for (const options of settings) {
        delete process.env.MLOPS_TRAIN_ISA;
        const auto = await train(data, { model: "gbdt", ...options, threads: 2 });
        process.env.MLOPS_TRAIN_ISA = "scalar";
        const scalar = await train(data, { model: "gbdt", ...options, threads: 2 });
        expect(Buffer.from(auto.toBytes()).equals(Buffer.from(scalar.toBytes()))).toBe(true);
      }
    } finally {
      if (saved === undefined) delete process.env.MLOPS_TRAIN_ISA;
      else process.env.MLOPS_TRAIN_ISA = saved;
    }
  });

  it("gives the same bytes and scores when training and scoring share the thread pool at once", async () => {
    const gbdt: TrainOptions = { model: "gbdt", nEstimators: 15, subsample: 0.8, seed: 5, threads: 2 };
    const rf: TrainOptions = { model: "rf", nEstimators: 12, seed: 5, threads: 2 };
    const soloGbdt = await train(binary, gbdt);
    const soloRf = await train(binary, rf);
    const expected = soloRf.predictProba(binary.x, binary.nRows);
    const scoring = Array.from({ length: 16 }, (_, i) =>
      soloRf.predictProbaAsync(binary.x, binary.nRows, { threads: 2 + (i % 3) }),
    );
    const [busyGbdt, busyRf, ...scores] = await Promise.all([
      train(binary, gbdt),
      train(binary, rf),
      ...scoring,
    ]);
    expect(Buffer.from(busyGbdt.toBytes()).equals(Buffer.from(soloGbdt.toBytes()))).toBe(true);
    expect(Buffer.from(busyRf.toBytes()).equals(Buffer.from(soloRf.toBytes()))).toBe(true);
    for (const out of scores) {
      expect(Buffer.from(out.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
    }
  });

  it("changes with the seed when sampling is on", async () => {
    const a = await train(binary, { model: "rf", nEstimators: 5, seed: 1 });
    const b = await train(binary, { model: "rf", nEstimators: 5, seed: 2 });
    expect(Buffer.from(a.toBytes()).equals(Buffer.from(b.toBytes()))).toBe(false);
  });
});

describe("train: what the model records", () => {
  it("stores the resolved params (without threads) and the feature names", async () => {
    const options: TrainOptions = { model: "rf", nEstimators: 3, maxFeatures: 0.5, threads: 2 };
    const model = await train({ ...binary, featureNames: binary.featureNames }, options);
    expect(JSON.parse(model.info.paramsJson)).toEqual(resolveTrainOptions(options));
    expect(model.info.paramsJson).not.toContain("threads");
    expect(model.info.featureNames).toEqual(binary.featureNames);
    expect(model.info.family).toBe("random_forest");
    expect(model.nFeatures).toBe(binary.nFeatures);
  });

  it.each<[ModelFamily, string, number]>([
    ["gbdt", "gbdt", 7],
    ["rf", "random_forest", 7],
    ["logreg", "logistic", 0],
  ])("%s makes a %s model with %i trees", async (model, family, trees) => {
    const options: TrainOptions = model === "logreg" ? { model } : { model, nEstimators: 7 };
    const m = await train(binary, options);
    expect(m.info.family).toBe(family);
    expect(m.info.nTrees).toBe(trees);
  });
});

describe("train: progress and cancel", () => {
  it.each<[ModelFamily, number]>([
    ["gbdt", 7],
    ["rf", 5],
  ])("%s reports every round in order, 1..n", async (model, n) => {
    const seen: [number, number][] = [];
    await train(binary, { model, nEstimators: n }, { onProgress: (done, total) => seen.push([done, total]) });
    expect(seen).toEqual(Array.from({ length: n }, (_, i) => [i + 1, n]));
  });

  it("logreg reports increasing iterations and ends at maxIter", async () => {
    const seen: number[] = [];
    await train(
      binary,
      { model: "logreg", maxIter: 50 },
      { onProgress: (done, total) => seen.push(done, total) },
    );
    expect(seen.slice(-2)).toEqual([50, 50]);
    const done = seen.filter((_, i) => i % 2 === 0);
    expect(done).toEqual([...done].sort((a, b) => a - b));
  });

  it("rejects with ERR_TRAIN_CANCELLED when the signal aborts mid-training", async () => {
    const controller = new AbortController();
    let rounds = 0;
    const error = await rejection(
      train(
        binary,
        { model: "rf", nEstimators: 100_000, maxDepth: 0 },
        {
          signal: controller.signal,
          onProgress: (done) => {
            rounds = done;
            if (done === 2) controller.abort();
          },
        },
      ),
    );
    expect(error.code).toBe(ERR_TRAIN_CANCELLED);
    expect(rounds).toBeLessThan(1000);
  });

  it("rejects at once when the signal is already aborted", async () => {
    const error = await rejection(train(binary, {}, { signal: AbortSignal.abort() }));
    expect(error.code).toBe(ERR_TRAIN_CANCELLED);
  });

  it("stops and rejects with the error an onProgress callback throws", async () => {
    const boom = new Error("boom");
    await expect(
      train(
        binary,
        { nEstimators: 1000 },
        {
          onProgress: (done) => {
            if (done === 3) throw boom;
          },
        },
      ),
    ).rejects.toBe(boom);
  });
});

describe("train: bad input", () => {
  const ok = dataset(
    [
      [1, 2],
      [3, 4],
      [5, 6],
    ],
    [0, 1, 0],
  );
  it.each<[string, TrainDataset, TrainOptions, string]>([
    ["x length not nRows * nFeatures", { ...ok, nFeatures: 3 }, {}, "bad_shape"],
    ["y length not nRows", { ...ok, y: Float64Array.of(0, 1) }, {}, "bad_shape"],
    ["no rows", { ...ok, x: new Float64Array(0), y: new Float64Array(0), nRows: 0 }, {}, "empty"],
    ["NaN label", { ...ok, y: Float64Array.of(0, Number.NaN, 1) }, {}, "bad_label"],
    ["infinite label", { ...ok, y: Float64Array.of(0, Number.POSITIVE_INFINITY, 1) }, {}, "bad_label"],
    ["fractional label", { ...ok, y: Float64Array.of(0, 0.5, 1) }, {}, "bad_label"],
    ["negative label", { ...ok, y: Float64Array.of(0, -1, 1) }, {}, "bad_label"],
    ["a single class", { ...ok, y: Float64Array.of(1, 1, 1) }, { model: "logreg" }, "single_class"],
    ["a class with no rows", { ...ok, y: Float64Array.of(0, 2, 2) }, { model: "rf" }, "missing_class"],
    [
      "+Infinity feature",
      { ...ok, x: Float64Array.of(1, 2, Number.POSITIVE_INFINITY, 4, 5, 6) },
      {},
      "non_finite_feature",
    ],
    [
      "-Infinity feature",
      { ...ok, x: Float64Array.of(1, 2, 3, 4, 5, Number.NEGATIVE_INFINITY) },
      {},
      "non_finite_feature",
    ],
    ["x not a Float64Array", { ...ok, x: [1, 2, 3, 4, 5, 6] as unknown as Float64Array }, {}, "bad_argument"],
    ["fractional nRows", { ...ok, nRows: 2.5 }, {}, "bad_argument"],
    ["more features per split than features", ok, { model: "rf", maxFeatures: 3 }, "bad_param"],
    ["wrong number of feature names", { ...ok, featureNames: ["a"] }, {}, "bad_param"],
    ["a bad hyperparameter", ok, { learningRate: -1 }, "bad_param"],
  ])("rejects %s", async (_name, data, options, reason) => {
    const error = await rejection(train(data, options));
    expect(error.code).toBe(ERR_TRAIN_INVALID);
    expect(error.reason).toBe(reason);
  });

  it("accepts the unmodified tiny set (the control for the cases above)", async () => {
    const model = await train(ok, { model: "rf", maxFeatures: 2, nEstimators: 3 });
    expect(model.nClasses).toBe(2);
  });
});

describe("train: missing values", () => {
  // Feature 0 is missing exactly for class 1; feature 1 is noise.
  const rand = createRng(11);
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < 600; i++) {
    const label = rand() < 0.5 ? 1 : 0;
    rows.push([label === 1 ? Number.NaN : rand() * 10, rand()]);
    labels.push(label);
  }
  const data = dataset(rows, labels);
  const heldOut = selectRows({ ...data, featureNames: ["f0", "f1"] }, 400, 600);
  const trainSet = selectRows({ ...data, featureNames: ["f0", "f1"] }, 0, 400);

  it.each<ModelFamily>(["gbdt", "rf"])("%s learns from missingness alone", async (model) => {
    const m = await train(trainSet, { model, nEstimators: 10 });
    expect(trainAccuracy(m, heldOut)).toBe(1);
  });

  it("logreg treats NaN as 0, as its scorer does", async () => {
    const m = await train(trainSet, { model: "logreg" });
    const withNaN = Float64Array.of(Number.NaN, 0.5);
    const withZero = Float64Array.of(0, 0.5);
    expect(Array.from(m.predictProba(withNaN, 1))).toEqual(Array.from(m.predictProba(withZero, 1)));
  });

  it("scoring the training rows routes them exactly as training did", async () => {
    // Neighbouring doubles, signed zeros, subnormals, huge values and NaN with alternating labels: a
    // fully grown tree fits them only if every threshold sends each training row where its bin went.
    const values = [
      -1e308,
      -1,
      -Number.MIN_VALUE,
      0,
      Number.MIN_VALUE,
      2 * Number.MIN_VALUE,
      1,
      1 + Number.EPSILON,
      1 + 2 * Number.EPSILON,
      1 + 3 * Number.EPSILON,
      0.1 + 0.2,
      0.30000000000000004 + Number.EPSILON / 4,
      1e308,
      Number.MAX_VALUE,
    ];
    const xs = [...values, Number.NaN];
    const ys = xs.map((_, i) => i % 2);
    const tricky = dataset(
      xs.map((v) => [v]),
      ys,
    );
    const m = await train(tricky, {
      nEstimators: 1,
      maxDepth: 0,
      learningRate: 1,
      l2: 0,
      minChildWeight: 0,
    });
    expect(trainAccuracy(m, tricky)).toBe(1);
  });
});

describe("train: multiclass", () => {
  const blobs = makeClassification({
    nSamples: 900,
    nFeatures: 6,
    nInformative: 4,
    nRedundant: 0,
    nClasses: 3,
    nClustersPerClass: 1,
    classSep: 2,
    flipY: 0,
    seed: 3,
  });
  const trainSet = selectRows(blobs, 0, 700);
  const testSet = selectRows(blobs, 700, 900);

  it.each(FAMILIES)("%s separates 3 blobs", async (model) => {
    const options: TrainOptions = model === "logreg" ? { model } : { model, nEstimators: 30 };
    const m = await train(trainSet, options);
    expect(m.nClasses).toBe(3);
    const proba = m.predictProba(testSet.x, testSet.nRows);
    for (let i = 0; i < testSet.nRows; i++) {
      expect(proba[3 * i]! + proba[3 * i + 1]! + proba[3 * i + 2]!).toBeCloseTo(1, 12);
    }
    expect(accuracy(testSet.y, argmaxRows(proba, 3))).toBeGreaterThan(0.9);
  });
});
