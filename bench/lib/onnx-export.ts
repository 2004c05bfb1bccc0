// Exports a tree ensemble to an ONNX-ML TreeEnsembleClassifier, built by hand from the ONNX spec
// (field numbers of onnx.proto, enum values from onnx-proto; encoded with ProtoWriter because
// protobufjs takes about a second for a 100k-node forest), so that onnxruntime-node can score the
// very model we serve. The tests decode the result with onnx-proto.
//
// Decisions must match the core exactly (x < t in double, NaN to the default side). ORT compares
// in the threshold type, which follows the input type: with "double" precision the input is
// float64 and thresholds travel as double tensors (ai.onnx.ml opset 3 `*_as_tensor` attributes),
// so decisions are identical. With "float" precision (what most converters emit) the caller feeds
// float32 rows; each threshold is then rounded so that `fround(x) < t'` equals `fround(x) < t`,
// i.e. ORT decides as the core would on float32-rounded inputs. The input is the core's own tree
// shape, `TreeEnsemble` (what `ClassifierModel#exportTrees()` returns).
import onnxProto from "onnx-proto";
import type { TreeEnsemble } from "../../src/core/index.js";
import { ProtoWriter } from "./protobuf-writer.js";

const { onnx } = onnxProto;

export interface OnnxExportOptions {
  /** Columns of the input. Required. */
  nFeatures: number;
  /**
   * "double": float64 input, double thresholds and weights (opset 3): decisions identical to the
   * core. "float": float32 input, float attributes (opset 1 style), thresholds rounded as described
   * at the top of this file. Default "double".
   */
  precision?: "double" | "float";
  /** Input name. Default "input". Outputs are "label" (int64 [N]) and "probabilities" (float [N, nClasses]). */
  inputName?: string;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The float32 value t' with `x < t'` ⟺ `x < t` for every float32 x (`<=` with "less_equal"). */
export function float32Threshold(t: number, decision: TreeEnsemble["decision"]): number {
  const f = Math.fround(t);
  if (f === t || !Number.isFinite(t)) return f;
  // For float x: x < t ⟺ x < (smallest float above t); x <= t ⟺ x <= (largest float below t).
  const wantUp = decision === "less";
  if (wantUp === f > t) return f;
  f32[0] = f;
  if (f === 0) {
    u32[0] = 1; // the smallest subnormal
    return wantUp ? f32[0] : -f32[0];
  }
  // The bit pattern grows with the magnitude: moving up means +1 for positive values, -1 for negative.
  const incrementBits = wantUp === f > 0;
  u32[0] = incrementBits ? u32[0]! + 1 : u32[0]! - 1;
  return f32[0]!;
}

// Field numbers from onnx.proto (onnx-proto's generated code uses the same); enum values from onnx-proto.
const A = onnx.AttributeProto.AttributeType;
const T = onnx.TensorProto.DataType;
type Attribute = ProtoWriter;

function attribute(name: string, type: number): Attribute {
  return new ProtoWriter().string(1, name).int(20, type);
}
const ints = (name: string, v: ArrayLike<number>) => attribute(name, A.INTS).packedInts(8, v);
const floats = (name: string, v: ArrayLike<number>) => attribute(name, A.FLOATS).packedFloats(7, v);
const str = (name: string, v: string) => attribute(name, A.STRING).string(4, v);
function strs(name: string, v: readonly string[]): Attribute {
  const a = attribute(name, A.STRINGS);
  // Each distinct string (node modes repeat ~100k times) is encoded once, tag and length included.
  const encoded = new Map<string, Uint8Array>();
  for (const s of v) {
    let field = encoded.get(s);
    if (!field) {
      field = new ProtoWriter().string(9, s).finish();
      encoded.set(s, field);
    }
    a.raw(field);
  }
  return a;
}
function tensor(name: string, v: ArrayLike<number>): Attribute {
  const data = Float64Array.from(v);
  const t = new ProtoWriter()
    .packedInts(1, [data.length]) // dims
    .int(2, T.DOUBLE) // data_type
    .string(8, name)
    // raw_data is little-endian, as typed arrays are on every platform Node runs on here.
    .bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return attribute(name, A.TENSOR).message(5, t);
}

function valueInfo(name: string, elemType: number, dims: (string | number)[]): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of dims) {
    shape.message(1, typeof d === "string" ? new ProtoWriter().string(2, d) : new ProtoWriter().int(1, d));
  }
  const tensorType = new ProtoWriter().int(1, elemType).message(2, shape);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
}

/** Serialized ModelProto (IR 8, ai.onnx.ml opset 3) with one TreeEnsembleClassifier node. */
export function exportOnnxModel(model: TreeEnsemble, options: OnnxExportOptions): Uint8Array {
  const precision = options.precision ?? "double";
  const { aggregation, postTransform: post, decision } = model;
  const nTrees = model.treeNodeOffsets.length - 1;
  const lw = model.leafWidth;
  if (nTrees < 1) throw new RangeError("the model has no trees");
  if (post === "sigmoid" && !(model.nOutputs === 1 && model.nClasses === 2)) {
    throw new RangeError("a sigmoid model must have 1 output and 2 classes");
  }
  // Trees per output: a mean divides by it, so the weights are pre-divided (ONNX classifiers only sum).
  const perOutput = new Float64Array(model.nOutputs);
  for (let t = 0; t < nTrees; t++) for (let k = 0; k < lw; k++) perOutput[model.outputIndex[t]! + k]! += 1;

  const nodeTree: number[] = [];
  const nodeId: number[] = [];
  const nodeFeature: number[] = [];
  const nodeMode: string[] = [];
  const nodeValue: number[] = [];
  const nodeTrue: number[] = [];
  const nodeFalse: number[] = [];
  const nodeMissingTrue: number[] = [];
  const classTree: number[] = [];
  const classNode: number[] = [];
  const classId: number[] = [];
  const classWeight: number[] = [];
  const branch = decision === "less" ? "BRANCH_LT" : "BRANCH_LEQ";
  // The arrays are the core's export of a validated model: every index below is in range.
  for (let t = 0; t < nTrees; t++) {
    const o = model.treeNodeOffsets[t]!;
    const size = model.treeNodeOffsets[t + 1]! - o;
    for (let i = 0; i < size; i++) {
      const g = o + i;
      const l = model.left[g]!;
      const r = model.right[g]!;
      nodeTree.push(t);
      nodeId.push(i);
      if (l === -1) {
        nodeFeature.push(0);
        nodeMode.push("LEAF");
        nodeValue.push(0);
        nodeTrue.push(0);
        nodeFalse.push(0);
        nodeMissingTrue.push(0);
        for (let k = 0; k < lw; k++) {
          const out = model.outputIndex[t]! + k;
          const v = model.value[g * lw + k]!;
          classTree.push(t);
          classNode.push(i);
          // Binary sigmoid: one score, written under class id 0 with one base value; ORT then returns
          // [1 - sigmoid(m), sigmoid(m)] (the layout skl2onnx uses; checked against the core).
          classId.push(post === "sigmoid" ? 0 : out);
          classWeight.push(aggregation === "mean" ? v / perOutput[out]! : v);
        }
      } else {
        if (!(l > 0 && l < size && r > 0 && r < size))
          throw new RangeError(`tree ${t} node ${i}: child out of range`);
        const th = model.threshold[g]!;
        nodeFeature.push(model.feature[g]!);
        nodeMode.push(branch);
        nodeValue.push(precision === "float" ? float32Threshold(th, decision) : th);
        nodeTrue.push(l);
        nodeFalse.push(r);
        nodeMissingTrue.push(model.defaultLeft[g] ? 1 : 0);
      }
    }
  }
  const base = Array.from(model.baseScore);
  const baseValues = post === "sigmoid" ? [base[0] ?? 0] : base;
  const double = precision === "double";
  const attributes = [
    ints(
      "classlabels_int64s",
      Array.from({ length: model.nClasses }, (_, k) => k),
    ),
    ints("nodes_treeids", nodeTree),
    ints("nodes_nodeids", nodeId),
    ints("nodes_featureids", nodeFeature),
    strs("nodes_modes", nodeMode),
    double ? tensor("nodes_values_as_tensor", nodeValue) : floats("nodes_values", nodeValue),
    ints("nodes_truenodeids", nodeTrue),
    ints("nodes_falsenodeids", nodeFalse),
    ints("nodes_missing_value_tracks_true", nodeMissingTrue),
    ints("class_treeids", classTree),
    ints("class_nodeids", classNode),
    ints("class_ids", classId),
    double ? tensor("class_weights_as_tensor", classWeight) : floats("class_weights", classWeight),
    str("post_transform", post === "sigmoid" ? "LOGISTIC" : post === "softmax" ? "SOFTMAX" : "NONE"),
  ];
  // The binary layout needs its base value even when it is 0 (without it ORT scores differently).
  if (post === "sigmoid" || baseValues.some((v) => v !== 0)) {
    attributes.push(double ? tensor("base_values_as_tensor", baseValues) : floats("base_values", baseValues));
  }
  const input = options.inputName ?? "input";
  const node = new ProtoWriter()
    .string(1, input)
    .string(2, "label")
    .string(2, "probabilities")
    .string(3, "trees")
    .string(4, "TreeEnsembleClassifier")
    .string(7, "ai.onnx.ml");
  for (const a of attributes) node.message(5, a);
  const graph = new ProtoWriter()
    .message(1, node)
    .string(2, `mlops_${model.family}`)
    .message(11, valueInfo(input, double ? T.DOUBLE : T.FLOAT, ["N", options.nFeatures]))
    .message(12, valueInfo("label", T.INT64, ["N"]))
    .message(12, valueInfo("probabilities", T.FLOAT, ["N", model.nClasses]));
  return new ProtoWriter()
    .int(1, 8) // ir_version
    .string(2, "mlops-bench")
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, "").int(2, 17))
    .message(8, new ProtoWriter().string(1, "ai.onnx.ml").int(2, 3))
    .finish();
}
