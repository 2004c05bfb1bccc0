/**
 * Classification metrics on typed arrays. Labels are class ids 0..K-1 (any `ArrayLike<number>`, usually
 * the Float64Array `y` of a Dataset); probabilities are `nRows × nClasses` row-major.
 *
 * Degenerate cases, chosen to match scikit-learn's defaults where it has one:
 * - empty input: every metric returns NaN;
 * - precision with no predicted positives, recall with no true positives, and F1 when both are 0: 0;
 * - ROC AUC when a class has no positive or no negative rows in `yTrue`: NaN (for multiclass, NaN if
 *   any one-vs-rest AUC is NaN).
 * Invalid input (length mismatch, a label that is not an integer in range, a NaN score) throws a
 * DataError with code `ERR_DATA`.
 */
import { DataError } from "./data/dataset.js";

export type Labels = ArrayLike<number>;

/** How per-class scores are combined. */
export type Average = "binary" | "macro" | "weighted";

/** Options for {@link precision}, {@link recall} and {@link f1}. */
export interface PrfOptions {
  /**
   * `"binary"`: the score of class `positive` against all others. `"macro"`: unweighted mean over the
   * classes present in `yTrue` or `yPred`. `"weighted"`: mean over those classes weighted by their
   * count in `yTrue`. Default `"binary"`.
   */
  average?: Average;
  /** The positive class for `average: "binary"`. Default 1. */
  positive?: number;
}

/** Options for {@link logLoss}. */
export interface LogLossOptions {
  /** Probabilities are clipped to [eps, 1 - eps] so that a confident miss costs -log(eps), not ∞. Default 1e-15. */
  eps?: number;
}

/** What {@link classificationReport} returns. */
export interface ClassificationReport {
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  rocAuc: number;
  logLoss: number;
}

/** Share of rows where `yPred` equals `yTrue`. */
export function accuracy(yTrue: Labels, yPred: Labels): number {
  sameLength(yTrue, yPred);
  const n = yTrue.length;
  if (n === 0) return Number.NaN;
  let hits = 0;
  for (let i = 0; i < n; i++) if (yTrue[i] === yPred[i]) hits++;
  return hits / n;
}

/** tp / (tp + fp), 0 when nothing is predicted positive. */
export function precision(yTrue: Labels, yPred: Labels, options: PrfOptions = {}): number {
  return prf(yTrue, yPred, options).precision;
}

/** tp / (tp + fn), 0 when the class never occurs. */
export function recall(yTrue: Labels, yPred: Labels, options: PrfOptions = {}): number {
  return prf(yTrue, yPred, options).recall;
}

/** Harmonic mean of precision and recall per class (0 when both are 0), then averaged. */
export function f1(yTrue: Labels, yPred: Labels, options: PrfOptions = {}): number {
  return prf(yTrue, yPred, options).f1;
}

/** `m[t][p]`: rows of true class `t` predicted as `p`. `nClasses` defaults to the largest label + 1. */
export function confusionMatrix(yTrue: Labels, yPred: Labels, nClasses?: number): number[][] {
  sameLength(yTrue, yPred);
  const k = nClasses ?? Math.max(maxLabel(yTrue, "yTrue"), maxLabel(yPred, "yPred")) + 1;
  positiveInt(k, "nClasses");
  checkLabels(yTrue, k, "yTrue");
  checkLabels(yPred, k, "yPred");
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < yTrue.length; i++) m[yTrue[i]!]![yPred[i]!]!++;
  return m;
}

/** Index of the largest probability in each row; ties go to the lowest class id, NaN never wins. */
export function argmaxRows(proba: ArrayLike<number>, nClasses: number): Float64Array {
  positiveInt(nClasses, "nClasses");
  if (proba.length % nClasses !== 0) {
    throw new DataError(`proba length ${proba.length} is not a multiple of nClasses ${nClasses}`);
  }
  const n = proba.length / nClasses;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const base = i * nClasses;
    let best = 0;
    let bestValue = proba[base]!;
    for (let k = 1; k < nClasses; k++) {
      const v = proba[base + k]!;
      if (v > bestValue || (Number.isNaN(bestValue) && !Number.isNaN(v))) {
        best = k;
        bestValue = v;
      }
    }
    out[i] = best;
  }
  return out;
}

/**
 * Area under the ROC curve, computed from average ranks (the Mann-Whitney U statistic), which equals
 * the trapezoidal area with tied scores counted as half a win. Binary (`nClasses` 2): class 1 against
 * class 0 scored by column 1. Multiclass: unweighted mean of the one-vs-rest AUCs, class k scored by
 * column k. NaN when a class lacks positive or negative rows (see the module comment).
 */
export function rocAuc(yTrue: Labels, proba: ArrayLike<number>, nClasses: number): number {
  checkProba(yTrue, proba, nClasses);
  if (nClasses < 2) throw new DataError(`rocAuc needs nClasses ≥ 2, got ${nClasses}`);
  const n = yTrue.length;
  if (n === 0) return Number.NaN;
  const scores = new Float64Array(n);
  const positive = new Uint8Array(n);
  const column = (k: number) => {
    for (let i = 0; i < n; i++) {
      scores[i] = proba[i * nClasses + k]!;
      positive[i] = yTrue[i] === k ? 1 : 0;
    }
    return binaryAuc(positive, scores);
  };
  if (nClasses === 2) return column(1);
  let sum = 0;
  for (let k = 0; k < nClasses; k++) sum += column(k);
  return sum / nClasses;
}

