import { describe, expect, it } from "vitest";
import { importLightgbm } from "../../src/models/import/lightgbm.js";
import { ServiceError } from "../../src/rpc/service-error.js";
import { createRng } from "../kit/random-model.js";
import { expected, expectParity, fixture } from "./fixture-data.js";

/**
 * LightGBM has no Debian package, and its repository publishes no model files with predictions
 * beside them, so its fixtures are hand-built models (test/fixtures/import/lightgbm/*.txt) whose
 * expected outputs follow from the format's rules (include/LightGBM/tree.h: NumericalDecision,
 * CategoricalDecision) and are checked by hand below, row by row and leaf by leaf. A second check
 * scores 2,000 random rows (NaN, zeros, values below 1e-35, values on thresholds, categories in and
 * out of the sets) against a literal transcription of those two functions working on the text
 * itself, independent of the importer.
 *
 * Those hand-built files test the rules. The files under lightgbm/real/ are made by real LightGBM
 * 4.7.0 (scripts/fixtures/make-lightgbm.py, committed with their output since CI has no PyPI):
 * trained on the team's 20-feature data with NaN and zeros put in, 1,000 held-out rows each with
 * NaN, zeros, values on split thresholds or one double beside them, and LightGBM's own predict.
 */

const sigmoid = (m: number) => 1 / (1 + Math.exp(-m));
const softmax = (m: number[]) => {
  const mx = Math.max(...m);
  const e = m.map((v) => Math.exp(v - mx));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

function proba(file: string, row: number[]): number[] {
  const model = importLightgbm(fixture(`lightgbm/${file}`)).model;
  return Array.from(model.predictProba(Float64Array.from(row), 1));
}

function close(got: number[], want: number[]): void {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => {
    expect(Math.abs(g - (want[i] ?? Number.NaN))).toBeLessThan(1e-15);
  });
}

describe("LightGBM text import: hand-checked rows", () => {
  it("binary: missing types None, Zero (the zero threshold too) and NaN, categorical sets, a one-leaf tree", () => {
    const imported = importLightgbm(fixture("lightgbm/binary.txt"));
    expect(imported.objective).toBe("binary");
    expect(imported.formatVersion).toBe("v4");
    expect(imported.nTrees).toBe(5);
    expect(imported.featureNames).toEqual(["age", "income", "segment", "ratio"]);
    expect(imported.params.num_iterations).toBe("5");
    // [row (age, income, segment, ratio), the five leaves it reaches, their sum] — see the model file:
    // Tree 0: age NaN-type (default left) 0.5, then income None-type 1.0000000000000002;
    // Tree 1: income Zero-type at the zero threshold 1e-35f, default right;
    // Tree 2: segment in {1, 3, 33} goes left; NaN and int(x) < 0 go right;
    // Tree 3: ratio None-type -0.25, then Zero-type 0.5 with default left; Tree 4: a constant.
    // leaf_value is stored with each tree's shrinkage applied, so the sums use the file's values.
    const leafValues: [number[], number[]][] = [
      [
        [0, 0.5, 1, -1],
        [0.25, -0.375, 1, 0.0625, -0.0625],
      ],
      [
        [1, Number.NaN, 2, Number.NaN],
        [-0.5, -0.375, -1, 0.5, -0.0625],
      ],
      [
        [Number.NaN, 1.0000000000000002, 33, 0],
        [0.25, -0.375, 1, 0.5, -0.0625],
      ],
      [
        [0.5, 1.0000000000000004, 3.7, 0.5],
        [0.75, -0.375, 1, 0.5, -0.0625],
      ],
      [
        [-3, -1e-36, -0.5, 0.50000001],
        [0.25, -0.375, -1, -0.25, -0.0625],
      ],
      [
        [0.6, -2e-35, -1, 1e-36],
        [-0.5, 0.125, -1, 0.5, -0.0625],
      ],
      [
        [0, 0, 32, -0.25],
        [0.25, -0.375, -1, 0.0625, -0.0625],
      ],
      [
        [0, 0, 64, 0],
        [0.25, -0.375, -1, 0.5, -0.0625],
      ],
    ];
    for (const [row, leaves] of leafValues) {
      const m = leaves.reduce((a, b) => a + b, 0);
      close(Array.from(imported.model.predictProba(Float64Array.from(row), 1)), [1 - sigmoid(m), sigmoid(m)]);
    }
  });

  it("multiclass (softmax) and multiclassova (one sigmoid per class, sigmoid:2, not normalized)", () => {
    // Classes take trees i mod 3. Row (0, 0): class 0 = 0.5 + 0.125, class 1 = -0.125 + 0.25 (0 is
    // "zero": default right), class 2 = -0.5 + 0.03125.
    const margins: [number[], number[]][] = [
      [
        [0, 0],
        [0.625, 0.125, -0.46875],
      ],
      [
        [Number.NaN, Number.NaN],
        [0.5625, 1.0, -0.46875],
      ],
      [
        [-1, 0.5],
        [0.625, 0.5625, 0.40625],
      ],
      [
        [0.76, -0.25],
        [-0.25 + 0.0625, -0.125 + 0.25, -0.5 + 0.03125],
      ],
    ];
    for (const [row, m] of margins) {
      close(proba("multiclass.txt", row), softmax(m));
      close(
        proba("multiclassova.txt", row),
        m.map((v) => sigmoid(2 * v)),
      );
    }
    const ova = importLightgbm(fixture("lightgbm/multiclassova.txt"));
    expect(ova.objective).toBe("multiclassova");
    expect(ova.classes).toEqual([0, 1, 2]);
  });

  it("average_output (random-forest mode) averages the trees", () => {
    close(proba("forest.txt", [0, 0]), [1 - sigmoid(0.75), sigmoid(0.75)]);
    close(proba("forest.txt", [1, Number.NaN]), [1 - sigmoid(-1.5), sigmoid(-1.5)]);
    expect(importLightgbm(fixture("lightgbm/forest.txt")).model.info.family).toBe("random_forest");
  });
});

