import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import {
  AttributeProto_AttributeType as A,
  type AttributeProto,
  AttributeProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  TensorProto_DataType as T,
  ValueInfoProtoSchema,
} from "../../src/gen/onnx/onnx-ml_pb.js";
import { importOnnx } from "../../src/models/import/onnx.js";
import { createRng } from "../kit/random-model.js";
import { expected, fixture } from "./fixture-data.js";

/**
 * onnxruntime-node (the version package.json pins) as the origin: the sklearn fixtures, and graphs
 * built here that use every TreeEnsembleClassifier node mode (LEQ, LT, GTE, GT, EQ, NEQ),
 * missing_value_tracks_true, base_values, every supported post transform (SOFTMAX_ZERO included),
 * string labels, and float and double inputs. Ours must agree within 1e-6 on every row, with NaN,
 * values on the thresholds and values one double beside them.
 */

const utf8 = new TextEncoder();

function attr(
  name: string,
  v: number[] | string[] | string | number,
  kind: "ints" | "floats" | "doubles",
): AttributeProto {
  if (typeof v === "string") return create(AttributeProtoSchema, { name, type: A.STRING, s: utf8.encode(v) });
  if (typeof v === "number") return create(AttributeProtoSchema, { name, type: A.INT, i: BigInt(v) });
  if (typeof v[0] === "string" || (v.length === 0 && kind === "ints" && false)) {
    return create(AttributeProtoSchema, {
      name,
      type: A.STRINGS,
      strings: (v as string[]).map((s) => utf8.encode(s)),
    });
  }
  if (kind === "ints")
    return create(AttributeProtoSchema, { name, type: A.INTS, ints: (v as number[]).map(BigInt) });
  if (kind === "floats") return create(AttributeProtoSchema, { name, type: A.FLOATS, floats: v as number[] });
  return create(AttributeProtoSchema, {
    name: `${name}_as_tensor`,
    type: A.TENSOR,
    t: { dims: [BigInt(v.length)], dataType: T.DOUBLE, doubleData: v as number[] },
  });
}

function tensorInfo(name: string, elem: number, dims: (number | string)[]) {
  return create(ValueInfoProtoSchema, {
    name,
    type: {
      value: {
        case: "tensorType",
        value: {
          elemType: elem,
          shape: {
            dim: dims.map((d) => ({
              value:
                typeof d === "number"
                  ? { case: "dimValue" as const, value: BigInt(d) }
                  : { case: "dimParam" as const, value: d },
            })),
          },
        },
      },
    },
  });
}

interface EnsembleGraph {
  input: "float" | "double";
  nFeatures: number;
  nodes: {
    tree: number;
    id: number;
    feature: number;
    mode: string;
    value: number;
    t: number;
    f: number;
    nanTrue?: number;
  }[];
  votes: { tree: number; id: number; cls: number; w: number }[];
  labels: number[] | string[];
  post: string;
  base?: number[];
}

/** A graph whose outputs are the classifier's own label and probabilities tensors. */
function ensembleModel(g: EnsembleGraph): Uint8Array {
  const kind = g.input === "double" ? "doubles" : "floats";
  const attributes = [
    attr(
      "nodes_treeids",
      g.nodes.map((n) => n.tree),
      "ints",
    ),
    attr(
      "nodes_nodeids",
      g.nodes.map((n) => n.id),
      "ints",
    ),
    attr(
      "nodes_featureids",
      g.nodes.map((n) => n.feature),
      "ints",
    ),
    attr(
      "nodes_modes",
      g.nodes.map((n) => n.mode),
      "ints",
    ),
    attr(
      "nodes_values",
      g.nodes.map((n) => n.value),
      kind,
    ),
    attr(
      "nodes_truenodeids",
      g.nodes.map((n) => n.t),
      "ints",
    ),
    attr(
      "nodes_falsenodeids",
      g.nodes.map((n) => n.f),
      "ints",
    ),
    attr(
      "nodes_missing_value_tracks_true",
      g.nodes.map((n) => n.nanTrue ?? 0),
      "ints",
    ),
    attr(
      "class_treeids",
      g.votes.map((v) => v.tree),
      "ints",
    ),
    attr(
      "class_nodeids",
      g.votes.map((v) => v.id),
      "ints",
    ),
    attr(
      "class_ids",
      g.votes.map((v) => v.cls),
      "ints",
    ),
    attr(
      "class_weights",
      g.votes.map((v) => v.w),
      kind,
    ),
    typeof g.labels[0] === "string"
      ? attr("classlabels_strings", g.labels as string[], "ints")
      : attr("classlabels_int64s", g.labels as number[], "ints"),
    attr("post_transform", g.post, "ints"),
  ];
  if (g.base) attributes.push(attr("base_values", g.base, kind));
  const node = create(NodeProtoSchema, {
    opType: "TreeEnsembleClassifier",
    domain: "ai.onnx.ml",
    name: "trees",
    input: ["x"],
    output: ["label", "probabilities"],
    attribute: attributes,
  });
  const model = create(ModelProtoSchema, {
    irVersion: 8n,
    producerName: "mlops-tests",
    opsetImport: [
      { domain: "", version: 17n },
      { domain: "ai.onnx.ml", version: 3n },
    ],
    graph: {
      name: "g",
      node: [node],
      input: [tensorInfo("x", g.input === "double" ? T.DOUBLE : T.FLOAT, ["N", g.nFeatures])],
      output: [
        tensorInfo("label", typeof g.labels[0] === "string" ? T.STRING : T.INT64, ["N"]),
        tensorInfo("probabilities", T.FLOAT, ["N", g.labels.length]),
      ],
    },
  });
  return toBinary(ModelProtoSchema, model);
}

