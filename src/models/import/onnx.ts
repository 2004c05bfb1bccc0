/**
 * ONNX-ML models (what skl2onnx, onnxmltools and our own exporter write) into the artifact: one
 * `TreeEnsembleClassifier` (every node mode, missing_value_tracks_true, base_values, post transforms
 * NONE, LOGISTIC, SOFTMAX and SOFTMAX_ZERO, integer or string labels) or `LinearClassifier`, with the
 * `ZipMap`, `Cast` and `Identity` nodes converters put around them. Anything else is UNIMPLEMENTED
 * naming the operator and node. The model is decoded with protobuf-es from the vendored onnx-ml.proto.
 *
 * onnxruntime compares a float input as float32 and a double input as double; float comparisons
 * become exact double thresholds (float32.ts), GTE/GT swap the children, EQ/NEQ use the equality
 * kinds, and NaN goes to the true branch where missing_value_tracks_true says so (NEQ: always, as
 * `NaN != v` holds). Semantics: docs/model-format.md, "Mapping other formats".
 */
import { fromBinary } from "@bufbuild/protobuf";
import {
  AttributeProto_AttributeType as A,
  type AttributeProto,
  type ModelProto,
  ModelProtoSchema,
  type NodeProto,
  TensorProto_DataType as T,
  type TensorProto,
} from "../../gen/onnx/onnx-ml_pb.js";
import type { ClassLabels, ModelSpec, TreeInput } from "../artifact/spec.js";
import { joinTrees } from "../artifact/spec.js";
import { malformed, unsupported } from "./errors.js";
import { float32Less, float32LessEqual, isFloat32, nextUp } from "./float32.js";
import { featureNamesFrom, finish, type ImportedModel, type ImportOptions } from "./result.js";
import { buildTree, KIND, MAX_TREE_NODES, type OriginNode } from "./tree-builder.js";

const ML = "ai.onnx.ml";
const MAX_FEATURES = 1_000_000;
const MAX_CLASSES = 65_536;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Whether the bytes look like an ONNX ModelProto (for `--format auto`): it decodes and has a graph. */
export function looksLikeOnnx(bytes: Uint8Array): boolean {
  // ModelProto starts with ir_version (field 1, varint: 0x08) in every writer we know.
  if (bytes[0] !== 0x08) return false;
  try {
    return fromBinary(ModelProtoSchema, bytes).graph !== undefined;
  } catch {
    return false;
  }
}

class Attrs {
  private readonly byName = new Map<string, AttributeProto>();
  constructor(
    node: NodeProto,
    private readonly where: string,
  ) {
    for (const a of node.attribute) this.byName.set(a.name, a);
  }
  has(name: string): boolean {
    return this.byName.has(name);
  }
  names(): string[] {
    return [...this.byName.keys()];
  }
  private get(name: string, type: A): AttributeProto | undefined {
    const a = this.byName.get(name);
    if (a && a.type !== type && a.type !== A.UNDEFINED) {
      throw malformed(
        "onnx",
        `${this.where}.${name}`,
        `attribute type ${A[type]}`,
        A[a.type] ?? String(a.type),
      );
    }
    return a;
  }
  ints(name: string): number[] | undefined {
    const a = this.get(name, A.INTS);
    if (!a) return undefined;
    return a.ints.map((v, i) => {
      const n = Number(v);
      if (!Number.isSafeInteger(n))
        throw malformed("onnx", `${this.where}.${name}[${i}]`, "a safe integer", String(v));
      return n;
    });
  }
  int(name: string): number | undefined {
    const a = this.get(name, A.INT);
    return a ? Number(a.i) : undefined;
  }
  floats(name: string): number[] | undefined {
    const a = this.get(name, A.FLOATS);
    return a ? [...a.floats] : undefined;
  }
  strings(name: string): string[] | undefined {
    const a = this.get(name, A.STRINGS);
    if (!a) return undefined;
    return a.strings.map((s, i) => {
      try {
        return utf8.decode(s);
      } catch {
        throw malformed("onnx", `${this.where}.${name}[${i}]`, "UTF-8 text");
      }
    });
  }
  string(name: string): string | undefined {
    const a = this.get(name, A.STRING);
    if (!a) return undefined;
    try {
      return utf8.decode(a.s);
    } catch {
      throw malformed("onnx", `${this.where}.${name}`, "UTF-8 text");
    }
  }
  tensor(name: string): TensorProto | undefined {
    return this.get(name, A.TENSOR)?.t;
  }
}

