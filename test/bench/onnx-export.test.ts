// The ONNX-ML exporter against the native core: random models of every tree layout, written as
// artifacts and loaded by the core, must score the same in onnxruntime-node.
import onnxProto from "onnx-proto";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { compareWithOrt } from "../../bench/lib/onnx-compare.js";
import { onnxSubject } from "../../bench/lib/onnx-subjects.js";
import { ClassifierModel } from "../../src/core/model.js";
import { exportOnnxModel, float32Threshold, specFromTrees } from "../../src/models/export/onnx.js";
import { writeArtifact } from "../kit/artifact-writer.js";
import { type ModelSpec, treesOf } from "../kit/model-spec.js";
import { createRng, type RandomModelOptions, randomModel, randomRows } from "../kit/random-model.js";

/** Max |native − ORT| over `nRows` random rows, the ONNX model built from the core's own tree export. */
async function maxDiffVsOrt(spec: ModelSpec, nRows: number): Promise<number> {
  const rows = randomRows(spec, nRows, { seed: 5 });
  const { model, trees } = onnxSubject("t", writeArtifact(spec));
  try {
    const ours = model.predictProba(rows, nRows);
    const session = await ort.InferenceSession.create(exportOnnxModel(specFromTrees(trees, spec.nFeatures)));
    const out = await session.run({ input: new ort.Tensor("float64", rows, [nRows, spec.nFeatures]) });
    await session.release();
    const theirs = out.probabilities!.data as Float32Array;
    expect(theirs.length).toBe(ours.length);
    let max = 0;
    for (let i = 0; i < ours.length; i++) max = Math.max(max, Math.abs(ours[i]! - theirs[i]!));
    return max;
  } finally {
    model.dispose();
  }
}

const LAYOUTS: [string, RandomModelOptions][] = [
  ["binary GBDT (sigmoid)", { family: "gbdt", nTrees: 40, maxDepth: 5, seed: 11 }],
  ["3-class GBDT (softmax)", { family: "gbdt", nClasses: 3, nTrees: 30, maxDepth: 4, seed: 12 }],
  ["binary RF (mean of distributions)", { family: "random_forest", nTrees: 25, maxDepth: 6, seed: 13 }],
  ["4-class RF", { family: "random_forest", nClasses: 4, nTrees: 20, maxDepth: 6, seed: 14 }],
  [
    "x <= t splits on a threshold grid",
    { family: "gbdt", decision: "less_equal", thresholdGrid: 4, seed: 15 },
  ],
];