/** The fixture graph with ZipMap dropped, so onnxruntime-node returns the probabilities tensor. */
function withoutZipMap(bytes: Uint8Array, nClasses: number): Uint8Array {
  const model = fromBinary(ModelProtoSchema, bytes);
  const graph = model.graph!;
  graph.node = graph.node.filter((n) => n.opType !== "ZipMap");
  graph.output = graph.output.filter((o) => o.name !== "output_probability");
  graph.output.push(tensorInfo("probabilities", T.FLOAT, ["N", nClasses]));
  return toBinary(ModelProtoSchema, model);
}

async function ortProba(
  bytes: Uint8Array,
  rows: Float64Array,
  nRows: number,
  nFeatures: number,
  input: "float" | "double",
) {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const feed =
    input === "double"
      ? new ort.Tensor("float64", rows, [nRows, nFeatures])
      : new ort.Tensor("float32", Float32Array.from(rows), [nRows, nFeatures]);
  const out = await session.run({ [session.inputNames[0]!]: feed });
  const p = out.probabilities;
  await session.release();
  return Float64Array.from(p!.data as Float32Array);
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++)
    m = Math.max(m, Number.isNaN(a[i]! - b[i]!) ? Number.POSITIVE_INFINITY : Math.abs(a[i]! - b[i]!));
  return m;
}