/** A tensor attribute's values as doubles (float or double, raw or typed data). */
function tensorValues(t: TensorProto, field: string): { values: number[]; double: boolean } {
  if (t.dataType === T.DOUBLE) {
    if (t.rawData.length > 0) {
      if (t.rawData.length % 8 !== 0)
        throw malformed("onnx", `${field}.raw_data`, "a multiple of 8 bytes", String(t.rawData.length));
      const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
      return {
        values: Array.from({ length: t.rawData.length / 8 }, (_, i) => view.getFloat64(i * 8, true)),
        double: true,
      };
    }
    return { values: [...t.doubleData], double: true };
  }
  if (t.dataType === T.FLOAT) {
    if (t.rawData.length > 0) {
      if (t.rawData.length % 4 !== 0)
        throw malformed("onnx", `${field}.raw_data`, "a multiple of 4 bytes", String(t.rawData.length));
      const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
      return {
        values: Array.from({ length: t.rawData.length / 4 }, (_, i) => view.getFloat32(i * 4, true)),
        double: false,
      };
    }
    return { values: [...t.floatData], double: false };
  }
  throw unsupported("onnx", `tensor element type ${T[t.dataType] ?? t.dataType}`, field);
}

/** `<name>` or `<name>_as_tensor`: values and whether they are doubles. */
function valuesOf(
  attrs: Attrs,
  name: string,
  where: string,
): { values: number[]; double: boolean } | undefined {
  const t = attrs.tensor(`${name}_as_tensor`);
  if (t) return tensorValues(t, `${where}.${name}_as_tensor`);
  const f = attrs.floats(name);
  return f ? { values: f, double: false } : undefined;
}

interface Graph {
  classifier: NodeProto;
  where: string;
  inputName: string;
  /** Whether the classifier sees the input as float32 (a float input, or a Cast to float). */
  float32Input: boolean;
  nFeatures: number | undefined;
}