/** include/LightGBM/tree.h, transcribed: the text model walked as LightGBM walks it. */
function lightgbmOracle(text: string): (row: number[]) => number[] {
  const blocks = text.split(/\nTree=\d+\n/).slice(1);
  const header = new Map(
    text
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => l.split("=") as [string, string]),
  );
  const objective = header.get("objective") ?? "";
  const k = objective.startsWith("multiclass") ? Number(/num_class:(\d+)/.exec(objective)?.[1]) : 1;
  const sig = Number(/sigmoid:([\d.]+)/.exec(objective)?.[1] ?? 1);
  const average = /\naverage_output\n/.test(text);
  const trees = blocks.map((b) => {
    const kv = new Map(
      b
        .split("\n")
        .filter((l) => l.includes("="))
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    const nums = (key: string) =>
      (kv.get(key) ?? "").trim() === "" ? [] : (kv.get(key) ?? "").trim().split(" ").map(Number);
    return {
      leafValue: nums("leaf_value"),
      feature: nums("split_feature"),
      threshold: nums("threshold"),
      decision: nums("decision_type"),
      left: nums("left_child"),
      right: nums("right_child"),
      catBoundaries: nums("cat_boundaries"),
      catThreshold: nums("cat_threshold"),
    };
  });
  const kZero = Math.fround(1e-35);
  return (row) => {
    const raw = new Array<number>(k).fill(0);
    trees.forEach((t, i) => {
      if (t.leafValue.length === 1) {
        raw[i % k]! += t.leafValue[0]!;
        return;
      }
      let node = 0;
      while (node >= 0) {
        let fval = row[t.feature[node]!]!;
        const d = t.decision[node]!;
        const missing = (d >> 2) & 3;
        let goLeft: boolean;
        if (d & 1) {
          if (Number.isNaN(fval) || Math.trunc(fval) < 0) goLeft = false;
          else {
            const c = Math.trunc(fval);
            const idx = t.threshold[node]!;
            const from = t.catBoundaries[idx]!;
            const n = t.catBoundaries[idx + 1]! - from;
            goLeft =
              Math.floor(c / 32) < n && ((t.catThreshold[from + Math.floor(c / 32)]! >>> (c % 32)) & 1) === 1;
          }
        } else {
          if (Number.isNaN(fval) && missing !== 2) fval = 0;
          if ((missing === 1 && fval >= -kZero && fval <= kZero) || (missing === 2 && Number.isNaN(fval)))
            goLeft = (d & 2) !== 0;
          else goLeft = fval <= t.threshold[node]!;
        }
        node = goLeft ? t.left[node]! : t.right[node]!;
      }
      raw[i % k]! += t.leafValue[~node]!;
    });
    if (average) for (let c = 0; c < k; c++) raw[c]! /= trees.length / k;
    if (objective.startsWith("binary")) return [1 - sigmoid(sig * raw[0]!), sigmoid(sig * raw[0]!)];
    if (objective.startsWith("multiclassova")) return raw.map((v) => sigmoid(sig * v));
    return softmax(raw);
  };
}

describe("LightGBM text import: 2,000 random rows against tree.h", () => {
  for (const file of ["binary.txt", "multiclass.txt", "multiclassova.txt", "forest.txt"]) {
    it(`${file}: within 1e-12 on every row, same class`, () => {
      const text = new TextDecoder().decode(fixture(`lightgbm/${file}`));
      const oracle = lightgbmOracle(text);
      const model = importLightgbm(fixture(`lightgbm/${file}`)).model;
      const rng = createRng(5);
      const specials = [
        0,
        -0,
        1e-36,
        -1e-36,
        2e-35,
        Math.fround(1e-35),
        0.5,
        -0.25,
        1.0000000000000002,
        0.75,
        0.25,
        -0.5,
      ];
      const nf = model.nFeatures;
      const n = 2000;
      const rows = new Float64Array(n * nf);
      for (let i = 0; i < rows.length; i++) {
        const u = rng();
        rows[i] =
          u < 0.12
            ? Number.NaN
            : u < 0.5
              ? specials[Math.floor(rng() * specials.length)]!
              : u < 0.7
                ? Math.floor(rng() * 70) - 3
                : (rng() - 0.5) * 4;
      }
      const got = model.predictProba(rows, n);
      const nc = model.nClasses;
      for (let r = 0; r < n; r++) {
        const want = oracle(Array.from(rows.subarray(r * nf, (r + 1) * nf)));
        for (let c = 0; c < nc; c++) expect(Math.abs(got[r * nc + c]! - want[c]!)).toBeLessThan(1e-12);
      }
    });
  }
});

