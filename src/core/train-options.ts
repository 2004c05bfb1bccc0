/**
 * Training options: what each model family takes, its defaults, and the checks every option passes
 * before any data is touched (the same rules the core applies). docs/training.md describes them.
 */
import { ERR_TRAIN_INVALID, TrainError } from "./errors.js";

export type ModelFamily = "gbdt" | "rf" | "logreg";

/** Features tried at each random-forest split: a rule, a fraction in (0, 1), or a count ≥ 1. */
export type MaxFeatures = "sqrt" | "log2" | "all" | number;

/**
 * Family and hyperparameters. Options that do not apply to the chosen family are rejected
 * (`seed` and `threads` apply to all). Defaults per family:
 *
 * | option | gbdt | rf | logreg |
 * |---|---|---|---|
 * | nEstimators | 100 | 100 | – |
 * | maxDepth (0 = unlimited) | 6 | 10 | – |
 * | learningRate | 0.1 | – | – |
 * | minSamplesLeaf | 1 | 1 | – |
 * | minChildWeight | 1 | – | – |
 * | l2 | 1 | – | 1 |
 * | subsample | 1 | – | – |
 * | colsample | 1 | – | – |
 * | maxBins | 256 | 256 | – |
 * | maxFeatures | – | "sqrt" | – |
 * | maxIter | – | – | 100 |
 * | seed | 0 | 0 | (ignored: the fit is deterministic) |
 * | threads | 0 = every core | same | same |
 */
export interface TrainOptions {
  /** Model family. Default `"gbdt"`. */
  model?: ModelFamily;
  /** Boosting rounds (gbdt: one tree per class per round, one in all for binary) or trees (rf), 1..1e6. */
  nEstimators?: number;
  /** Maximum tree depth, an integer ≥ 0; 0 = unlimited. Default 6 (gbdt), 10 (rf). */
  maxDepth?: number;
  /** GBDT shrinkage, > 0. Default 0.1. */
  learningRate?: number;
  /** Fewest training rows in a leaf, ≥ 1 (rf counts distinct rows of the bootstrap). Default 1. */
  minSamplesLeaf?: number;
  /** GBDT: smallest hessian sum in a leaf, ≥ 0. Default 1. */
  minChildWeight?: number;
  /** L2 penalty, ≥ 0: on GBDT leaf values (λ), on standardized logistic coefficients (1/C). Default 1. */
  l2?: number;
  /** GBDT: each round keeps each row with this probability, in (0, 1]. Default 1. */
  subsample?: number;
  /** GBDT: share of features each tree may use, in (0, 1]. Default 1. */
  colsample?: number;
  /** Value bins per feature for tree split finding, 2..65535 (missing values get one more). Default 256. */
  maxBins?: number;
  /** RF: features tried per split. Default `"sqrt"`. */
  maxFeatures?: MaxFeatures;
  /** Logistic: L-BFGS iterations, 1..1e6. Default 100. */
  maxIter?: number;
  /** Seed for row and feature sampling, an integer in [0, 2^53). Default 0. */
  seed?: number;
  /** Training threads, 0..256; 0 = every core. Never changes the result. Default 0. */
  threads?: number;
}

export interface ResolvedGbdtOptions {
  model: "gbdt";
  nEstimators: number;
  maxDepth: number;
  learningRate: number;
  minSamplesLeaf: number;
  minChildWeight: number;
  l2: number;
  subsample: number;
  colsample: number;
  maxBins: number;
  seed: number;
}

export interface ResolvedRfOptions {
  model: "rf";
  nEstimators: number;
  maxDepth: number;
  minSamplesLeaf: number;
  maxFeatures: MaxFeatures;
  maxBins: number;
  seed: number;
}

export interface ResolvedLogregOptions {
  model: "logreg";
  l2: number;
  maxIter: number;
}

/**
 * Every hyperparameter that shapes the model, defaults filled in; this is what the artifact records
 * (as JSON). `threads` is left out because it never changes the result.
 */
export type ResolvedTrainOptions = ResolvedGbdtOptions | ResolvedRfOptions | ResolvedLogregOptions;

const FAMILIES: readonly ModelFamily[] = ["gbdt", "rf", "logreg"];

/** Which options each family takes besides `model`, `seed` and `threads`. */
const APPLIES: Record<ModelFamily, readonly (keyof TrainOptions)[]> = {
  gbdt: [
    "nEstimators",
    "maxDepth",
    "learningRate",
    "minSamplesLeaf",
    "minChildWeight",
    "l2",
    "subsample",
    "colsample",
    "maxBins",
  ],
  rf: ["nEstimators", "maxDepth", "minSamplesLeaf", "maxFeatures", "maxBins"],
  logreg: ["l2", "maxIter"],
};