/** The one classifier node and how its input arrives; every other node must be one converters add. */
function readGraph(model: ModelProto): Graph {
  const graph = model.graph;
  if (!graph) throw malformed("onnx", "graph", "a graph");
  const initializers = new Set(graph.initializer.map((t) => t.name));
  const inputs = graph.input.filter((i) => !initializers.has(i.name));
  if (inputs.length !== 1)
    throw unsupported(
      "onnx",
      `a graph with ${inputs.length} inputs (one feature tensor is supported)`,
      "graph.input",
    );
  const input = inputs[0]!;
  const type = input.type?.value;
  if (type?.case !== "tensorType")
    throw unsupported("onnx", "a non-tensor input", `graph.input[${JSON.stringify(input.name)}]`);
  const elem = type.value.elemType;
  if (elem !== T.FLOAT && elem !== T.DOUBLE) {
    throw unsupported(
      "onnx",
      `input element type ${T[elem] ?? elem} (float or double)`,
      `graph.input[${JSON.stringify(input.name)}]`,
    );
  }
  const dims = type.value.shape?.dim ?? [];
  let nFeatures: number | undefined;
  if (dims.length === 2 && dims[1]?.value.case === "dimValue") nFeatures = Number(dims[1].value.value);
  else if (dims.length !== 0 && dims.length !== 2)
    throw unsupported("onnx", `an input of rank ${dims.length} (rows × features)`, "graph.input");

  const classifiers = graph.node.filter(
    (n) => n.opType === "TreeEnsembleClassifier" || n.opType === "LinearClassifier",
  );
  if (classifiers.length !== 1)
    throw unsupported(
      "onnx",
      `a graph with ${classifiers.length} classifier nodes (exactly one)`,
      "graph.node",
    );
  const classifier = classifiers[0]!;
  const where = `node[${JSON.stringify(classifier.name || classifier.opType)}]`;
  if (classifier.domain !== ML)
    throw malformed("onnx", `${where}.domain`, JSON.stringify(ML), JSON.stringify(classifier.domain));
  for (const n of graph.node) {
    if (n === classifier) continue;
    const ok =
      (n.opType === "ZipMap" && n.domain === ML) ||
      ((n.opType === "Cast" || n.opType === "Identity") && (n.domain === "" || n.domain === "ai.onnx"));
    if (!ok)
      throw unsupported(
        "onnx",
        `operator ${n.domain ? `${n.domain}.` : ""}${n.opType}`,
        `node[${JSON.stringify(n.name || n.opType)}]`,
      );
  }
  // The classifier's input: the graph input, through Identity/Cast nodes.
  let name = classifier.input[0] ?? "";
  let float32Input = false;
  const producers = new Map(graph.node.flatMap((n) => n.output.map((o) => [o, n] as const)));
  for (let hops = 0; name !== input.name; hops++) {
    const p = producers.get(name);
    if (
      !p ||
      hops > graph.node.length ||
      p === classifier ||
      (p.opType !== "Cast" && p.opType !== "Identity")
    ) {
      throw unsupported(
        "onnx",
        "a classifier input that is not the graph input (through Cast or Identity)",
        `${where}.input`,
      );
    }
    if (p.opType === "Cast") {
      const to = new Attrs(p, `node[${JSON.stringify(p.name)}]`).int("to");
      if (to === T.FLOAT) float32Input = true;
      else if (to !== T.DOUBLE)
        throw unsupported(
          "onnx",
          `a Cast of the input to ${T[to ?? 0] ?? to}`,
          `node[${JSON.stringify(p.name)}]`,
        );
    }
    name = p.input[0] ?? "";
  }
  if (elem === T.FLOAT) float32Input = true;
  return { classifier, where, inputName: input.name, float32Input, nFeatures };
}

function labelsOf(attrs: Attrs, where: string, ints: string, strings: string): ClassLabels {
  const i = attrs.ints(ints);
  const s = attrs.strings(strings);
  if ((i === undefined) === (s === undefined) || (i?.length === 0 && s?.length === 0)) {
    throw malformed("onnx", `${where}.${ints}`, `exactly one of ${ints} and ${strings}`);
  }
  const values = (i ?? s)!;
  if (values.length < 2 || values.length > MAX_CLASSES) {
    throw malformed(
      "onnx",
      `${where}.${i ? ints : strings}`,
      `2 to ${MAX_CLASSES} class labels`,
      String(values.length),
    );
  }
  if (new Set<string | number>(values).size !== values.length)
    throw malformed("onnx", `${where}.${i ? ints : strings}`, "distinct labels");
  if (i) {
    if (i.some((v) => Math.abs(v) > 2 ** 53))
      throw malformed("onnx", `${where}.${ints}`, "labels within ±2^53");
    return { kind: "int64", values: i };
  }
  return { kind: "string", values: s! };
}

type Post = "NONE" | "LOGISTIC" | "SOFTMAX" | "SOFTMAX_ZERO";
function postOf(attrs: Attrs, where: string): Post {
  const p = attrs.string("post_transform") ?? "NONE";
  if (p === "NONE" || p === "LOGISTIC" || p === "SOFTMAX" || p === "SOFTMAX_ZERO") return p;
  throw unsupported(
    "onnx",
    `post_transform ${JSON.stringify(p)} (NONE, LOGISTIC, SOFTMAX, SOFTMAX_ZERO)`,
    `${where}.post_transform`,
  );
}

const MODES = [
  "BRANCH_LEQ",
  "BRANCH_LT",
  "BRANCH_GTE",
  "BRANCH_GT",
  "BRANCH_EQ",
  "BRANCH_NEQ",
  "LEAF",
] as const;
type Mode = (typeof MODES)[number];

