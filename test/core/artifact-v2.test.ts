import { afterEach, describe, expect, it } from "vitest";
import { CoreError } from "../../src/core/errors.js";
import { ClassifierModel } from "../../src/core/model.js";
import { readArtifact } from "../kit/artifact-reader.js";
import {
  type ArtifactLayout,
  OFFSET,
  patched,
  resealArtifact,
  writeArtifact,
  writeArtifactWithLayout,
} from "../kit/artifact-writer.js";
import { joinTrees, type ModelSpec, NO_LABELS, type TreeInput } from "../kit/model-spec.js";
import { createRng, randomModel, randomRows } from "../kit/random-model.js";
import { createReferenceScorer } from "../kit/reference-scorer.js";

/**
 * Format version 2 (docs/model-format.md): class labels, node kinds (categorical sets, LightGBM's
 * zero-as-missing, equality) and the new post transforms; and version 1 files still load.
 */

function rejection(bytes: Uint8Array): string {
  try {
    ClassifierModel.fromBytes(bytes).dispose();
  } catch (e) {
    expect(e).toBeInstanceOf(CoreError);
    expect((e as CoreError).code).toBe("ERR_MODEL_FORMAT");
    return (e as CoreError).reason!;
  }
  throw new Error("artifact was accepted");
}

function bytesOf(a: Float64Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** Rewrites a version-2 artifact of a numeric, label-free model as version 1 (the old layout). */
function asVersion1(bytes: Uint8Array, layout: ArtifactLayout): Uint8Array {
  const drop: [number, number][] = [[layout.labelKind, layout.labelKind + 4]];
  layout.trees.forEach((t, i) => {
    drop.push([t.kind, t.value]);
    const end = layout.trees[i + 1]?.nNodes ?? layout.checksum;
    drop.push([t.nCatWords, end]);
  });
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const [from, to] of drop) {
    parts.push(bytes.subarray(at, from));
    at = to;
  }
  parts.push(bytes.subarray(at));
  const out = new Uint8Array(Buffer.concat(parts));
  new DataView(out.buffer).setUint32(OFFSET.version, 1, true);
  return resealArtifact(out);
}

/**
 * A tree on 3 features: node 0 is categorical on feature 0 ({1, 3, 40} goes left), node 1 LightGBM's
 * zero-as-missing on feature 1 (threshold 0.5, default right), node 2 float32 equality on feature 2.
 */
function mixedTree(): TreeInput {
  return {
    left: [1, 3, 5, -1, -1, -1, -1],
    right: [2, 4, 6, -1, -1, -1, -1],
    feature: [0, 1, 2, -1, -1, -1, -1],
    threshold: [-1 + 2 ** -52, 0.5, Math.fround(0.1), 0, 0, 0, 0],
    defaultLeft: [1, 0, 1, 0, 0, 0, 0],
    value: [0, 0, 0, 1, 2, 3, 4],
    kind: [2, 1, 5, 0, 0, 0, 0],
    catWords: [(1 << 1) | (1 << 3), 1 << 8],
    catOffset: [0, 0, 0, 0, 0, 0, 0],
    catCount: [2, 0, 0, 0, 0, 0, 0],
  };
}

function mixedSpec(patch: Partial<ModelSpec> = {}, trees: TreeInput[] = [mixedTree()]): ModelSpec {
  return {
    family: "gbdt",
    nFeatures: 3,
    nClasses: 2,
    nOutputs: 1,
    leafWidth: 1,
    aggregation: "sum",
    postTransform: "sigmoid",
    decision: "less_equal",
    featureNames: ["colour", "size", "ratio"],
    paramsJson: "{}",
    classLabels: { kind: "string", values: ["no", "yes"] },
    baseScore: Float64Array.of(0),
    ...joinTrees(trees),
    coef: new Float64Array(0),
    intercept: new Float64Array(0),
    ...patch,
  };
}

afterEach(() => {
  delete process.env.MLOPS_SCORER_ENGINE;
});