const KNOWN = new Set<string>(["model", "seed", "threads", ...Object.values(APPLIES).flat()]);

/** Every option name of {@link TrainOptions} (the CLI maps them to its flags in messages). */
export const TRAIN_OPTION_NAMES: ReadonlySet<string> = KNOWN;

function badParam(message: string): TrainError {
  return new TrainError(ERR_TRAIN_INVALID, "bad_param", message);
}

function int(
  options: TrainOptions,
  key: keyof TrainOptions,
  fallback: number,
  min: number,
  max: number,
): number {
  const v = options[key] ?? fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw badParam(`${key} must be an integer in [${min}, ${max}], got ${String(v)}`);
  }
  return v;
}

/** A finite number in the range; `open` excludes the lower bound. */
function num(
  options: TrainOptions,
  key: keyof TrainOptions,
  fallback: number,
  min: number,
  max: number,
  open = false,
): number {
  const v = options[key] ?? fallback;
  const ok = typeof v === "number" && Number.isFinite(v) && (open ? v > min : v >= min) && v <= max;
  if (!ok) throw badParam(`${key} must be a number in ${open ? "(" : "["}${min}, ${max}], got ${String(v)}`);
  return v as number;
}

function maxFeatures(options: TrainOptions): MaxFeatures {
  const v = options.maxFeatures ?? "sqrt";
  if (v === "sqrt" || v === "log2" || v === "all") return v;
  // An integer ≥ 1 is a count (checked against nFeatures by the core); else a fraction in (0, 1).
  if (typeof v === "number" && Number.isFinite(v) && (Number.isInteger(v) ? v >= 1 : v > 0 && v < 1))
    return v;
  throw badParam(
    `maxFeatures must be "sqrt", "log2", "all", a fraction in (0, 1) or a count >= 1, got ${String(v)}`,
  );
}

/**
 * Fills in the family's defaults and checks every option (the same rules the core applies), so that
 * bad options fail before any data is touched. Throws {@link TrainError} (ERR_TRAIN_INVALID,
 * `bad_param`) for an unknown option, one that does not apply to the family, or a value out of range.
 */
export function resolveTrainOptions(options: TrainOptions = {}): ResolvedTrainOptions {
  if (typeof options !== "object" || options === null) throw badParam("options must be an object");
  const model = options.model ?? "gbdt";
  if (!FAMILIES.includes(model))
    throw badParam(`model must be "gbdt", "rf" or "logreg", got ${String(model)}`);
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (!KNOWN.has(key)) throw badParam(`unknown option ${key}`);
    if (
      key !== "model" &&
      key !== "seed" &&
      key !== "threads" &&
      !APPLIES[model].includes(key as keyof TrainOptions)
    ) {
      throw badParam(`${key} does not apply to model ${model}`);
    }
  }
  int(options, "threads", 0, 0, 256);
  const seed = int(options, "seed", 0, 0, Number.MAX_SAFE_INTEGER);
  const maxBins = () => int(options, "maxBins", 256, 2, 65535);
  const nEstimators = () => int(options, "nEstimators", 100, 1, 1_000_000);
  const minSamplesLeaf = () => int(options, "minSamplesLeaf", 1, 1, 2 ** 32 - 1);
  switch (model) {
    case "gbdt":
      return {
        model,
        nEstimators: nEstimators(),
        maxDepth: int(options, "maxDepth", 6, 0, Number.MAX_SAFE_INTEGER),
        learningRate: num(options, "learningRate", 0.1, 0, Number.MAX_VALUE, true),
        minSamplesLeaf: minSamplesLeaf(),
        minChildWeight: num(options, "minChildWeight", 1, 0, Number.MAX_VALUE),
        l2: num(options, "l2", 1, 0, Number.MAX_VALUE),
        subsample: num(options, "subsample", 1, 0, 1, true),
        colsample: num(options, "colsample", 1, 0, 1, true),
        maxBins: maxBins(),
        seed,
      };
    case "rf":
      return {
        model,
        nEstimators: nEstimators(),
        maxDepth: int(options, "maxDepth", 10, 0, Number.MAX_SAFE_INTEGER),
        minSamplesLeaf: minSamplesLeaf(),
        maxFeatures: maxFeatures(options),
        maxBins: maxBins(),
        seed,
      };
    case "logreg":
      return {
        model,
        l2: num(options, "l2", 1, 0, Number.MAX_VALUE),
        maxIter: int(options, "maxIter", 100, 1, 1_000_000),
      };
  }
}