/** One ONNX split as an artifact node: kind, threshold, and whether the true branch is the left child. */
function splitOf(
  mode: Mode,
  v: number,
  float32: boolean,
): { kind: number; threshold: number; trueLeft: boolean } {
  switch (mode) {
    case "BRANCH_LT":
      return { kind: KIND.numeric, threshold: float32 ? float32Less(v) : v, trueLeft: true };
    case "BRANCH_LEQ":
      return { kind: KIND.numeric, threshold: float32 ? float32LessEqual(v) : nextUp(v), trueLeft: true };
    case "BRANCH_GTE":
      return { kind: KIND.numeric, threshold: float32 ? float32Less(v) : v, trueLeft: false };
    case "BRANCH_GT":
      return { kind: KIND.numeric, threshold: float32 ? float32LessEqual(v) : nextUp(v), trueLeft: false };
    case "BRANCH_EQ":
      return { kind: float32 ? KIND.equalFloat32 : KIND.equal, threshold: v, trueLeft: true };
    default:
      return { kind: float32 ? KIND.equalFloat32 : KIND.equal, threshold: v, trueLeft: false };
  }
}

function importTreeEnsemble(
  g: Graph,
  attrs: Attrs,
  options: ImportOptions,
): { spec: Omit<ModelSpec, "featureNames" | "paramsJson">; nTrees: number; objective: string } {
  const w = g.where;
  const need = <V>(v: V | undefined, name: string): V => {
    if (v === undefined) throw malformed("onnx", `${w}.${name}`, "the attribute");
    return v;
  };
  const treeIds = need(attrs.ints("nodes_treeids"), "nodes_treeids");
  const n = treeIds.length;
  const len = <V>(v: V[] | undefined, name: string, optional = false): V[] | undefined => {
    if (v === undefined) {
      if (optional) return undefined;
      throw malformed("onnx", `${w}.${name}`, "the attribute");
    }
    if (v.length !== n)
      throw malformed("onnx", `${w}.${name}`, `${n} entries (one per node)`, String(v.length));
    return v;
  };
  const nodeIds = len(attrs.ints("nodes_nodeids"), "nodes_nodeids")!;
  const featureIds = len(attrs.ints("nodes_featureids"), "nodes_featureids")!;
  const modes = len(attrs.strings("nodes_modes"), "nodes_modes")!;
  const valuesAttr = need(valuesOf(attrs, "nodes_values", w), "nodes_values");
  const values = len(valuesAttr.values, "nodes_values")!;
  const trueIds = len(attrs.ints("nodes_truenodeids"), "nodes_truenodeids")!;
  const falseIds = len(attrs.ints("nodes_falsenodeids"), "nodes_falsenodeids")!;
  const tracksTrue = len(
    attrs.ints("nodes_missing_value_tracks_true"),
    "nodes_missing_value_tracks_true",
    true,
  );
  const labels = labelsOf(attrs, w, "classlabels_int64s", "classlabels_strings");
  const nClasses = labels.values.length;
  const post = postOf(attrs, w);
  const vTree = need(attrs.ints("class_treeids"), "class_treeids");
  const nv = vTree.length;
  const vlen = <V>(v: V[] | undefined, name: string): V[] => {
    if (v === undefined) throw malformed("onnx", `${w}.${name}`, "the attribute");
    if (v.length !== nv)
      throw malformed("onnx", `${w}.${name}`, `${nv} entries (one per vote)`, String(v.length));
    return v;
  };
  const vNode = vlen(attrs.ints("class_nodeids"), "class_nodeids");
  const vClass = vlen(attrs.ints("class_ids"), "class_ids");
  const vWeight = vlen(need(valuesOf(attrs, "class_weights", w), "class_weights").values, "class_weights");
  const base = valuesOf(attrs, "base_values", w)?.values ?? [];
  if (attrs.has("nodes_hitrates_as_tensor") || attrs.has("nodes_hitrates")) {
    // Hit rates are statistics; scoring ignores them.
  }
  const float32 = g.float32Input;
  const roundedInput = (v: number) => (float32 && !isFloat32(v) ? Math.fround(v) : v);

  // Score columns: every class id, or the binary layout with a single column (one class id used).
  const classIds = new Set(vClass);
  for (const c of classIds) {
    if (!Number.isInteger(c) || c < 0 || c >= nClasses)
      throw malformed("onnx", `${w}.class_ids`, `class ids in [0, ${nClasses})`, String(c));
  }
  const oneColumn = nClasses === 2 && classIds.size <= 1;
  let postTransform: ModelSpec["postTransform"];
  let nOutputs = nClasses;
  let baseScore: number[];
  if (oneColumn) {
    // onnxruntime's binary case: one score s, probabilities [1 - s, s] when every weight is >= 0
    // (the post transform is not applied), [σ(-s), σ(s)] with LOGISTIC otherwise.
    nOutputs = 1;
    if (classIds.has(1)) {
      throw unsupported(
        "onnx",
        "one score column on class id 1 (onnxruntime does not answer probabilities for it)",
        `${w}.class_ids`,
      );
    }
    if (base.length > 1)
      throw unsupported("onnx", `${base.length} base_values with one score column`, `${w}.base_values`);
    baseScore = [base[0] ?? 0];
    const positive = vWeight.every((v) => v >= 0);
    if (positive) postTransform = "complement";
    else if (post === "LOGISTIC") postTransform = "sigmoid";
    else
      throw unsupported(
        "onnx",
        `one score column with post_transform ${post} (scores that are not probabilities)`,
        `${w}.post_transform`,
      );
  } else {
    if (base.length !== 0 && base.length !== nClasses)
      throw malformed("onnx", `${w}.base_values`, `0 or ${nClasses} values`, String(base.length));
    baseScore = base.length === 0 ? new Array<number>(nClasses).fill(0) : base;
    postTransform =
      post === "NONE"
        ? "identity"
        : post === "LOGISTIC"
          ? "sigmoid_each"
          : post === "SOFTMAX"
            ? "softmax"
            : "softmax_zero";
  }
  for (const b of baseScore)
    if (!Number.isFinite(b)) throw malformed("onnx", `${w}.base_values`, "finite numbers");

  // Nodes by tree, and votes by (tree, node).
  const trees = new Map<number, Map<number, number>>();
  for (let i = 0; i < n; i++) {
    const t = treeIds[i]!;
    let m = trees.get(t);
    if (!m) {
      m = new Map();
      trees.set(t, m);
    }
    if (m.has(nodeIds[i]!))
      throw malformed(
        "onnx",
        `${w}.nodes_nodeids[${i}]`,
        "node ids unique within a tree",
        String(nodeIds[i]),
      );
    if (m.size >= MAX_TREE_NODES)
      throw malformed("onnx", `${w}.nodes_treeids`, `at most ${MAX_TREE_NODES} nodes per tree`);
    m.set(nodeIds[i]!, i);
  }
  const votes = new Map<number, [number, number][]>();
  for (let j = 0; j < nv; j++) {
    const at = trees.get(vTree[j]!)?.get(vNode[j]!);
    if (at === undefined)
      throw malformed(
        "onnx",
        `${w}.class_nodeids[${j}]`,
        "a node of the tree class_treeids names",
        `${vTree[j]}/${vNode[j]}`,
      );
    if (modes[at] !== "LEAF") throw malformed("onnx", `${w}.class_nodeids[${j}]`, "a LEAF node", modes[at]);
    let list = votes.get(at);
    if (!list) {
      list = [];
      votes.set(at, list);
    }
    list.push([oneColumn ? 0 : vClass[j]!, vWeight[j]!]);
  }
  const maxFeature = featureIds.reduce((m, f, i) => (modes[i] === "LEAF" ? m : Math.max(m, f)), -1);
  const nFeatures = g.nFeatures ?? maxFeature + 1;
  if (!(nFeatures >= 1 && nFeatures <= MAX_FEATURES))
    throw malformed("onnx", "graph.input", `1 to ${MAX_FEATURES} features`, String(nFeatures));

  // Leaf width 1 when every leaf of every tree votes for one column (GBDT layouts), else vectors.
  const treeList = [...trees.entries()].sort((a, b) => a[0] - b[0]);
  const columnOf = (tree: Map<number, number>): number | undefined => {
    let column: number | undefined;
    for (const at of tree.values()) {
      for (const [c] of votes.get(at) ?? []) {
        if (column === undefined) column = c;
        else if (column !== c) return -1;
      }
    }
    return column;
  };
  const columns = treeList.map(([, tree]) => columnOf(tree));
  const narrow = nOutputs === 1 || columns.every((c) => c !== -1);
  const leafWidth = narrow ? 1 : nOutputs;
  const converted: TreeInput[] = treeList.map(([treeId, tree], ti) => {
    const where = `${w}.tree[${treeId}]`;
    const index = [...tree.keys()];
    const local = new Map(index.map((id, k) => [id, k]));
    const referenced = new Set<number>();
    for (const at of tree.values()) {
      if (modes[at] === "LEAF") continue;
      referenced.add(trueIds[at]!);
      referenced.add(falseIds[at]!);
    }
    const roots = index.filter((id) => !referenced.has(id));
    if (roots.length !== 1)
      throw malformed("onnx", where, "one root (a node no other node points at)", `${roots.length} roots`);
    const column = narrow ? (columns[ti] ?? 0) : 0;
    const node = (k: number): OriginNode => {
      const at = tree.get(index[k]!)!;
      const mode = modes[at] as Mode;
      if (!(MODES as readonly string[]).includes(mode))
        throw unsupported("onnx", `node mode ${JSON.stringify(mode)}`, `${where}.nodes_modes`);
      if (mode === "LEAF") {
        const value = new Array<number>(leafWidth).fill(0);
        for (const [c, weight] of votes.get(at) ?? []) {
          const k = leafWidth === 1 ? 0 : c;
          value[k] = (value[k] ?? 0) + weight;
        }
        return { leaf: true, value };
      }
      const id = (v: number, field: string) => {
        const l = local.get(v);
        if (l === undefined)
          throw malformed("onnx", `${where}.${field}`, "a node id of the same tree", String(v));
        return l;
      };
      const t = id(trueIds[at]!, "nodes_truenodeids");
      const f = id(falseIds[at]!, "nodes_falsenodeids");
      const value = roundedInput(values[at]!);
      const s = splitOf(mode, value, float32);
      // NaN: the true branch if tracked there (NEQ: always, since NaN != v), else the false branch.
      const nanTrue = mode === "BRANCH_NEQ" || tracksTrue?.[at] === 1;
      return {
        leaf: false,
        feature: featureIds[at]!,
        threshold: s.threshold,
        kind: s.kind,
        left: s.trueLeft ? t : f,
        right: s.trueLeft ? f : t,
        defaultLeft: nanTrue === s.trueLeft,
      };
    };
    return buildTree({
      format: "onnx",
      where,
      nNodes: index.length,
      root: local.get(roots[0]!)!,
      nFeatures,
      leafWidth,
      outputIndex: column,
      node,
    });
  });
  void options;
  return {
    spec: {
      family: "gbdt",
      nFeatures,
      nClasses,
      nOutputs,
      leafWidth,
      aggregation: "sum",
      postTransform,
      decision: "less",
      classLabels: labels,
      baseScore: Float64Array.from(baseScore),
      ...joinTrees(converted),
      coef: new Float64Array(0),
      intercept: new Float64Array(0),
    },
    nTrees: converted.length,
    objective: `TreeEnsembleClassifier ${post}`,
  };
}