/** Mean of -ln p(true class), each probability clipped to [eps, 1 - eps]; rows are not renormalised. */
export function logLoss(
  yTrue: Labels,
  proba: ArrayLike<number>,
  nClasses: number,
  options: LogLossOptions = {},
): number {
  const eps = options.eps ?? 1e-15;
  if (!(eps > 0 && eps < 0.5)) throw new DataError(`eps must be in (0, 0.5), got ${eps}`);
  checkProba(yTrue, proba, nClasses);
  const n = yTrue.length;
  if (n === 0) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const p = proba[i * nClasses + yTrue[i]!]!;
    if (Number.isNaN(p)) throw new DataError(`proba has NaN in row ${i}`);
    sum -= Math.log(Math.min(Math.max(p, eps), 1 - eps));
  }
  return sum / n;
}

/**
 * The headline metrics for probabilistic predictions; the predicted class is the row argmax. With 2
 * classes precision/recall/F1 are binary (positive class 1), with more they are macro averages.
 */
export function classificationReport(
  yTrue: Labels,
  proba: ArrayLike<number>,
  nClasses: number,
): ClassificationReport {
  checkProba(yTrue, proba, nClasses);
  const yPred = argmaxRows(proba, nClasses);
  const scores = prf(yTrue, yPred, { average: nClasses === 2 ? "binary" : "macro" });
  return {
    accuracy: accuracy(yTrue, yPred),
    precision: scores.precision,
    recall: scores.recall,
    f1: scores.f1,
    rocAuc: rocAuc(yTrue, proba, nClasses),
    logLoss: logLoss(yTrue, proba, nClasses),
  };
}

interface Prf {
  precision: number;
  recall: number;
  f1: number;
}

function prf(yTrue: Labels, yPred: Labels, options: PrfOptions): Prf {
  const average = options.average ?? "binary";
  const positive = options.positive ?? 1;
  if (average !== "binary" && average !== "macro" && average !== "weighted") {
    throw new DataError(`average must be "binary", "macro" or "weighted", got ${JSON.stringify(average)}`);
  }
  if (!Number.isInteger(positive) || positive < 0) {
    throw new DataError(`positive must be a class id, got ${positive}`);
  }
  sameLength(yTrue, yPred);
  const n = yTrue.length;
  const k =
    Math.max(maxLabel(yTrue, "yTrue"), maxLabel(yPred, "yPred"), average === "binary" ? positive : 0) + 1;
  if (n === 0) return { precision: Number.NaN, recall: Number.NaN, f1: Number.NaN };
  // Per class: true count (support), predicted count, and hits.
  const support = new Float64Array(k);
  const predicted = new Float64Array(k);
  const tp = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const t = yTrue[i]!;
    support[t]!++;
    predicted[yPred[i]!]!++;
    if (t === yPred[i]) tp[t]!++;
  }
  const scoreOf = (c: number): Prf => {
    const p = predicted[c]! > 0 ? tp[c]! / predicted[c]! : 0;
    const r = support[c]! > 0 ? tp[c]! / support[c]! : 0;
    return { precision: p, recall: r, f1: p + r > 0 ? (2 * p * r) / (p + r) : 0 };
  };

  if (average === "binary") return scoreOf(positive);
  const out = { precision: 0, recall: 0, f1: 0 };
  let total = 0;
  for (let c = 0; c < k; c++) {
    if (support[c] === 0 && predicted[c] === 0) continue; // absent from both: not averaged
    const w = average === "macro" ? 1 : support[c]!;
    const s = scoreOf(c);
    out.precision += w * s.precision;
    out.recall += w * s.recall;
    out.f1 += w * s.f1;
    total += w;
  }
  return { precision: out.precision / total, recall: out.recall / total, f1: out.f1 / total };
}

function binaryAuc(positive: Uint8Array, scores: Float64Array): number {
  const n = scores.length;
  let nPos = 0;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(scores[i])) throw new DataError(`proba has NaN in row ${i}`);
    nPos += positive[i]!;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return Number.NaN;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => scores[a]! - scores[b]!);
  // Sum of the positives' ranks, a run of tied scores sharing the mean of its ranks.
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && scores[order[j]!] === scores[order[i]!]) j++;
    let posInRun = 0;
    for (let t = i; t < j; t++) posInRun += positive[order[t]!]!;
    rankSum += posInRun * ((i + 1 + j) / 2);
    i = j;
  }
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

function sameLength(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new DataError(`length mismatch: ${a.length} vs ${b.length}`);
}

function positiveInt(v: number, name: string): void {
  if (!Number.isInteger(v) || v < 1) throw new DataError(`${name} must be a positive integer, got ${v}`);
}

/** Largest label; throws unless every label is a non-negative integer. -1 for empty input. */
function maxLabel(y: Labels, name: string): number {
  let max = -1;
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (!Number.isInteger(v) || v < 0) throw new DataError(`${name}[${i}] is not a class id: ${v}`);
    if (v > max) max = v;
  }
  return max;
}

function checkLabels(y: Labels, nClasses: number, name: string): void {
  const max = maxLabel(y, name);
  if (max >= nClasses) throw new DataError(`${name} has class ${max}, but nClasses is ${nClasses}`);
}

function checkProba(yTrue: Labels, proba: ArrayLike<number>, nClasses: number): void {
  positiveInt(nClasses, "nClasses");
  if (proba.length !== yTrue.length * nClasses) {
    throw new DataError(
      `proba length ${proba.length} is not yTrue length ${yTrue.length} × nClasses ${nClasses}`,
    );
  }
  checkLabels(yTrue, nClasses, "yTrue");
}
