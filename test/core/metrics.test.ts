import { describe, expect, it } from "vitest";
import {
  accuracy,
  argmaxRows,
  classificationReport,
  confusionMatrix,
  f1,
  logLoss,
  precision,
  recall,
  rocAuc,
} from "../../src/core/metrics.js";

const f64 = (...v: number[]) => Float64Array.from(v);
/** Binary proba rows [1 - s, s] from positive-class scores. */
const binaryProba = (...scores: number[]) => Float64Array.from(scores.flatMap((s) => [1 - s, s]));

// Shared 3-class example: yTrue = [0, 0, 1, 1, 1, 2], yPred = [0, 1, 1, 1, 2, 2]
//   class 0: support 2, predicted 1, tp 1 → p 1,   r 1/2, f1 2/3
//   class 1: support 3, predicted 3, tp 2 → p 2/3, r 2/3, f1 2/3
//   class 2: support 1, predicted 2, tp 1 → p 1/2, r 1,   f1 2/3
const T3 = f64(0, 0, 1, 1, 1, 2);
const P3 = f64(0, 1, 1, 1, 2, 2);

describe("accuracy", () => {
  it("counts exact matches", () => {
    expect(accuracy(T3, P3)).toBeCloseTo(4 / 6, 12);
    expect(accuracy(f64(1, 1), f64(1, 1))).toBe(1);
    expect(accuracy(f64(), f64())).toBeNaN();
  });

  it("rejects a length mismatch with ERR_DATA", () => {
    expect(() => accuracy(f64(1), f64(1, 0))).toThrow(expect.objectContaining({ code: "ERR_DATA" }));
  });
});

describe("precision / recall / f1", () => {
  // yTrue = [0, 1, 1, 0, 1], yPred = [1, 1, 0, 0, 0]
  //   positive 1: tp 1 (row 1), fp 1 (row 0), fn 2 (rows 2, 4) → p 1/2, r 1/3, f1 (2·1/6)/(5/6) = 0.4
  //   positive 0: tp 1 (row 3), fp 2 (rows 2, 4), fn 1 (row 0) → p 1/3, r 1/2, f1 0.4
  const yt = f64(0, 1, 1, 0, 1);
  const yp = f64(1, 1, 0, 0, 0);

  it("binary, positive class 1 by default", () => {
    expect(precision(yt, yp)).toBeCloseTo(1 / 2, 12);
    expect(recall(yt, yp)).toBeCloseTo(1 / 3, 12);
    expect(f1(yt, yp)).toBeCloseTo(0.4, 12);
    expect(f1(yt, yp, { average: "binary" })).toBeCloseTo(0.4, 12);
  });

  it("binary with another positive class", () => {
    expect(precision(yt, yp, { positive: 0 })).toBeCloseTo(1 / 3, 12);
    expect(recall(yt, yp, { positive: 0 })).toBeCloseTo(1 / 2, 12);
    expect(f1(yt, yp, { positive: 0 })).toBeCloseTo(0.4, 12);
  });

  it("returns 0 when nothing is predicted positive", () => {
    const none = f64(0, 0, 0, 0, 0);
    expect(precision(yt, none)).toBe(0);
    expect(recall(yt, none)).toBe(0);
    expect(f1(yt, none)).toBe(0);
    // and recall 0 when the positive class never occurs
    expect(recall(f64(0, 0), f64(1, 0))).toBe(0);
  });

  it("macro: unweighted mean over classes", () => {
    expect(precision(T3, P3, { average: "macro" })).toBeCloseTo((1 + 2 / 3 + 1 / 2) / 3, 12);
    expect(recall(T3, P3, { average: "macro" })).toBeCloseTo((1 / 2 + 2 / 3 + 1) / 3, 12);
    expect(f1(T3, P3, { average: "macro" })).toBeCloseTo(2 / 3, 12);
  });

  it("weighted: mean weighted by support 2, 3, 1", () => {
    // p = (2·1 + 3·2/3 + 1·1/2)/6 = 0.75; weighted recall always equals accuracy (4/6)
    expect(precision(T3, P3, { average: "weighted" })).toBeCloseTo(0.75, 12);
    expect(recall(T3, P3, { average: "weighted" })).toBeCloseTo(4 / 6, 12);
    expect(f1(T3, P3, { average: "weighted" })).toBeCloseTo(2 / 3, 12);
    // unequal per-class f1: yTrue [0,0,0,1], yPred [0,0,1,1]
    //   class 0: p 1, r 2/3, f1 0.8; class 1: p 1/2, r 1, f1 2/3 → (3·0.8 + 1·2/3)/4 = 23/30
    expect(f1(f64(0, 0, 0, 1), f64(0, 0, 1, 1), { average: "weighted" })).toBeCloseTo(23 / 30, 12);
    expect(f1(f64(0, 0, 0, 1), f64(0, 0, 1, 1), { average: "macro" })).toBeCloseTo((0.8 + 2 / 3) / 2, 12);
  });

  it("macro skips classes absent from both yTrue and yPred", () => {
    expect(precision(f64(0, 2), f64(0, 2), { average: "macro" })).toBe(1);
  });

  it("is NaN on empty input and rejects bad labels and options", () => {
    expect(f1(f64(), f64(), { average: "macro" })).toBeNaN();
    const dataError = expect.objectContaining({ code: "ERR_DATA" });
    expect(() => precision(f64(0.5), f64(0))).toThrow(dataError);
    expect(() => precision(f64(-1), f64(0))).toThrow(dataError);
    expect(() => precision(f64(0), f64(0), { positive: 1.5 })).toThrow(dataError);
    expect(() => precision(f64(0), f64(0), { average: "micro" as "macro" })).toThrow(dataError);
  });
});