describe("ONNX-ML TreeEnsembleClassifier export", () => {
  it.each(LAYOUTS)(
    "%s: onnxruntime agrees with the core within 1e-5 (NaNs, on-threshold rows)",
    async (_, o) => {
      expect(await maxDiffVsOrt(randomModel(o), 1500)).toBeLessThanOrEqual(1e-5);
    },
  );

  it("float32 thresholds decide like the core on float32-rounded inputs", async () => {
    // Inputs that are already float32 values make the float export exact too.
    const spec = randomModel({ family: "random_forest", nTrees: 20, maxDepth: 6, seed: 21 });
    spec.threshold = spec.threshold.map((v) => v + 1e-9);
    const rows = randomRows(spec, 1000, { seed: 6 }).map((v) => Math.fround(v));
    const model = ClassifierModel.fromBytes(writeArtifact(spec));
    const session = await ort.InferenceSession.create(exportOnnxModel(spec, { precision: "float" }));
    try {
      const ours = model.predictProba(rows, 1000);
      const out = await session.run({ input: new ort.Tensor("float32", Float32Array.from(rows), [1000, 8]) });
      const theirs = out.probabilities!.data as Float32Array;
      let max = 0;
      for (let i = 0; i < ours.length; i++) max = Math.max(max, Math.abs(ours[i]! - theirs[i]!));
      expect(max).toBeLessThanOrEqual(1e-5);
    } finally {
      model.dispose();
      await session.release();
    }
  });

  it("float32Threshold(t) splits every float32 x as x < t (or x <= t) does", () => {
    const rng = createRng(3);
    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    for (let i = 0; i < 5000; i++) {
      const t = (rng() - 0.5) * 10 ** Math.floor(rng() * 8 - 4);
      const lt = float32Threshold(t, "less");
      const le = float32Threshold(t, "less_equal");
      expect(Math.fround(lt)).toBe(lt);
      expect(Math.fround(le)).toBe(le);
      // The float32 neighbours of t are where a wrong rounding would show.
      f32[0] = t;
      for (const d of [-2, -1, 0, 1, 2]) {
        const v = new Float32Array(new Uint32Array([u32[0]! + d]).buffer)[0]!;
        expect(v < lt).toBe(v < t);
        expect(v <= le).toBe(v <= t);
      }
    }
    expect(float32Threshold(0.5, "less")).toBe(0.5);
    expect(float32Threshold(1e-50, "less")).toBeGreaterThan(0);
    expect(float32Threshold(-1e-50, "less_equal")).toBeLessThan(0);
  });

  it("is a well-formed ModelProto as onnx-proto decodes it", () => {
    const spec = randomModel({ family: "random_forest", nClasses: 3, nTrees: 3, maxDepth: 3, seed: 8 });
    const trees = treesOf(spec);
    const nNodes = trees.treeNodeOffsets[3]!;
    const m = onnxProto.onnx.ModelProto.decode(exportOnnxModel(specFromTrees(trees, 8)));
    expect(Number(m.irVersion)).toBe(8);
    expect(m.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([
      ["", 17],
      ["ai.onnx.ml", 3],
    ]);
    const graph = onnxProto.onnx.GraphProto.fromObject(m.graph!);
    const node = onnxProto.onnx.NodeProto.fromObject(graph.node[0]!);
    expect([node.opType, node.domain, node.input, node.output]).toEqual([
      "TreeEnsembleClassifier",
      "ai.onnx.ml",
      ["input"],
      ["label", "probabilities"],
    ]);
    const attr = Object.fromEntries(
      node.attribute.map((a) => [a.name, onnxProto.onnx.AttributeProto.fromObject(a)]),
    );
    expect(attr.nodes_treeids!.ints).toHaveLength(nNodes);
    expect(attr.nodes_modes.strings.map((b: Uint8Array) => new TextDecoder().decode(b))).toContain(
      "BRANCH_LT",
    );
    expect(attr.nodes_values_as_tensor.t!.dims!.map(Number)).toEqual([nNodes]);
    expect(attr.nodes_values_as_tensor.t!.dataType).toBe(onnxProto.onnx.TensorProto.DataType.DOUBLE);
    expect(attr.classlabels_int64s.ints.map(Number)).toEqual([0, 1, 2]);
    expect(new TextDecoder().decode(attr.post_transform.s)).toBe("NONE");
    const dims = graph.input[0]!.type!.tensorType!.shape!.dim!;
    expect([dims[0]!.dimParam, Number(dims[1]!.dimValue)]).toEqual(["N", 8]);
  });

  it("needs trees: a logistic model is refused with ERR_BENCH_NO_TREES", () => {
    expect(() => onnxSubject("lr", writeArtifact(randomModel({ family: "logistic", seed: 2 })))).toThrow(
      expect.objectContaining({ code: "ERR_BENCH_NO_TREES" }),
    );
  });

  it("rejects a tree whose child points outside it", () => {
    const trees = treesOf(randomModel({ family: "gbdt", nTrees: 2, seed: 4 }));
    const left = Int32Array.from(trees.left);
    expect(() => exportOnnxModel(specFromTrees({ ...trees, left }, 8))).not.toThrow();
    left[0] = 10_000;
    expect(() => exportOnnxModel(specFromTrees({ ...trees, left }, 8))).toThrow(RangeError);
  });
});

describe("compareWithOrt", () => {
  it("reports agreement and rows/s for every batch and thread count", async () => {
    const spec = randomModel({ family: "gbdt", nTrees: 20, maxDepth: 4, seed: 31 });
    const model = ClassifierModel.fromBytes(writeArtifact(spec));
    try {
      const r = await compareWithOrt({
        name: "tiny",
        model,
        trees: treesOf(spec),
        rows: randomRows(spec, 300, { seed: 2 }),
        nRows: 300,
        batches: [1, 300],
        threads: [1, 2],
        cellMs: 20,
        asyncRows: 256,
      });
      expect(r.agreed).toBe(true);
      expect(r.agreement.rows).toBe(300);
      expect(r.cells.map((c) => [c.batch, c.threads, c.oursPath])).toEqual([
        [1, 1, "sync"],
        [300, 1, "sync"],
        [1, 2, "sync"],
        [300, 2, "async"],
      ]);
      for (const c of r.cells) {
        expect(c.oursRowsPerS).toBeGreaterThan(0);
        expect(c.ortRowsPerS).toBeGreaterThan(0);
        expect(c.ratio).toBeCloseTo(c.oursRowsPerS / c.ortRowsPerS, 9);
      }
    } finally {
      model.dispose();
    }
  });
});