describe("onnxruntime-node as the origin", () => {
  for (const name of [
    "forest-binary",
    "forest-strings",
    "boosting-binary",
    "boosting-multi",
    "hist-boosting-missing",
    "logistic-strings",
  ]) {
    it(`${name}: our import scores what onnxruntime scores, within 1e-6`, async () => {
      const bytes = fixture(`onnx/${name}.onnx`);
      const model = importOnnx(bytes).model;
      const want = expected(`onnx/${name}.expected.json.gz`);
      // LinearClassifier propagates NaN in onnxruntime (we count it as 0); its fixtures have none.
      const ort = await ortProba(
        withoutZipMap(bytes, model.nClasses),
        want.rows,
        want.nRows,
        want.nFeatures,
        "float",
      );
      expect(maxDiff(model.predictProba(want.rows, want.nRows), ort)).toBeLessThanOrEqual(1e-6);
    });
  }

  /** Two trees on 3 features using every mode; NaN tracked to the true side in some nodes. */
  function allModes(
    input: "float" | "double",
    post: string,
    labels: number[] | string[],
    twoColumns = true,
  ): EnsembleGraph {
    const v = (x: number) => (input === "float" ? Math.fround(x) : x);
    return {
      input,
      nFeatures: 3,
      labels,
      post,
      base: twoColumns ? [0.125, -0.25, 0] : [0.0625],
      nodes: [
        { tree: 0, id: 0, feature: 0, mode: "BRANCH_LEQ", value: v(0.1), t: 1, f: 2, nanTrue: 1 },
        { tree: 0, id: 1, feature: 1, mode: "BRANCH_GT", value: v(-0.3), t: 3, f: 4 },
        { tree: 0, id: 2, feature: 2, mode: "BRANCH_EQ", value: v(2), t: 5, f: 6, nanTrue: 1 },
        { tree: 0, id: 3, feature: 0, mode: "LEAF", value: 0, t: 0, f: 0 },
        { tree: 0, id: 4, feature: 0, mode: "LEAF", value: 0, t: 0, f: 0 },
        { tree: 0, id: 5, feature: 0, mode: "LEAF", value: 0, t: 0, f: 0 },
        { tree: 0, id: 6, feature: 0, mode: "LEAF", value: 0, t: 0, f: 0 },
        { tree: 1, id: 0, feature: 1, mode: "BRANCH_LT", value: v(0.7), t: 1, f: 2 },
        { tree: 1, id: 1, feature: 2, mode: "BRANCH_NEQ", value: v(1), t: 3, f: 4 },
        { tree: 1, id: 2, feature: 0, mode: "BRANCH_GTE", value: v(-1.1), t: 5, f: 6, nanTrue: 1 },
        { tree: 1, id: 3, feature: 0, mode: "LEAF", value: 0, t: 0, f: 0 },
        { tree: 1, id: 4, feature: 0, mode: "LEAF", value: 0, t: 0, f: 0 },
        { tree: 1, id: 5, feature: 0, mode: "LEAF", value: 0, t: 0, f: 0 },
        { tree: 1, id: 6, feature: 0, mode: "LEAF", value: 0, t: 0, f: 0 },
      ],
      votes: [3, 4, 5, 6, 3, 4, 5, 6].flatMap((id, k) => {
        const tree = k >= 4 ? 1 : 0;
        if (!twoColumns) return [{ tree, id, cls: 0, w: v(((k * 37) % 11) / 10 - 0.45) }];
        return [
          { tree, id, cls: 0, w: v(((k * 37) % 11) / 10 - 0.3) },
          { tree, id, cls: 1, w: v(((k * 17) % 7) / 5 - 0.5) },
          ...(k % 3 === 0 ? [] : [{ tree, id, cls: 2, w: v(((k * 13) % 5) / 4 - 0.4) }]),
        ];
      }),
    };
  }

  function rowsFor(g: EnsembleGraph, n: number): Float64Array {
    const rng = createRng(11);
    const thresholds = g.nodes.filter((x) => x.mode !== "LEAF");
    const rows = new Float64Array(n * g.nFeatures);
    for (let i = 0; i < rows.length; i++) {
      const f = i % g.nFeatures;
      const on = thresholds.filter((x) => x.feature === f).map((x) => x.value);
      const u = rng();
      const t = on[Math.floor(rng() * on.length)] ?? 0;
      rows[i] =
        u < 0.1
          ? Number.NaN
          : u < 0.4
            ? t
            : u < 0.55
              ? t + (rng() < 0.5 ? -1 : 1) * Math.abs(t) * 2 ** -40
              : (rng() - 0.5) * 5;
      if (g.input === "float") rows[i] = Math.fround(rows[i]!);
    }
    return rows;
  }

  for (const input of ["float", "double"] as const) {
    for (const [post, labels] of [
      ["NONE", [0, 1, 2]],
      ["SOFTMAX", ["red", "green", "blue"]],
      ["SOFTMAX_ZERO", [3, 5, 7]],
      ["LOGISTIC", [0, 1, 2]],
    ] as const) {
      it(`every node mode, ${input} input, ${post}: within 1e-6 of onnxruntime`, async () => {
        const g = allModes(input, post, [...labels] as number[] | string[]);
        const bytes = ensembleModel(g);
        const imported = importOnnx(bytes);
        expect(imported.classes).toEqual([...labels]);
        const rows = rowsFor(g, 2000);
        const got = imported.model.predictProba(rows, 2000);
        const want = await ortProba(bytes, rows, 2000, 3, input);
        expect(maxDiff(got, want)).toBeLessThanOrEqual(1e-6);
      });
    }
    it(`binary with one score column (LOGISTIC, mixed-sign weights), ${input} input`, async () => {
      const g = allModes(input, "LOGISTIC", [0, 1], false);
      const bytes = ensembleModel(g);
      const imported = importOnnx(bytes);
      expect(imported.model.info.nOutputs).toBe(1);
      const rows = rowsFor(g, 2000);
      const want = await ortProba(bytes, rows, 2000, 3, input);
      expect(maxDiff(imported.model.predictProba(rows, 2000), want)).toBeLessThanOrEqual(1e-6);
    });
    it(`binary with one score column, all weights >= 0 and NONE ([1 - s, s]), ${input} input`, async () => {
      const g = allModes(input, "NONE", [0, 1], false);
      g.votes = g.votes.map((v) => ({ ...v, w: Math.fround(Math.abs(v.w) / 4) }));
      g.base = [0.125];
      const bytes = ensembleModel(g);
      const imported = importOnnx(bytes);
      expect(imported.model.info.nOutputs).toBe(1);
      const rows = rowsFor(g, 2000);
      const want = await ortProba(bytes, rows, 2000, 3, input);
      expect(maxDiff(imported.model.predictProba(rows, 2000), want)).toBeLessThanOrEqual(1e-6);
    });
  }

  it("refuses the one-column layout on class id 1 (onnxruntime's scores there are not probabilities)", () => {
    const g = allModes("float", "LOGISTIC", [0, 1], false);
    g.votes = g.votes.map((v) => ({ ...v, cls: 1 }));
    let code: string | undefined;
    try {
      importOnnx(ensembleModel(g));
    } catch (e) {
      code = (e as { code?: string }).code;
    }
    expect(code).toBe("UNIMPLEMENTED");
  });
});