function importLinear(
  g: Graph,
  attrs: Attrs,
): { spec: Omit<ModelSpec, "featureNames" | "paramsJson">; objective: string } {
  const w = g.where;
  const coef = attrs.floats("coefficients");
  if (!coef) throw malformed("onnx", `${w}.coefficients`, "the attribute");
  const labels = labelsOf(attrs, w, "classlabels_ints", "classlabels_strings");
  const nClasses = labels.values.length;
  const intercepts = attrs.floats("intercepts");
  const nTargets = intercepts?.length ?? (g.nFeatures ? coef.length / g.nFeatures : nClasses);
  if (!Number.isInteger(nTargets) || nTargets < 1)
    throw malformed("onnx", `${w}.intercepts`, "one intercept per score column");
  const nFeatures = coef.length / nTargets;
  if (
    !Number.isInteger(nFeatures) ||
    nFeatures < 1 ||
    (g.nFeatures !== undefined && g.nFeatures !== nFeatures)
  ) {
    throw malformed(
      "onnx",
      `${w}.coefficients`,
      `score columns × features values (${nTargets} × ${g.nFeatures ?? "?"})`,
      String(coef.length),
    );
  }
  const post = postOf(attrs, w);
  if (nTargets !== nClasses) {
    throw unsupported(
      "onnx",
      `a LinearClassifier with ${nTargets} score columns for ${nClasses} classes`,
      `${w}.intercepts`,
    );
  }
  if (post === "NONE")
    throw unsupported(
      "onnx",
      "LinearClassifier post_transform NONE (scores that are not probabilities)",
      `${w}.post_transform`,
    );
  for (const v of [...coef, ...(intercepts ?? [])])
    if (!Number.isFinite(v)) throw malformed("onnx", `${w}.coefficients`, "finite numbers");
  return {
    spec: {
      family: "logistic",
      nFeatures,
      nClasses,
      nOutputs: nClasses,
      leafWidth: 1,
      aggregation: "sum",
      postTransform: post === "LOGISTIC" ? "sigmoid_each" : post === "SOFTMAX" ? "softmax" : "softmax_zero",
      decision: "less",
      classLabels: labels,
      baseScore: new Float64Array(0),
      ...joinTrees([]),
      coef: Float64Array.from(coef),
      intercept: Float64Array.from(intercepts ?? new Array<number>(nClasses).fill(0)),
    },
    objective: `LinearClassifier ${post}`,
  };
}