describe("class labels", () => {
  it("keeps int64, float64 and string labels through load and save", () => {
    const cases: ModelSpec["classLabels"][] = [
      { kind: "int64", values: [7, -3, 2 ** 53] },
      { kind: "float64", values: [0.5, 1.5, -2.25] },
      { kind: "string", values: ["setosa", "versicolor", "virginica ✓"] },
    ];
    for (const classLabels of cases) {
      const spec = { ...randomModel({ family: "gbdt", nClasses: 3, seed: 3 }), classLabels };
      const bytes = writeArtifact(spec);
      const model = ClassifierModel.fromBytes(bytes);
      expect(model.info.classLabels).toEqual(classLabels);
      expect(model.classLabel(1)).toBe(classLabels.values[1]);
      expect(Buffer.from(model.toBytes()).equals(Buffer.from(bytes))).toBe(true);
      expect(readArtifact(model.toBytes())).toStrictEqual(spec);
    }
    const plain = ClassifierModel.fromBytes(writeArtifact(randomModel({ family: "gbdt", seed: 2 })));
    expect(plain.info.classLabels).toEqual({ kind: "none", values: [] });
    expect(plain.classLabel(1)).toBe(1);
  });

  it("rejects labels that repeat, miscount, overflow or are not text", () => {
    const base = randomModel({ family: "gbdt", nClasses: 3, seed: 4 });
    const cases: [ModelSpec["classLabels"], string][] = [
      [{ kind: "string", values: ["a", "b", "a"] }, "bad_labels"],
      [{ kind: "float64", values: [0, -0, 1] }, "bad_labels"],
      [{ kind: "int64", values: [1, 2, 2 ** 53 + 2] }, "bad_labels"],
      [{ kind: "float64", values: [0, Number.NaN, 1] }, "non_finite"],
    ];
    for (const [classLabels, reason] of cases) {
      expect(rejection(writeArtifact({ ...base, classLabels })), JSON.stringify(classLabels)).toBe(reason);
    }
    const { bytes, layout } = writeArtifactWithLayout({
      ...base,
      classLabels: { kind: "string", values: ["a", "b", "c"] },
    });
    expect(rejection(patched(bytes, layout.labelKind, "u32", 9))).toBe("unknown_label_kind");
    expect(rejection(patched(bytes, layout.labelKind + 8, "u8", 0xff))).toBe("bad_string");
    expect(rejection(patched(bytes, layout.labelKind + 4, "u32", 5000))).toBe("limit_exceeded");
  });
});