describe("LightGBM text import: refusals", () => {
  const text = new TextDecoder().decode(fixture("lightgbm/binary.txt"));
  const edit = (from: string | RegExp, to: string) => new TextEncoder().encode(text.replace(from, to));
  function rejection(bytes: Uint8Array): ServiceError {
    try {
      importLightgbm(bytes);
    } catch (e) {
      expect(e).toBeInstanceOf(ServiceError);
      return e as ServiceError;
    }
    throw new Error("accepted");
  }

  it("UNIMPLEMENTED for linear trees and other objectives, naming where", () => {
    expect(rejection(edit("objective=binary sigmoid:1", "objective=regression")).code).toBe("UNIMPLEMENTED");
    const linear = rejection(edit("is_linear=0", "is_linear=1"));
    expect(linear.code).toBe("UNIMPLEMENTED");
    expect(linear.message).toMatch(/Tree=0\.is_linear/);
  });

  it("INVALID_ARGUMENT for malformed and hostile files, naming the field", () => {
    const cases: [Uint8Array, RegExp][] = [
      [edit("left_child=1 -1", "left_child=0 -1"), /Tree=0/],
      [edit("left_child=1 -1", "left_child=7 -1"), /Tree=0/],
      [edit("split_feature=0 1", "split_feature=0 9"), /feature/],
      [edit("threshold=0.5 1.0000000000000002", "threshold=0.5 x"), /threshold/],
      [edit("leaf_value=0.25 -0.5 0.75", "leaf_value=0.25 -0.5"), /leaf_value/],
      [edit("cat_boundaries=0 2", "cat_boundaries=0 9"), /cat_/],
      [edit("decision_type=10 2", "decision_type=10 14"), /decision_type/],
      [edit("num_leaves=3", "num_leaves=99999999999"), /num_leaves/],
      [edit("max_feature_idx=3", "max_feature_idx=-1"), /max_feature_idx/],
      [edit("Tree=1", "Tree=7"), /Tree=/],
      [edit(/Tree=[\s\S]*end of trees/, "end of trees"), /Tree=/],
      [new TextEncoder().encode("hello"), /lightgbm/],
      [new Uint8Array([0xff, 0xfe, 0x00]), /UTF-8/],
    ];
    for (const [bytes, field] of cases) {
      const e = rejection(bytes);
      expect(e.code, field.source).toBe("INVALID_ARGUMENT");
      expect(e.message, field.source).toMatch(/^lightgbm: /);
      expect(e.message, field.source).toMatch(field);
    }
    const bytes = fixture("lightgbm/binary.txt");
    for (let n = 0; n < bytes.length; n += 37) {
      try {
        importLightgbm(bytes.subarray(0, n)).model.dispose();
      } catch (e) {
        expect(["INVALID_ARGUMENT", "UNIMPLEMENTED"]).toContain((e as ServiceError).code);
      }
    }
  });
});

// Made by real LightGBM 4.7.0 (scripts/fixtures/make-lightgbm.py); the script checked that each
// model holds the missing types named here.
const REAL = [
  ["binary", "binary", 2, "missing types None and NaN"],
  ["binary-zero-missing", "binary", 2, "missing type Zero, sigmoid 0.7"],
  ["multiclass", "multiclass", 3, "softmax"],
  ["multiclassova", "multiclassova", 3, "one sigmoid (1.5) per class"],
  ["categorical", "binary", 2, "categorical bitsets, unseen and negative categories"],
] as const;

describe("LightGBM text import: parity with real LightGBM 4.7.0", () => {
  for (const [name, objective, nClasses, what] of REAL) {
    it(`${name} (${what}): within 1e-6 of LightGBM's predict, the same class on every row`, () => {
      const imported = importLightgbm(fixture(`lightgbm/real/${name}.txt`));
      expect(imported.objective).toBe(objective);
      expect(imported.formatVersion).toBe("v4");
      expect(imported.nFeatures).toBe(8);
      expect(imported.classes).toEqual(Array.from({ length: nClasses }, (_, k) => k));
      expect(imported.featureNames).toEqual(Array.from({ length: 8 }, (_, i) => `f${i}`));
      const want = expected(`lightgbm/real/${name}.expected.json.gz`);
      expect(want.nRows).toBeGreaterThanOrEqual(1000);
      const { maxDiff } = expectParity(imported.model, want);
      expect(maxDiff).toBeLessThan(1e-6);
    });
  }
});
