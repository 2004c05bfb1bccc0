import { describe, expect, it } from "vitest";
import { parseLenientJson } from "../../src/models/import/json.js";
import { importXgboost } from "../../src/models/import/xgboost.js";
import { ServiceError } from "../../src/rpc/service-error.js";
import { expected, expectParity, fixture } from "./fixture-data.js";

/**
 * Parity with XGBoost's own predictor (python3-xgboost 1.7, scripts/fixtures/make-xgboost.py): 1,200
 * held-out rows per model, with missing values and a third of the values on a split threshold or
 * one double beside it; every probability within 1e-6 and the same predicted class on every row.
 */

const CASES = [
  ["binary-logistic", "binary:logistic", 2],
  ["binary-base-score", "binary:logistic", 2],
  ["binary-logitraw", "binary:logitraw", 2],
  ["multi-softprob", "multi:softprob", 3],
  ["multi-softmax", "multi:softmax", 3],
  ["multi-base-vector", "multi:softmax", 3],
  ["categorical", "binary:logistic", 2],
  ["forest", "binary:logistic", 2],
  ["dart", "binary:logistic", 2],
] as const;

function rejection(fn: () => unknown): ServiceError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ServiceError);
    return e as ServiceError;
  }
  throw new Error("accepted");
}

describe("XGBoost JSON import", () => {
  for (const [name, objective, nClasses] of CASES) {
    it(`${name}: agrees with XGBoost within 1e-6 and predicts the same class on every row`, () => {
      const imported = importXgboost(fixture(`xgboost/${name}.json`));
      expect(imported.objective).toBe(objective);
      expect(imported.formatVersion).toBe("1.7.4");
      expect(imported.nFeatures).toBe(6);
      expect(imported.classes).toEqual(Array.from({ length: nClasses }, (_, k) => k));
      expect(imported.featureNames).toEqual(["age", "income", "score", "tenure", "ratio", "segment"]);
      expect(imported.params["objective.name"]).toBe(objective);
      const { maxDiff } = expectParity(imported.model, expected(`xgboost/${name}.expected.json.gz`));
      expect(maxDiff).toBeLessThan(1e-6);
      if (name === "categorical") expect(imported.model.info.engine).toBe("generic");
    });
  }

  for (const name of ["binary-logistic", "categorical"]) {
    it(`${name}.ubj (UBJSON): the same model as the JSON file, the same predictions`, () => {
      const ubj = importXgboost(fixture(`xgboost/${name}.ubj`));
      const json = importXgboost(fixture(`xgboost/${name}.json`));
      expect(Buffer.from(ubj.artifact).equals(Buffer.from(json.artifact))).toBe(true);
      expectParity(ubj.model, expected(`xgboost/${name}.expected.json.gz`));
    });
  }

  it("refuses hostile UBJSON cleanly", () => {
    const bytes = fixture("xgboost/binary-logistic.ubj");
    for (let n = 1; n < bytes.length; n += 331) {
      expect(rejection(() => importXgboost(bytes.subarray(0, n))).code).toBe("INVALID_ARGUMENT");
    }
    // A count far beyond the file, a nesting bomb, a __proto__ key.
    const huge = Uint8Array.from([
      0x7b, 0x69, 1, 0x61, 0x5b, 0x24, 0x44, 0x23, 0x4c, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    ]);
    expect(rejection(() => importXgboost(huge)).code).toBe("INVALID_ARGUMENT");
    const deep = new Uint8Array(2 + 2 * 5000);
    deep.set([0x7b, 0x69], 0);
    for (let i = 0; i < 5000; i++) deep.set([0x01, 0x5b], 2 + i * 2);
    expect(rejection(() => importXgboost(deep)).code).toBe("INVALID_ARGUMENT");
    const proto = Uint8Array.from([0x7b, 0x69, 9, ...new TextEncoder().encode("__proto__"), 0x5a, 0x7d]);
    expect(rejection(() => importXgboost(proto)).code).toBe("INVALID_ARGUMENT");
  });

  it("takes class labels and feature names from the caller", () => {
    const imported = importXgboost(fixture("xgboost/multi-softprob.json"), {
      classes: ["low", "mid", "high"],
      featureNames: ["a", "b", "c", "d", "e", "f"],
    });
    expect(imported.model.info.classLabels).toEqual({ kind: "string", values: ["low", "mid", "high"] });
    expect(imported.model.info.featureNames).toEqual(["a", "b", "c", "d", "e", "f"]);
    expect(
      rejection(() => importXgboost(fixture("xgboost/multi-softprob.json"), { classes: ["a", "b"] })).code,
    ).toBe("INVALID_ARGUMENT");
    expect(
      rejection(() => importXgboost(fixture("xgboost/binary-logistic.json"), { featureNames: ["x"] })).code,
    ).toBe("INVALID_ARGUMENT");
  });

  it("refuses what it does not convert with UNIMPLEMENTED naming the field", () => {
    const doc = JSON.parse(new TextDecoder().decode(fixture("xgboost/binary-logistic.json")));
    const variant = (edit: (d: typeof doc) => void) => {
      const copy = structuredClone(doc);
      edit(copy);
      return new TextEncoder().encode(JSON.stringify(copy));
    };
    const regression = rejection(() =>
      importXgboost(variant((d) => (d.learner.objective.name = "reg:squarederror"))),
    );
    expect(regression.code).toBe("UNIMPLEMENTED");
    expect(regression.message).toMatch(/reg:squarederror.*learner\.objective\.name/);
    const multiOutput = rejection(() =>
      importXgboost(
        variant((d) => (d.learner.gradient_booster.model.trees[0].tree_param.size_leaf_vector = "3")),
      ),
    );
    expect(multiOutput.code).toBe("UNIMPLEMENTED");
    expect(multiOutput.message).toMatch(/trees\[0\]\.tree_param\.size_leaf_vector/);
    expect(
      rejection(() => importXgboost(variant((d) => (d.learner.gradient_booster.name = "gblinear")))).code,
    ).toBe("UNIMPLEMENTED");
  });

  it("takes a category set up to the largest category, and refuses more category words than a tree may hold", () => {
    // Found by the fuzz run: a set holding category 2^24-1 is 2^19 words, once copied with push(...),
    // which overflowed the stack (RangeError) instead of importing.
    const text = new TextDecoder().decode(fixture("xgboost/categorical.json"));
    // biome-ignore lint/suspicious/noExplicitAny: a parsed model file, edited in place.
    const doc = parseLenientJson("xgboost", text) as any;
    const tree = doc.learner.gradient_booster.model.trees[0];
    const at = tree.categories_segments[0] + tree.categories_sizes[0] - 1;
    tree.categories[at] = 2 ** 24 - 1;
    const imported = importXgboost(new TextEncoder().encode(JSON.stringify(doc)));
    const row = new Float64Array(imported.nFeatures).fill(0.5);
    row[tree.split_indices[tree.categories_nodes[0]]] = 2 ** 24 - 1;
    expect(imported.model.predictProba(row, 1)).toHaveLength(2);
    imported.model.dispose();

    // A tree of 33 splits on one category 2^24-1 each: 33 * 2^19 words, over the artifact's 2^24 a tree.
    const n = 33;
    const nodes = 2 * n + 1;
    const ids = Array.from({ length: nodes }, (_, i) => i);
    const split = (i: number) => i % 2 === 0 && i < 2 * n;
    doc.learner.gradient_booster.model.trees[0] = {
      ...tree,
      base_weights: ids.map(() => 0),
      categories: ids.filter(split).map(() => 2 ** 24 - 1),
      categories_nodes: ids.filter(split),
      categories_segments: ids.filter(split).map((_, k) => k),
      categories_sizes: ids.filter(split).map(() => 1),
      default_left: ids.map(() => 0),
      left_children: ids.map((i) => (split(i) ? i + 1 : -1)),
      right_children: ids.map((i) => (split(i) ? i + 2 : -1)),
      loss_changes: ids.map(() => 0),
      parents: ids.map((i) => (i === 0 ? 2147483647 : i % 2 === 1 ? i - 1 : i - 2)),
      split_conditions: ids.map((i) => (split(i) ? Number.NaN : 0.1)),
      split_indices: ids.map((i) => (split(i) ? tree.split_indices[tree.categories_nodes[0]] : 0)),
      split_type: ids.map((i) => (split(i) ? 1 : 0)),
      sum_hessian: ids.map(() => 1),
      tree_param: { ...tree.tree_param, num_nodes: String(nodes) },
    };
    const e = rejection(() => importXgboost(new TextEncoder().encode(JSON.stringify(doc))));
    expect(e.code).toBe("INVALID_ARGUMENT");
    expect(e.message).toMatch(/trees\[0\].*categories/);
  });

  it("refuses malformed and hostile files with INVALID_ARGUMENT naming format and field", () => {
    const doc = JSON.parse(new TextDecoder().decode(fixture("xgboost/binary-logistic.json")));
    const variant = (edit: (d: typeof doc) => void) => {
      const copy = structuredClone(doc);
      edit(copy);
      return new TextEncoder().encode(JSON.stringify(copy));
    };
    const cases: [(d: typeof doc) => void, RegExp][] = [
      [(d) => (d.learner.gradient_booster.model.trees[0].left_children[0] = 0), /trees\[0\]/],
      [(d) => (d.learner.gradient_booster.model.trees[0].left_children[0] = 1e6), /left_children\[0\]/],
      [(d) => (d.learner.gradient_booster.model.trees[0].right_children[0] = 1), /trees\[0\]/],
      [(d) => (d.learner.gradient_booster.model.trees[0].split_indices[0] = 99), /feature/],
      [(d) => (d.learner.gradient_booster.model.trees[0].split_conditions[3] = "x"), /split_conditions/],
      [(d) => d.learner.gradient_booster.model.trees[0].default_left.pop(), /default_left/],
      [(d) => (d.learner.gradient_booster.model.gbtree_model_param.num_trees = "31"), /trees/],
      [(d) => (d.learner.gradient_booster.model.tree_info[0] = 4), /tree_info/],
      [(d) => (d.learner.learner_model_param.base_score = "1.5"), /base_score/],
      [(d) => (d.learner.learner_model_param.num_feature = "0"), /num_feature/],
      [(d) => (d.learner.gradient_booster.model.trees[2].tree_param.num_nodes = "1e9"), /num_nodes/],
      [(d) => delete d.learner, /learner/],
    ];
    for (const [edit, field] of cases) {
      const e = rejection(() => importXgboost(variant(edit)));
      expect(e.code, String(edit)).toBe("INVALID_ARGUMENT");
      expect(e.message, String(edit)).toMatch(/^xgboost: /);
      expect(e.message, String(edit)).toMatch(field);
    }
    for (const text of ["", "{", "[1,2]", "null", '{"learner": 5}', "\u00ff\u00fe"]) {
      expect(rejection(() => importXgboost(new TextEncoder().encode(text))).code).toBe("INVALID_ARGUMENT");
    }
    // Every truncation of a real file is refused cleanly (JSON that ends early).
    const bytes = fixture("xgboost/dart.json");
    for (let n = 0; n < bytes.length; n += 997) {
      expect(rejection(() => importXgboost(bytes.subarray(0, n))).code).toBe("INVALID_ARGUMENT");
    }
  });
});