describe("node kinds", () => {
  it("scores categorical, zero-as-missing and float32-equality nodes as the document says", () => {
    const model = ClassifierModel.fromBytes(writeArtifact(mixedSpec({ postTransform: "complement" })));
    expect(model.info.engine).toBe("generic");
    const p1 = (colour: number, size: number, ratio: number) =>
      model.predictProba(Float64Array.of(colour, size, ratio), 1)[1];
    // Categories 1, 3 and 40 (word 1, bit 8) are in the set and go left, to node 1.
    expect(p1(1, 0.2, 0)).toBe(1); // size 0.2 <= 0.5 → leaf 3
    expect(p1(3.9, 0.7, 0)).toBe(2); // trunc(3.9) = 3; 0.7 > 0.5 → leaf 4
    expect(p1(40, 0, 0)).toBe(2); // zero goes to the default side (right) under zero-as-missing
    expect(p1(40, 1e-36, 0)).toBe(2);
    expect(p1(40, Number.NaN, 0)).toBe(2);
    expect(p1(40, -1e-30, 0)).toBe(1); // not "zero": compared, <= 0.5
    // Not in the set → node 2: float(ratio) == float(0.1) goes left.
    expect(p1(2, 0, 0.1)).toBe(3);
    expect(p1(2, 0, Math.fround(0.1))).toBe(3);
    expect(p1(2, 0, 0.10000001)).toBe(4);
    expect(p1(-0.5, 0, 0.1)).toBe(1 + 2); // trunc(-0.5) = 0 is above the lower bound, not in the set
    expect(p1(-1, 0, 0.1)).toBe(3); // below the lower bound: not in the set
    expect(p1(1e300, 0, 0.1)).toBe(3);
    expect(p1(Number.NaN, 0.2, 0)).toBe(1); // NaN: default side (left)
    expect(p1(2, 0, Number.NaN)).toBe(3); // NaN at node 2: default left
  });

  it("agrees with the reference scorer and keeps categorical models off the heap engine", () => {
    const rng = createRng(21);
    const trees: TreeInput[] = [];
    for (let t = 0; t < 30; t++) {
      const tree = mixedTree();
      tree.value = Array.from(tree.value, () => rng() - 0.5);
      tree.catWords = [Math.floor(rng() * 2 ** 32), Math.floor(rng() * 2 ** 32)];
      tree.kind = [rng() < 0.5 ? 2 : 3, rng() < 0.5 ? 1 : 0, rng() < 0.5 ? 5 : 4, 0, 0, 0, 0];
      trees.push(tree);
    }
    for (const post of ["sigmoid", "complement"] as const) {
      const spec = mixedSpec({ postTransform: post }, trees);
      const reference = createReferenceScorer(spec);
      const rows = new Float64Array(3 * 500);
      for (let i = 0; i < rows.length; i++) {
        const f = i % 3;
        const u = rng();
        rows[i] =
          u < 0.1
            ? Number.NaN
            : f === 0
              ? Math.floor(rng() * 70) - 5 + (u < 0.3 ? 0.5 : 0)
              : f === 1
                ? [0, 1e-36, -1e-36, 0.5, 0.25, 2][Math.floor(rng() * 6)]!
                : [0.1, Math.fround(0.1), 0.2][Math.floor(rng() * 3)]!;
      }
      process.env.MLOPS_SCORER_ENGINE = "heap";
      const model = ClassifierModel.fromBytes(writeArtifact(spec));
      expect(model.info.engine).toBe("generic");
      expect(model.info.rowEngine).toBe("generic");
      const got = model.predictProba(rows, 500);
      const want = reference.predict(rows, 500);
      for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-14);
      // A row scores the same alone as in a batch.
      const one = model.predictProba(rows.subarray(3 * 17, 3 * 18), 1);
      expect(bytesOf(one).equals(bytesOf(got.subarray(34, 36)))).toBe(true);
    }
  });

  it("rejects kinds, sets and thresholds that break the rules", () => {
    const { bytes, layout } = writeArtifactWithLayout(mixedSpec());
    const t = layout.trees[0]!;
    expect(rejection(patched(bytes, t.kind, "u8", 6))).toBe("unknown_node_kind");
    expect(rejection(patched(bytes, t.kind + 3, "u8", 1))).toBe("bad_leaf");
    expect(rejection(patched(bytes, t.catRanges, "u32", 1))).toBe("category_out_of_range");
    expect(rejection(patched(bytes, t.catRanges + 4, "u32", 3))).toBe("category_out_of_range");
    expect(rejection(patched(bytes, t.catRanges + 4, "u32", 2 ** 19 + 1))).toBe("limit_exceeded");
    expect(rejection(patched(bytes, t.nCatWords, "u32", 2 ** 24 + 1))).toBe("limit_exceeded");
    expect(rejection(patched(bytes, t.nCatWords, "u32", 2 ** 20))).toBe("truncated");
    expect(rejection(patched(bytes, t.threshold + 16, "f64", 0.1))).toBe("bad_threshold");
    expect(rejection(patched(bytes, t.threshold, "f64", Number.NaN))).toBe("non_finite");
    // A categorical node's kind turned numeric leaves its range as bytes nothing reads.
    expect(rejection(patched(bytes, t.kind, "u8", 0))).toBe("trailing_data");
  });

  it("rejects every truncation and detects a changed byte at every offset", () => {
    const { bytes } = writeArtifactWithLayout(mixedSpec());
    for (let n = 1; n < bytes.length; n++)
      expect(rejection(bytes.subarray(0, n)), `prefix ${n}`).toBe("truncated");
    const rng = createRng(8);
    for (let at = 24; at < bytes.length; at++) {
      const copy = bytes.slice();
      copy[at]! ^= 1 + Math.floor(rng() * 255);
      expect(rejection(copy), `offset ${at}`).toBe("checksum_mismatch");
    }
  });

  it("survives random resealed corruption of a version-2 model", () => {
    const base = writeArtifact(mixedSpec());
    const rng = createRng(31);
    const rows = Float64Array.of(1, 0, 0.1, 3, Number.NaN, 2, 40, 1e-36, 0);
    for (let i = 0; i < 500; i++) {
      const copy = base.slice();
      for (let k = 0; k < 1 + Math.floor(rng() * 3); k++) {
        copy[24 + Math.floor(rng() * (copy.length - 28))] = Math.floor(rng() * 256);
      }
      let model: ClassifierModel;
      try {
        model = ClassifierModel.fromBytes(resealArtifact(copy));
      } catch (e) {
        expect((e as CoreError).code).toBe("ERR_MODEL_FORMAT");
        continue;
      }
      if (model.nFeatures === 3) expect(model.predictProba(rows, 3).length).toBe(3 * model.nClasses);
      model.dispose();
    }
  });
});