describe("confusionMatrix", () => {
  it("counts [true][pred]", () => {
    expect(confusionMatrix(T3, P3)).toEqual([
      [1, 1, 0],
      [0, 2, 1],
      [0, 0, 1],
    ]);
    expect(confusionMatrix(f64(0, 1), f64(1, 1), 3)).toEqual([
      [0, 1, 0],
      [0, 1, 0],
      [0, 0, 0],
    ]);
    expect(() => confusionMatrix(f64(0, 3), f64(0, 1), 3)).toThrow(
      expect.objectContaining({ code: "ERR_DATA" }),
    );
  });
});

describe("argmaxRows", () => {
  it("takes the first maximum and never picks NaN", () => {
    const p = f64(0.2, 0.5, 0.3, 0.4, 0.4, 0.2, Number.NaN, 0.1, 0.0);
    expect([...argmaxRows(p, 3)]).toEqual([1, 0, 1]);
    expect(() => argmaxRows(f64(0.1, 0.2, 0.3), 2)).toThrow(expect.objectContaining({ code: "ERR_DATA" }));
  });
});

describe("rocAuc", () => {
  it("binary, no ties: 0.75", () => {
    // positives score 0.35, 0.8; negatives 0.1, 0.4. Pairs won: 0.35>0.1, 0.8>0.1, 0.8>0.4 → 3/4
    expect(rocAuc(f64(0, 0, 1, 1), binaryProba(0.1, 0.4, 0.35, 0.8), 2)).toBeCloseTo(0.75, 12);
  });

  it("binary with ties counts a tie as half a pair", () => {
    // positives 0.5, 0.9; negatives 0.5, 0.2. Pairs: 0.5=0.5 → ½, 0.5>0.2, 0.9>0.5, 0.9>0.2 → 3.5/4
    expect(rocAuc(f64(0, 1, 0, 1), binaryProba(0.5, 0.5, 0.2, 0.9), 2)).toBeCloseTo(0.875, 12);
    // all scores equal: every pair a tie → 0.5
    expect(rocAuc(f64(0, 1, 1, 0, 1), binaryProba(0.3, 0.3, 0.3, 0.3, 0.3), 2)).toBeCloseTo(0.5, 12);
  });

  it("is 1 for a perfect ranking and 0 for a reversed one", () => {
    expect(rocAuc(f64(0, 0, 1), binaryProba(0.1, 0.2, 0.9), 2)).toBe(1);
    expect(rocAuc(f64(1, 0, 0), binaryProba(0.1, 0.2, 0.9), 2)).toBe(0);
  });

  it("is NaN when yTrue holds one class", () => {
    expect(rocAuc(f64(1, 1, 1), binaryProba(0.1, 0.5, 0.9), 2)).toBeNaN();
    expect(rocAuc(f64(0, 0), binaryProba(0.1, 0.5), 2)).toBeNaN();
  });

  it("multiclass: one-vs-rest macro average", () => {
    // rows [p0, p1, p2], yTrue = [0, 1, 2, 2]
    //   class 0: positive 0.6 vs 0.2, 0.1, 0.3 → 1
    //   class 1: positive 0.5 vs 0.3, 0.3, 0.4 → 1
    //   class 2: positives 0.6, 0.3 vs 0.1, 0.3 → (1 + 1 + 1 + ½)/4 = 0.875
    const proba = f64(0.6, 0.3, 0.1, 0.2, 0.5, 0.3, 0.1, 0.3, 0.6, 0.3, 0.4, 0.3);
    expect(rocAuc(f64(0, 1, 2, 2), proba, 3)).toBeCloseTo((1 + 1 + 0.875) / 3, 12);
    // class 2 absent from yTrue → NaN
    expect(rocAuc(f64(0, 1, 1, 0), proba, 3)).toBeNaN();
  });

  it("rejects NaN scores, shape errors and out-of-range labels", () => {
    const dataError = expect.objectContaining({ code: "ERR_DATA" });
    expect(() => rocAuc(f64(0, 1), binaryProba(0.1, Number.NaN), 2)).toThrow(dataError);
    expect(() => rocAuc(f64(0, 1), f64(0.1, 0.9, 0.5), 2)).toThrow(dataError);
    expect(() => rocAuc(f64(0, 2), binaryProba(0.1, 0.9), 2)).toThrow(dataError);
    expect(() => rocAuc(f64(0), f64(1), 1)).toThrow(dataError);
  });

  it("agrees with a brute-force pair count on random ties", () => {
    let s = 12345;
    const rand = () => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return s / 2 ** 32;
    };
    const n = 300;
    const y = Float64Array.from({ length: n }, () => (rand() < 0.4 ? 1 : 0));
    // scores on a coarse grid so that many ties occur
    const scores = Array.from({ length: n }, () => Math.floor(rand() * 10) / 10);
    let wins = 0;
    let pairs = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (y[i] === 1 && y[j] === 0) {
          pairs++;
          wins += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
        }
      }
    }
    expect(rocAuc(y, binaryProba(...scores), 2)).toBeCloseTo(wins / pairs, 12);
  });
});

