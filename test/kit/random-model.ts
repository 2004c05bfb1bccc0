/**
 * Seeded random models (GBDT binary and multiclass, random forest, logistic) and matching random
 * inputs, including NaN and values placed exactly on the model's thresholds.
 */
import { joinTrees, type ModelSpec, NO_LABELS, type TreeInput } from "./model-spec.js";

export type Rng = () => number;

/** mulberry32: small, fast, and reproducible across platforms. Returns floats in [0, 1). */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(rng: Rng): number {
  const u = 1 - rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

function int(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}

export interface RandomModelOptions {
  family: ModelSpec["family"];
  /** Default 8. */
  nFeatures?: number;
  /** Default 2. */
  nClasses?: number;
  /** Trees (tree families). Default 10. */
  nTrees?: number;
  /** Depth limit of every tree. Default 6. */
  maxDepth?: number;
  /** Chance that a node at depth ≥ 2 stops early as a leaf. Default 0.2; 0 gives full trees. */
  leafProbability?: number;
  /** Default "less". */
  decision?: ModelSpec["decision"];
  /** When > 0, thresholds are multiples of 1/grid (ties with inputs are common). Default 0: continuous. */
  thresholdGrid?: number;
  /** Permute node ids (the root stays 0), as importers may. Default true. */
  shuffleNodes?: boolean;
  /** Store names f0..f{n-1}. Default true. */
  featureNames?: boolean;
  /** Default 1. */
  seed?: number;
}

function randomTree(
  rng: Rng,
  o: Required<Omit<RandomModelOptions, "family" | "seed">>,
  leafWidth: number,
  leafValue: () => number[],
  outputIndex: number,
): TreeInput {
  const left: number[] = [];
  const right: number[] = [];
  const feature: number[] = [];
  const threshold: number[] = [];
  const defaultLeft: number[] = [];
  const value: number[] = [];
  const add = (): number => {
    left.push(-1);
    right.push(-1);
    feature.push(-1);
    threshold.push(0);
    defaultLeft.push(0);
    value.push(...leafValue());
    return left.length - 1;
  };
  const stack: [number, number][] = [[add(), 0]];
  while (stack.length > 0) {
    const [id, depth] = stack.pop()!;
    if (depth >= o.maxDepth || (depth >= 2 && rng() < o.leafProbability)) continue;
    const l = add();
    const r = add();
    left[id] = l;
    right[id] = r;
    feature[id] = int(rng, o.nFeatures);
    const t = gaussian(rng);
    threshold[id] = o.thresholdGrid > 0 ? Math.round(t * o.thresholdGrid) / o.thresholdGrid : t;
    defaultLeft[id] = rng() < 0.5 ? 1 : 0;
    stack.push([l, depth + 1], [r, depth + 1]);
  }
  const tree = { left, right, feature, threshold, defaultLeft, value, outputIndex };
  return o.shuffleNodes ? shuffleTree(rng, tree, leafWidth) : tree;
}

/** Renumbers nodes 1..n-1 at random; the root stays 0. */
function shuffleTree(rng: Rng, t: TreeInput, lw: number): TreeInput {
  const n = t.left.length;
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 1; i--) {
    const j = 1 + int(rng, i);
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  const out = {
    left: new Array<number>(n),
    right: new Array<number>(n),
    feature: new Array<number>(n),
    threshold: new Array<number>(n),
    defaultLeft: new Array<number>(n),
    value: new Array<number>(n * lw),
    outputIndex: t.outputIndex,
  };
  for (let i = 0; i < n; i++) {
    const p = perm[i]!;
    const [l, r] = [t.left[i]!, t.right[i]!];
    out.left[p] = l < 0 ? -1 : perm[l]!;
    out.right[p] = r < 0 ? -1 : perm[r]!;
    out.feature[p] = t.feature[i]!;
    out.threshold[p] = t.threshold[i]!;
    out.defaultLeft[p] = t.defaultLeft[i]!;
    for (let k = 0; k < lw; k++) out.value[p * lw + k] = t.value[i * lw + k]!;
  }
  return out;
}

/** A valid random model of the given family. */
export function randomModel(options: RandomModelOptions): ModelSpec {
  const rng = createRng(options.seed ?? 1);
  const o = {
    nFeatures: options.nFeatures ?? 8,
    nClasses: options.nClasses ?? 2,
    nTrees: options.nTrees ?? 10,
    maxDepth: options.maxDepth ?? 6,
    leafProbability: options.leafProbability ?? 0.2,
    decision: options.decision ?? "less",
    thresholdGrid: options.thresholdGrid ?? 0,
    shuffleNodes: options.shuffleNodes ?? true,
    featureNames: options.featureNames ?? true,
  };
  const binary = o.nClasses === 2;
  const spec: ModelSpec = {
    family: options.family,
    nFeatures: o.nFeatures,
    nClasses: o.nClasses,
    nOutputs: binary && options.family !== "random_forest" ? 1 : o.nClasses,
    leafWidth: 1,
    aggregation: "sum",
    postTransform: binary ? "sigmoid" : "softmax",
    decision: o.decision,
    featureNames: o.featureNames ? Array.from({ length: o.nFeatures }, (_, i) => `f${i}`) : [],
    paramsJson: JSON.stringify({ generator: "random-model", seed: options.seed ?? 1 }),
    classLabels: NO_LABELS,
    baseScore: new Float64Array(0),
    ...joinTrees([]),
    coef: new Float64Array(0),
    intercept: new Float64Array(0),
  };
  const trees: TreeInput[] = [];
  if (options.family === "gbdt") {
    spec.baseScore = Float64Array.from({ length: spec.nOutputs }, () => gaussian(rng) * 0.5);
    for (let i = 0; i < o.nTrees; i++) {
      trees.push(randomTree(rng, o, 1, () => [gaussian(rng) * 0.3], i % spec.nOutputs));
    }
  } else if (options.family === "random_forest") {
    spec.leafWidth = spec.nOutputs;
    spec.aggregation = "mean";
    spec.postTransform = "identity";
    spec.baseScore = new Float64Array(spec.nOutputs);
    const distribution = (): number[] => {
      const w = Array.from({ length: o.nClasses }, () => rng());
      const s = w.reduce((a, b) => a + b, 0);
      return w.map((v) => v / s);
    };
    for (let i = 0; i < o.nTrees; i++) trees.push(randomTree(rng, o, spec.leafWidth, distribution, 0));
  } else {
    spec.intercept = Float64Array.from({ length: spec.nOutputs }, () => gaussian(rng));
    spec.coef = Float64Array.from({ length: spec.nOutputs * o.nFeatures }, () => gaussian(rng));
  }
  return { ...spec, ...joinTrees(trees) };
}

export interface RandomRowsOptions {
  /** Share of values that are NaN. Default 0.05. */
  nanRate?: number;
  /** Share of values copied from one of the model's thresholds on that feature. Default 0.2. */
  onThresholdRate?: number;
  /** Default 1. */
  seed?: number;
}

/** The doubles at the edges of what a feature can hold (NaN aside): infinities, signed zeros, subnormals, extremes. */
export const SPECIAL_DOUBLES: readonly number[] = Object.freeze([
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  0,
  -0,
  5e-324,
  -5e-324,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
]);

/** Row-major `nRows × spec.nFeatures` inputs for `spec`. */
export function randomRows(spec: ModelSpec, nRows: number, options: RandomRowsOptions = {}): Float64Array {
  const rng = createRng(options.seed ?? 1);
  const nanRate = options.nanRate ?? 0.05;
  const onThreshold = options.onThresholdRate ?? 0.2;
  const thresholds: number[][] = Array.from({ length: spec.nFeatures }, () => []);
  for (let i = 0; i < spec.left.length; i++) {
    if (spec.left[i] !== -1) thresholds[spec.feature[i]!]!.push(spec.threshold[i]!);
  }
  const rows = new Float64Array(nRows * spec.nFeatures);
  for (let i = 0; i < rows.length; i++) {
    const f = i % spec.nFeatures;
    const u = rng();
    if (u < nanRate) rows[i] = Number.NaN;
    else if (u < nanRate + onThreshold && thresholds[f]!.length > 0)
      rows[i] = thresholds[f]![int(rng, thresholds[f]!.length)]!;
    else rows[i] = gaussian(rng);
  }
  return rows;
}
