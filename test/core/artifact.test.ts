import { describe, expect, it } from "vitest";
import { CoreError } from "../../src/core/errors.js";
import { ClassifierModel } from "../../src/core/model.js";
import { loadAddon } from "../../src/core/native.js";
import { readArtifact } from "../kit/artifact-reader.js";
import {
  crc32c,
  FORMAT_VERSION,
  MAGIC,
  OFFSET,
  patched,
  resealArtifact,
  writeArtifact,
  writeArtifactWithLayout,
} from "../kit/artifact-writer.js";
import { joinTrees, type ModelSpec, NO_LABELS, type TreeInput } from "../kit/model-spec.js";
import { createRng, randomModel, randomRows } from "../kit/random-model.js";

function bytesOf(a: Float64Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** The FormatError code (`reason`) an artifact is rejected with. */
function rejection(bytes: Uint8Array): string {
  try {
    ClassifierModel.fromBytes(bytes).dispose();
  } catch (e) {
    expect(e).toBeInstanceOf(CoreError);
    expect((e as CoreError).code).toBe("ERR_MODEL_FORMAT");
    expect(typeof (e as CoreError).reason).toBe("string");
    return (e as CoreError).reason!;
  }
  throw new Error("artifact was accepted");
}

/** A three-node tree: root splits feature 0 at 0.5 into two leaves. */
function stump(leafWidth = 1): TreeInput {
  return {
    left: [1, -1, -1],
    right: [2, -1, -1],
    feature: [0, -1, -1],
    threshold: [0.5, 0, 0],
    defaultLeft: [1, 0, 0],
    value: new Array(3 * leafWidth).fill(0.25),
    outputIndex: 0,
  };
}

function gbdtSpec(trees: TreeInput[] = [stump()]): ModelSpec {
  return {
    family: "gbdt",
    nFeatures: 2,
    nClasses: 2,
    nOutputs: 1,
    leafWidth: 1,
    aggregation: "sum",
    postTransform: "sigmoid",
    decision: "less",
    featureNames: ["a", "b"],
    paramsJson: '{"lr":0.1}',
    classLabels: NO_LABELS,
    baseScore: Float64Array.of(0.1),
    ...joinTrees(trees),
    coef: new Float64Array(0),
    intercept: new Float64Array(0),
  };
}

function withTree(patch: Partial<TreeInput>): ModelSpec {
  return gbdtSpec([{ ...stump(), ...patch }]);
}

const small = writeArtifactWithLayout(
  randomModel({ family: "gbdt", nFeatures: 3, nTrees: 3, maxDepth: 2, seed: 7 }),
);

describe("round trip", () => {
  it("serializes what it loaded byte for byte, and scores identically after reload", () => {
    for (const family of ["gbdt", "random_forest", "logistic"] as const) {
      for (const nClasses of [2, 3]) {
        const spec = randomModel({ family, nClasses, nTrees: 12, decision: "less_equal", seed: nClasses });
        const bytes = writeArtifact(spec);
        const model = ClassifierModel.fromBytes(bytes);
        const saved = model.toBytes();
        expect(Buffer.from(saved).equals(Buffer.from(bytes)), `${family}/${nClasses}`).toBe(true);
        const rows = randomRows(spec, 200);
        const again = ClassifierModel.fromBytes(saved);
        expect(bytesOf(again.predictProba(rows, 200)).equals(bytesOf(model.predictProba(rows, 200)))).toBe(
          true,
        );
      }
    }
  });

  it("writes what the document describes: the TS reader recovers the exact model from native bytes", () => {
    for (const family of ["gbdt", "random_forest", "logistic"] as const) {
      const spec = randomModel({ family, nClasses: 3, nTrees: 5, seed: 17 });
      const saved = ClassifierModel.fromBytes(writeArtifact(spec)).toBytes();
      const back = readArtifact(saved);
      expect(back).toStrictEqual(spec);
    }
  });

  it("keeps every double bit-exact, including -0, subnormals and extremes", () => {
    const odd = [0.1 + 0.2, -0, 5e-324, -Number.MAX_VALUE, 1 / 3, 2 ** -1074 * 3] as const;
    const tree: TreeInput = {
      left: [1, 3, -1, -1, -1],
      right: [2, 4, -1, -1, -1],
      feature: [0, 1, -1, -1, -1],
      threshold: [odd[0], odd[1], odd[2], odd[3], odd[4]],
      defaultLeft: [0, 1, 0, 0, 0],
      value: [odd[5], odd[4], odd[3], odd[2], odd[1]],
      outputIndex: 0,
    };
    const bytes = writeArtifact({ ...gbdtSpec([tree]), baseScore: Float64Array.of(odd[2]) });
    const saved = ClassifierModel.fromBytes(bytes).toBytes();
    expect(Buffer.from(saved).equals(Buffer.from(bytes))).toBe(true);
  });

  it("writes the documented preamble: magic, version, total size and CRC-32C", () => {
    const saved = ClassifierModel.fromBytes(small.bytes).toBytes();
    const view = new DataView(saved.buffer, saved.byteOffset, saved.byteLength);
    expect(Buffer.from(saved.subarray(0, 8)).toString("latin1")).toBe(MAGIC);
    expect(view.getUint32(OFFSET.version, true)).toBe(FORMAT_VERSION);
    expect(view.getUint32(OFFSET.flags, true)).toBe(0);
    expect(Number(view.getBigUint64(OFFSET.totalSize, true))).toBe(saved.length);
    expect(view.getUint32(saved.length - 4, true)).toBe(crc32c(saved, saved.length - 4));
    expect(crc32c(new TextEncoder().encode("123456789"))).toBe(0xe3069283); // the CRC-32C check value
  });

  it("accepts a Node Buffer and rejects other input types with ERR_INVALID_ARG", () => {
    expect(ClassifierModel.fromBytes(Buffer.from(small.bytes)).nFeatures).toBe(3);
    const { Model } = loadAddon();
    for (const bad of [new Float64Array(4), small.bytes.buffer, "MLOPSMDL", null, undefined, [1, 2]]) {
      let code: unknown;
      try {
        (Model.load as (b: unknown) => unknown)(bad);
      } catch (e) {
        code = (e as { code?: unknown }).code;
      }
      expect(code).toBe("ERR_INVALID_ARG");
    }
  });
});

describe("damaged artifacts", () => {
  it("rejects an empty file", () => {
    expect(rejection(new Uint8Array(0))).toBe("empty");
  });

  it("rejects every truncation", () => {
    const { bytes } = small;
    for (let n = 1; n < bytes.length; n++) {
      expect(rejection(bytes.subarray(0, n)), `prefix ${n}`).toBe("truncated");
    }
  });

  it("rejects truncations of a large model (dense sample)", () => {
    const bytes = writeArtifact(randomModel({ family: "random_forest", nClasses: 3, nTrees: 40, seed: 3 }));
    for (let n = 1; n < bytes.length; n += 97) expect(rejection(bytes.subarray(0, n))).toBe("truncated");
  });

  it("detects a changed byte at every offset", () => {
    const { bytes } = small;
    const rng = createRng(5);
    for (let at = 0; at < bytes.length; at++) {
      const copy = bytes.slice();
      copy[at]! ^= 1 + Math.floor(rng() * 255);
      const reason = rejection(copy);
      if (at < 8) expect(reason).toBe("bad_magic");
      else if (at < 12) expect(reason).toBe("unsupported_version");
      else if (at < 16) expect(reason).toBe("unsupported_flags");
      else if (at < 24) expect(["truncated", "trailing_data"]).toContain(reason);
      else expect(reason, `offset ${at}`).toBe("checksum_mismatch");
    }
  });

  it("rejects bad magic, unknown versions and trailing bytes", () => {
    const notOurs = small.bytes.slice();
    notOurs.set(new TextEncoder().encode("PK\u0003\u0004"), 0);
    expect(rejection(notOurs)).toBe("bad_magic");
    expect(rejection(new TextEncoder().encode("{}"))).toBe("bad_magic");
    for (const version of [0, 3, 0xffffffff]) {
      expect(rejection(patched(small.bytes, OFFSET.version, "u32", version))).toBe("unsupported_version");
    }
    const longer = new Uint8Array(small.bytes.length + 3);
    longer.set(small.bytes);
    expect(rejection(longer)).toBe("trailing_data");
    // A declared size that still matches, with an extra section byte inside the checksummed body.
    const padded = new Uint8Array(small.bytes.length + 1);
    padded.set(small.bytes.subarray(0, small.layout.checksum));
    expect(rejection(resealArtifact(padded))).toBe("trailing_data");
  });

  it("survives random resealed corruption: each artifact is rejected cleanly or loads and scores", () => {
    const base = writeArtifactWithLayout(
      randomModel({ family: "random_forest", nClasses: 3, nTrees: 6, maxDepth: 4, seed: 13 }),
    );
    const rows = randomRows(randomModel({ family: "random_forest", seed: 13 }), 16, { seed: 2 });
    const rng = createRng(99);
    let accepted = 0;
    for (let i = 0; i < 400; i++) {
      const copy = base.bytes.slice();
      for (let k = 0; k < 1 + Math.floor(rng() * 3); k++) {
        const at = 24 + Math.floor(rng() * (copy.length - 28));
        copy[at] = rng() < 0.3 ? 0xff : Math.floor(rng() * 256);
      }
      let model: ClassifierModel;
      try {
        model = ClassifierModel.fromBytes(resealArtifact(copy));
      } catch (e) {
        expect((e as CoreError).code).toBe("ERR_MODEL_FORMAT");
        continue;
      }
      accepted++;
      if (model.nFeatures === 8) expect(model.predictProba(rows, 16).length).toBe(16 * model.nClasses);
      model.dispose();
    }
    expect(accepted).toBeGreaterThan(0); // some flips land in values and thresholds
  });
});

describe("hostile but checksummed artifacts", () => {
  const { bytes, layout } = writeArtifactWithLayout(gbdtSpec([stump(), stump()]));
  const tree0 = layout.trees[0]!;

  it("caps counts before allocating", () => {
    const cases: [number, number, string][] = [
      [OFFSET.nFeatures, 2_000_000, "limit_exceeded"],
      [OFFSET.nClasses, 1e9, "limit_exceeded"],
      [OFFSET.nOutputs, 0xffffffff, "limit_exceeded"],
      [OFFSET.leafWidth, 70_000, "limit_exceeded"],
      [layout.nTrees!, 0xffffffff, "limit_exceeded"],
      [layout.nTrees!, 1_000_000, "truncated"],
      [tree0.nNodes, 2 ** 24 + 1, "limit_exceeded"],
      [tree0.nNodes, 2 ** 24, "truncated"],
      [tree0.nNodes, 0, "empty_tree"],
      [OFFSET.featureNames, 0xffffffff, "limit_exceeded"],
      [OFFSET.featureNames, 4000, "truncated"],
      [layout.paramsLength, 0x7fffffff, "limit_exceeded"],
      [layout.paramsLength, 1_000_000, "truncated"],
    ];
    for (const [at, value, reason] of cases) {
      expect(rejection(patched(bytes, at, "u32", value)), `offset ${at} = ${value}`).toBe(reason);
    }
  });

  it("caps linear models by coefficient count", () => {
    const logistic = writeArtifact(randomModel({ family: "logistic", nFeatures: 2, nClasses: 3 }));
    // Names are dropped so that n_feature_names (0) stays consistent with any n_features.
    const plain = writeArtifact({
      ...randomModel({ family: "logistic", nFeatures: 2, nClasses: 3 }),
      featureNames: [],
    });
    expect(logistic.length).toBeGreaterThan(plain.length);
    expect(rejection(patched(plain, OFFSET.nFeatures, "u32", 1_000_000))).toBe("truncated");
    let huge = patched(plain, OFFSET.nFeatures, "u32", 1_000_000);
    huge = patched(huge, OFFSET.nClasses, "u32", 65_536);
    huge = patched(huge, OFFSET.nOutputs, "u32", 65_536);
    expect(rejection(huge)).toBe("limit_exceeded");
  });

  it("rejects unknown enum values", () => {
    expect(rejection(patched(bytes, OFFSET.family, "u32", 9))).toBe("unknown_family");
    expect(rejection(patched(bytes, OFFSET.aggregation, "u32", 7))).toBe("unknown_aggregation");
    expect(rejection(patched(bytes, OFFSET.postTransform, "u32", 6))).toBe("unknown_post_transform");
    expect(rejection(patched(bytes, OFFSET.decision, "u32", 2))).toBe("unknown_decision");
    expect(rejection(patched(bytes, OFFSET.flags, "u32", 1))).toBe("unsupported_flags");
  });

  it("rejects broken tree structure", () => {
    expect(rejection(patched(bytes, tree0.left, "i32", 3))).toBe("child_out_of_range");
    expect(rejection(patched(bytes, tree0.right, "i32", -2))).toBe("child_out_of_range");
    expect(rejection(patched(bytes, tree0.left, "i32", 0))).toBe("node_revisited"); // cycle to the root
    expect(rejection(patched(bytes, tree0.right, "i32", 1))).toBe("node_revisited"); // shared child
    expect(rejection(patched(bytes, tree0.left, "i32", -1))).toBe("half_leaf");
    expect(rejection(patched(bytes, tree0.feature + 4, "i32", 0))).toBe("bad_leaf");
    expect(rejection(patched(bytes, tree0.feature, "i32", 2))).toBe("feature_out_of_range");
    expect(rejection(patched(bytes, tree0.feature, "i32", -1))).toBe("feature_out_of_range");
    expect(rejection(patched(bytes, tree0.defaultLeft, "u8", 2))).toBe("bad_default_left");
    expect(rejection(patched(bytes, tree0.outputIndex, "u32", 1))).toBe("output_out_of_range");
  });

  it("rejects cycles, orphans and sharing deeper in a tree", () => {
    const deep = {
      left: [1, 3, -1, -1, -1],
      right: [2, 4, -1, -1, -1],
      feature: [0, 1, -1, -1, -1],
      threshold: [0, 0, 0, 0, 0],
      defaultLeft: [0, 0, 0, 0, 0],
      value: [0, 0, 0, 0, 0],
    };
    // Node 1 is its own child: a cycle that never passes the root.
    expect(rejection(writeArtifact(withTree({ ...deep, left: [1, 1, -1, -1, -1] })))).toBe("node_revisited");
    // Node 1 points at node 2, which the root already reached.
    expect(rejection(writeArtifact(withTree({ ...deep, right: [2, 2, -1, -1, -1] })))).toBe("node_revisited");
    // Nodes 3 and 4 hang from nothing.
    const orphans = {
      ...deep,
      left: [1, -1, -1, -1, -1],
      right: [2, -1, -1, -1, -1],
      feature: [0, -1, -1, -1, -1],
    };
    expect(rejection(writeArtifact(withTree(orphans)))).toBe("unreachable_node");
  });

  it("rejects non-finite numbers", () => {
    for (const v of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(rejection(patched(bytes, tree0.threshold, "f64", v))).toBe("non_finite");
      expect(rejection(patched(bytes, tree0.threshold + 8, "f64", v))).toBe("non_finite"); // a leaf's
      expect(rejection(patched(bytes, tree0.value + 8, "f64", v))).toBe("non_finite");
      expect(rejection(patched(bytes, layout.margins, "f64", v))).toBe("non_finite");
    }
    const linear = writeArtifactWithLayout(randomModel({ family: "logistic", nFeatures: 3 }));
    expect(rejection(patched(linear.bytes, linear.layout.coef! + 16, "f64", Number.NaN))).toBe("non_finite");
    expect(rejection(patched(linear.bytes, linear.layout.margins, "f64", Number.NaN))).toBe("non_finite");
  });

  it("rejects inconsistent model semantics", () => {
    const cases: [Partial<ModelSpec>, string][] = [
      [{ nClasses: 1 }, "bad_n_classes"],
      [{ nFeatures: 0, featureNames: [] }, "bad_n_features"],
      [{ nOutputs: 2, baseScore: Float64Array.of(0, 0) }, "transform_mismatch"],
      [{ postTransform: "softmax" }, "transform_mismatch"],
      [{ aggregation: "mean" }, "family_mismatch"],
      [{ leafWidth: 2 }, "bad_leaf_width"],
      [{ featureNames: ["a"] }, "size_mismatch"],
    ];
    for (const [patch, reason] of cases) {
      expect(rejection(writeArtifact({ ...gbdtSpec(), ...patch })), JSON.stringify(patch)).toBe(reason);
    }
    // Invalid UTF-8 in a feature name: 0xff can never start a sequence.
    const named = patched(bytes, OFFSET.featureNames + 4, "u8", 0xff);
    expect(rejection(named)).toBe("bad_string");
    // A random forest must average, and an output nobody averages is undefined.
    const rf = randomModel({ family: "random_forest", nTrees: 2, nClasses: 3, seed: 4 });
    expect(rejection(writeArtifact({ ...rf, aggregation: "sum" }))).toBe("family_mismatch");
    const narrow = {
      ...rf,
      leafWidth: 1,
      value: new Float64Array(rf.left.length).fill(0.5),
      outputIndex: rf.outputIndex.map((_, i) => i),
    };
    expect(rejection(writeArtifact(narrow))).toBe("output_without_trees");
  });

  it("leaves the process and other models intact", () => {
    const model = ClassifierModel.fromBytes(small.bytes);
    const rows = new Float64Array([0, 1, 2]);
    expect(model.predictProba(rows, 1).length).toBe(2);
  });
});