export function importOnnx(bytes: Uint8Array, options: ImportOptions = {}): ImportedModel {
  let model: ModelProto;
  try {
    model = fromBinary(ModelProtoSchema, bytes);
  } catch (error) {
    throw malformed("onnx", "file", "an ONNX ModelProto (protobuf)", (error as Error).message);
  }
  const g = readGraph(model);
  const attrs = new Attrs(g.classifier, g.where);
  const opsets = model.opsetImport.map((o) => `${o.domain || "ai.onnx"} ${o.version}`).join(", ");
  const formatVersion = `IR ${model.irVersion}; ${opsets}`;
  const converted =
    g.classifier.opType === "TreeEnsembleClassifier"
      ? importTreeEnsemble(g, attrs, options)
      : { ...importLinear(g, attrs), nTrees: 0 };
  const { spec } = converted;
  if (options.classes !== undefined) {
    const given = options.classes.map(String);
    const own = spec.classLabels.values.map(String);
    if (given.length !== own.length || given.some((c, i) => c !== own[i])) {
      throw malformed(
        "onnx",
        "classes (--classes)",
        `the model's own labels ${JSON.stringify(own)} or nothing`,
        JSON.stringify(given),
      );
    }
  }
  const params: Record<string, string> = {
    producer: `${model.producerName} ${model.producerVersion}`.trim(),
    operator: g.classifier.opType,
    opsets,
    float32_input: String(g.float32Input),
  };
  for (const name of attrs.names()) {
    const a = g.classifier.attribute.find((x) => x.name === name)!;
    if (a.type === A.STRING) params[name] = attrs.string(name) ?? "";
    else if (a.type === A.INT) params[name] = String(a.i);
  }
  const full: ModelSpec = {
    ...spec,
    featureNames: featureNamesFrom("onnx", [], options.featureNames, spec.nFeatures),
    paramsJson: JSON.stringify({ source: "onnx", ...params }),
  };
  return finish("onnx", full, { formatVersion, objective: converted.objective, params });
}