describe("logLoss", () => {
  it("is the mean negative log probability of the true class", () => {
    // -(ln 0.8 + ln 0.6)/2
    expect(logLoss(f64(1, 0), binaryProba(0.8, 0.4), 2)).toBeCloseTo(
      -(Math.log(0.8) + Math.log(0.6)) / 2,
      12,
    );
    expect(logLoss(f64(1, 0), binaryProba(0.8, 0.4), 2)).toBeCloseTo(0.366984584, 8);
    // 3 classes: true-class probabilities 0.6, 0.5, 0.6, 0.3 → 0.7296928
    const proba = f64(0.6, 0.3, 0.1, 0.2, 0.5, 0.3, 0.1, 0.3, 0.6, 0.3, 0.4, 0.3);
    expect(logLoss(f64(0, 1, 2, 2), proba, 3)).toBeCloseTo(0.7296928, 6);
  });

  it("clips to [eps, 1 - eps]; eps defaults to 1e-15", () => {
    // a confident miss costs -ln(1e-15) = 34.5388, not Infinity
    expect(logLoss(f64(1), f64(1, 0), 2)).toBeCloseTo(-Math.log(1e-15), 8);
    expect(logLoss(f64(1), f64(1, 0), 2, { eps: 1e-3 })).toBeCloseTo(-Math.log(1e-3), 12);
    // a perfect prediction costs -ln(1 - eps), not 0
    expect(logLoss(f64(0), f64(1, 0), 2, { eps: 1e-3 })).toBeCloseTo(-Math.log(1 - 1e-3), 12);
    expect(() => logLoss(f64(0), f64(1, 0), 2, { eps: 0 })).toThrow(
      expect.objectContaining({ code: "ERR_DATA" }),
    );
  });
});

describe("classificationReport", () => {
  it("binary: argmax predictions, binary averages", () => {
    // scores 0.1, 0.4, 0.35, 0.8 → predictions 0, 0, 0, 1 for yTrue 0, 0, 1, 1
    //   accuracy 3/4; tp 1, fp 0, fn 1 → precision 1, recall 1/2, f1 2/3
    //   log loss -(ln 0.9 + ln 0.6 + ln 0.35 + ln 0.8)/4
    const r = classificationReport(f64(0, 0, 1, 1), binaryProba(0.1, 0.4, 0.35, 0.8), 2);
    expect(r.accuracy).toBeCloseTo(0.75, 12);
    expect(r.precision).toBeCloseTo(1, 12);
    expect(r.recall).toBeCloseTo(0.5, 12);
    expect(r.f1).toBeCloseTo(2 / 3, 12);
    expect(r.rocAuc).toBeCloseTo(0.75, 12);
    expect(r.logLoss).toBeCloseTo(-(Math.log(0.9) + Math.log(0.6) + Math.log(0.35) + Math.log(0.8)) / 4, 12);
  });

  it("multiclass: macro averages", () => {
    // predictions 0, 1, 2, 1 for yTrue 0, 1, 2, 2
    //   precision 1, 1/2, 1 → 5/6; recall 1, 1, 1/2 → 5/6; f1 1, 2/3, 2/3 → 7/9
    const proba = f64(0.6, 0.3, 0.1, 0.2, 0.5, 0.3, 0.1, 0.3, 0.6, 0.3, 0.4, 0.3);
    const r = classificationReport(f64(0, 1, 2, 2), proba, 3);
    expect(r.accuracy).toBeCloseTo(0.75, 12);
    expect(r.precision).toBeCloseTo(5 / 6, 12);
    expect(r.recall).toBeCloseTo(5 / 6, 12);
    expect(r.f1).toBeCloseTo(7 / 9, 12);
    expect(r.rocAuc).toBeCloseTo(2.875 / 3, 12);
    expect(r.logLoss).toBeCloseTo(0.7296928, 6);
  });
});
