// Exports any of our models as ONNX-ML, so that a user can take it to onnxruntime or Triton: tree
// ensembles as one TreeEnsembleClassifier (ai.onnx.ml opset 3), logistic models as one
// LinearClassifier. Built by hand from the ONNX spec (field numbers of onnx-ml.proto, enum values
// from the generated descriptors) with ProtoWriter, which encodes a 100k-node forest in milliseconds.
//
// Decisions must match the core exactly (x < t in double, NaN to the default side). onnxruntime
// compares in the threshold type, which follows the input type: with "double" precision the input
// is float64 and thresholds travel as double tensors (the `*_as_tensor` attributes), so decisions
// are identical. With "float" precision (what most converters emit) the caller feeds float32 rows;
// each threshold is then rounded so that `fround(x) < t'` equals `fround(x) < t`, i.e. onnxruntime
// decides as the core would on float32-rounded inputs. Nodes ONNX cannot express (categorical sets,
// LightGBM's zero-as-missing) and post transforms it has no equivalent for are UNIMPLEMENTED.

import type { TreeEnsemble } from "../../core/index.js";
import { AttributeProto_AttributeType, TensorProto_DataType } from "../../gen/onnx/onnx-ml_pb.js";
import { ServiceError } from "../../rpc/service-error.js";
import type { ModelSpec } from "../artifact/spec.js";
import { ProtoWriter } from "./protobuf-writer.js";