describe("post transforms", () => {
  it("softmax_zero and sigmoid_each follow the reference; complement is 1 − m, m", () => {
    for (const post of ["softmax_zero", "sigmoid_each"] as const) {
      const spec = {
        ...randomModel({ family: "gbdt", nClasses: 4, nTrees: 16, seed: 9 }),
        postTransform: post,
      };
      // Some margins exactly zero: an output no tree reaches and whose base is 0.
      spec.baseScore[3] = 0;
      spec.outputIndex = spec.outputIndex.map((o) => (o === 3 ? 2 : o));
      const model = ClassifierModel.fromBytes(writeArtifact(spec));
      const rows = randomRows(spec, 300, { seed: 4 });
      const got = model.predictProba(rows, 300);
      const want = createReferenceScorer(spec).predict(rows, 300);
      for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-14);
      if (post === "softmax_zero") for (let r = 0; r < 300; r++) expect(got[r * 4 + 3]).toBe(0);
    }
    const logistic = {
      ...randomModel({ family: "logistic", nClasses: 3, seed: 5 }),
      postTransform: "sigmoid_each" as const,
    };
    const rows = randomRows(logistic, 50, { seed: 1, nanRate: 0 });
    const got = ClassifierModel.fromBytes(writeArtifact(logistic)).predictProba(rows, 50);
    const want = createReferenceScorer(logistic).predict(rows, 50);
    for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-14);
    expect(rejection(writeArtifact({ ...logistic, postTransform: "complement" }))).toBe("transform_mismatch");
  });
});

describe("version 1", () => {
  it("still loads, scores the same, and is saved as version 2", () => {
    for (const family of ["gbdt", "random_forest", "logistic"] as const) {
      const spec = randomModel({ family, nClasses: 3, nTrees: 6, decision: "less_equal", seed: 12 });
      const { bytes, layout } = writeArtifactWithLayout(spec);
      const v1 = asVersion1(bytes, layout);
      expect(v1.length).toBeLessThan(bytes.length);
      const old = ClassifierModel.fromBytes(v1);
      const now = ClassifierModel.fromBytes(bytes);
      const rows = randomRows(spec, 100, { seed: 3 });
      expect(bytesOf(old.predictProba(rows, 100)).equals(bytesOf(now.predictProba(rows, 100)))).toBe(true);
      expect(Buffer.from(old.toBytes()).equals(Buffer.from(bytes)), family).toBe(true);
      expect(old.info.classLabels).toEqual(NO_LABELS);
      expect(readArtifact(v1)).toStrictEqual(spec);
      // Every truncation of the old layout is still caught.
      for (let n = 1; n < v1.length; n += 7) expect(rejection(v1.subarray(0, n))).toBe("truncated");
    }
  });
});