export interface OnnxExportOptions {
  /**
   * "double": float64 input, double thresholds and weights (opset 3): decisions identical to the
   * core. "float": float32 input, float attributes (opset 1 style), thresholds rounded as described
   * at the top of this file. Default "double". Logistic models always take float input (onnxruntime's
   * LinearClassifier computes in float).
   */
  precision?: "double" | "float";
  /** Input name. Default "input". Outputs are "label" ([N]) and "probabilities" (float [N, nClasses]). */
  inputName?: string;
  /** ModelProto.producer_name. Default "mlops". */
  producer?: string;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The float32 value t' with `x < t'` ⟺ `x < t` for every float32 x (`<=` with "less_equal"). */
export function float32Threshold(t: number, decision: ModelSpec["decision"]): number {
  const f = Math.fround(t);
  if (f === t || !Number.isFinite(t)) return f;
  // For float x: x < t ⟺ x < (smallest float above t); x <= t ⟺ x <= (largest float below t).
  const wantUp = decision === "less";
  if (wantUp === f > t) return f;
  f32[0] = f;
  if (f === 0) {
    u32[0] = 1; // the smallest subnormal
    return wantUp ? (f32[0] ?? 0) : -(f32[0] ?? 0);
  }
  // The bit pattern grows with the magnitude: moving up means +1 for positive values, -1 for negative.
  const incrementBits = wantUp === f > 0;
  u32[0] = incrementBits ? (u32[0] ?? 0) + 1 : (u32[0] ?? 0) - 1;
  return f32[0] ?? 0;
}

const A = AttributeProto_AttributeType;
const T = TensorProto_DataType;
type Attribute = ProtoWriter;

function unsupported(what: string): ServiceError {
  return new ServiceError("UNIMPLEMENTED", `onnx export: ${what} has no ONNX-ML equivalent`);
}

function attribute(name: string, type: number): Attribute {
  return new ProtoWriter().string(1, name).int(20, type);
}
const ints = (name: string, v: ArrayLike<number>) => attribute(name, A.INTS).packedInts(8, v);
const floats = (name: string, v: ArrayLike<number>) => attribute(name, A.FLOATS).packedFloats(7, v);
const int = (name: string, v: number) => attribute(name, A.INT).int(3, v);
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

/** classlabels_int64s / classlabels_strings (or the ids 0..K−1), and the label output's type. */
function labels(spec: ModelSpec, intName: string): { attr: Attribute; type: number } {
  const l = spec.classLabels;
  if (l.kind === "string") return { attr: strs("classlabels_strings", l.values), type: T.STRING };
  if (l.kind === "float64") throw unsupported("float class labels (ONNX labels are int64 or strings)");
  const values = l.kind === "int64" ? l.values : Array.from({ length: spec.nClasses }, (_, k) => k);
  return { attr: ints(intName, values), type: T.INT64 };
}

function treeAttributes(model: ModelSpec, double: boolean): Attribute[] {
  const { aggregation, postTransform: post, decision } = model;
  const nTrees = model.treeNodeOffsets.length - 1;
  const lw = model.leafWidth;
  if (nTrees < 1) throw unsupported("a tree model with no trees");
  // Trees per output: a mean divides by it, so the weights are pre-divided (ONNX classifiers only sum).
  const perOutput = new Float64Array(model.nOutputs);
  for (let t = 0; t < nTrees; t++) {
    for (let k = 0; k < lw; k++) perOutput[(model.outputIndex[t] ?? 0) + k]! += 1;
  }
  const postName: Record<ModelSpec["postTransform"], string | undefined> = {
    identity: "NONE",
    sigmoid: "LOGISTIC",
    softmax: "SOFTMAX",
    softmax_zero: "SOFTMAX_ZERO",
    sigmoid_each: "LOGISTIC",
    complement: undefined,
  };
  const onnxPost = postName[post];
  if (onnxPost === undefined) throw unsupported(`post transform ${post}`);
  if (aggregation === "mean" && post !== "identity") throw unsupported(`a mean of trees followed by ${post}`);

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
  for (let t = 0; t < nTrees; t++) {
    const o = model.treeNodeOffsets[t] ?? 0;
    const size = (model.treeNodeOffsets[t + 1] ?? 0) - o;
    for (let i = 0; i < size; i++) {
      const g = o + i;
      const l = model.left[g] ?? -1;
      const r = model.right[g] ?? -1;
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
          const out = (model.outputIndex[t] ?? 0) + k;
          const v = model.value[g * lw + k] ?? 0;
          classTree.push(t);
          classNode.push(i);
          // Binary sigmoid: one score, written under class id 0 with one base value; onnxruntime
          // then returns [1 - sigmoid(m), sigmoid(m)] (the layout skl2onnx uses).
          classId.push(post === "sigmoid" ? 0 : out);
          classWeight.push(aggregation === "mean" ? v / (perOutput[out] ?? 1) : v);
        }
        continue;
      }
      if (!(l > 0 && l < size && r > 0 && r < size))
        throw new RangeError(`tree ${t} node ${i}: child out of range`);
      const kind = model.kind[g] ?? 0;
      const th = model.threshold[g] ?? 0;
      nodeFeature.push(model.feature[g] ?? 0);
      nodeTrue.push(l);
      nodeFalse.push(r);
      nodeMissingTrue.push(model.defaultLeft[g] ? 1 : 0);
      if (kind === 0) {
        nodeMode.push(branch);
        nodeValue.push(double ? th : float32Threshold(th, decision));
      } else if (kind === 4 || (kind === 5 && !double)) {
        if (!double && kind === 4 && Math.fround(th) !== th)
          throw unsupported("a double equality split in a float export");
        nodeMode.push("BRANCH_EQ");
        nodeValue.push(th);
      } else {
        throw unsupported(
          kind === 5
            ? "a float32 equality split in a double export (export with precision float)"
            : kind === 1
              ? "LightGBM's zero-as-missing split"
              : "a categorical split",
        );
      }
    }
  }
  const base = Array.from(model.baseScore);
  const baseValues = post === "sigmoid" ? [base[0] ?? 0] : base;
  const lab = labels(model, "classlabels_int64s");
  const attributes = [
    lab.attr,
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
    str("post_transform", onnxPost),
  ];
  // The binary layout needs its base value even when it is 0 (without it onnxruntime scores differently).
  if (post === "sigmoid" || baseValues.some((v) => v !== 0)) {
    attributes.push(double ? tensor("base_values_as_tensor", baseValues) : floats("base_values", baseValues));
  }
  return attributes;
}

function linearAttributes(model: ModelSpec): Attribute[] {
  const nf = model.nFeatures;
  let coef = Array.from(model.coef);
  let intercepts = Array.from(model.intercept);
  let post: string;
  if (model.postTransform === "sigmoid") {
    // One margin m: the rows -w, w with LOGISTIC give [σ(-m), σ(m)] (skl2onnx's binary layout).
    coef = [...coef.map((v) => -v), ...coef];
    intercepts = [-(intercepts[0] ?? 0), intercepts[0] ?? 0];
    post = "LOGISTIC";
  } else if (model.postTransform === "softmax") post = "SOFTMAX";
  else if (model.postTransform === "softmax_zero") post = "SOFTMAX_ZERO";
  else if (model.postTransform === "sigmoid_each") post = "LOGISTIC";
  else throw unsupported(`post transform ${model.postTransform}`);
  if (coef.length !== intercepts.length * nf)
    throw new RangeError("coefficients do not match the intercepts");
  return [
    labels(model, "classlabels_ints").attr,
    floats("coefficients", coef),
    floats("intercepts", intercepts),
    int("multi_class", 0),
    str("post_transform", post),
  ];
}

/** Serialized ModelProto (IR 8, ai.onnx.ml opset 3) with one classifier node. */
export function exportOnnxModel(model: ModelSpec, options: OnnxExportOptions = {}): Uint8Array {
  const linear = model.family === "logistic";
  const precision = linear ? "float" : (options.precision ?? "double");
  if (model.postTransform === "sigmoid" && !(model.nOutputs === 1 && model.nClasses === 2)) {
    throw new RangeError("a sigmoid model must have 1 output and 2 classes");
  }
  const double = precision === "double";
  const attributes = linear ? linearAttributes(model) : treeAttributes(model, double);
  const input = options.inputName ?? "input";
  const node = new ProtoWriter()
    .string(1, input)
    .string(2, "label")
    .string(2, "probabilities")
    .string(3, linear ? "linear" : "trees")
    .string(4, linear ? "LinearClassifier" : "TreeEnsembleClassifier")
    .string(7, "ai.onnx.ml");
  for (const a of attributes) node.message(5, a);
  const labelType = model.classLabels.kind === "string" ? T.STRING : T.INT64;
  const graph = new ProtoWriter()
    .message(1, node)
    .string(2, `mlops_${model.family}`)
    .message(11, valueInfo(input, double ? T.DOUBLE : T.FLOAT, ["N", model.nFeatures]))
    .message(12, valueInfo("label", labelType, ["N"]))
    .message(12, valueInfo("probabilities", T.FLOAT, ["N", model.nClasses]));
  return new ProtoWriter()
    .int(1, 8) // ir_version
    .string(2, options.producer ?? "mlops")
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, "").int(2, 17))
    .message(8, new ProtoWriter().string(1, "ai.onnx.ml").int(2, 3))
    .finish();
}

/** A tree model as `ClassifierModel#exportTrees()` gives it, as the exporter's input (no labels). */
export function specFromTrees(trees: TreeEnsemble, nFeatures: number): ModelSpec {
  return {
    ...trees,
    nFeatures,
    featureNames: [],
    paramsJson: "",
    classLabels: { kind: "none", values: [] },
    coef: new Float64Array(0),
    intercept: new Float64Array(0),
  };
}
