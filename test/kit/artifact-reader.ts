/**
 * Reads an artifact back into a plain ModelSpec, straight from docs/model-format.md (the writer's
 * mirror image). Used by tests to check the native writer against the document, and by benchmarks
 * that need the trees of a trained model (e.g. to export them to ONNX). It checks the preamble and
 * the checksum and never reads out of bounds (DataView throws), but leaves structural validation to
 * the native loader.
 */

import {
  AGGREGATION,
  crc32c,
  DECISION,
  FAMILY,
  FORMAT_VERSION,
  MAGIC,
  POST_TRANSFORM,
} from "./artifact-writer.js";
import { joinTrees, type ModelSpec, type TreeInput } from "./model-spec.js";

function nameOf<T extends Record<string, number>>(table: T, value: number, what: string): keyof T & string {
  const found = Object.entries(table).find(([, v]) => v === value);
  if (!found) throw new Error(`unknown ${what} ${value}`);
  return found[0] as keyof T & string;
}

export function readArtifact(bytes: Uint8Array): ModelSpec {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dec = new TextDecoder("utf-8", { fatal: true });
  if (dec.decode(bytes.subarray(0, 8)) !== MAGIC) throw new Error("bad magic");
  if (view.getUint32(8, true) !== FORMAT_VERSION) throw new Error("unsupported version");
  if (Number(view.getBigUint64(16, true)) !== bytes.length) throw new Error("size mismatch");
  if (view.getUint32(bytes.length - 4, true) !== crc32c(bytes, bytes.length - 4))
    throw new Error("checksum mismatch");

  let at = 24;
  const u32 = () => {
    const v = view.getUint32(at, true);
    at += 4;
    return v;
  };
  const f64s = (n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++, at += 8) out.push(view.getFloat64(at, true));
    return out;
  };
  const i32s = (n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++, at += 4) out.push(view.getInt32(at, true));
    return out;
  };
  const u8s = (n: number) => {
    if (at + n > bytes.length) throw new RangeError("array past the end");
    const out = Array.from(bytes.subarray(at, at + n));
    at += n;
    return out;
  };
  const str = () => {
    const n = u32();
    if (at + n > bytes.length) throw new RangeError("string past the end");
    const s = dec.decode(bytes.subarray(at, at + n));
    at += n;
    return s;
  };

  const family = nameOf(FAMILY, u32(), "family");
  const nFeatures = u32();
  const nClasses = u32();
  const nOutputs = u32();
  const leafWidth = u32();
  const aggregation = nameOf(AGGREGATION, u32(), "aggregation");
  const postTransform = nameOf(POST_TRANSFORM, u32(), "post transform");
  const decision = nameOf(DECISION, u32(), "decision");
  const featureNames = Array.from({ length: u32() }, str);
  const paramsJson = str();
  const spec: ModelSpec = {
    family,
    nFeatures,
    nClasses,
    nOutputs,
    leafWidth,
    aggregation,
    postTransform,
    decision,
    featureNames,
    paramsJson,
    baseScore: new Float64Array(0),
    ...joinTrees([]),
    coef: new Float64Array(0),
    intercept: new Float64Array(0),
  };
  const trees: TreeInput[] = [];
  if (family === "logistic") {
    spec.intercept = Float64Array.from(f64s(nOutputs));
    spec.coef = Float64Array.from(f64s(nOutputs * nFeatures));
  } else {
    spec.baseScore = Float64Array.from(f64s(nOutputs));
    const nTrees = u32();
    for (let t = 0; t < nTrees; t++) {
      const n = u32();
      const outputIndex = u32();
      // Fields in file order.
      const left = i32s(n);
      const right = i32s(n);
      const feature = i32s(n);
      const threshold = f64s(n);
      const defaultLeft = u8s(n);
      const value = f64s(n * leafWidth);
      trees.push({ left, right, feature, threshold, defaultLeft, value, outputIndex });
    }
  }
  if (at !== bytes.length - 4) throw new Error("trailing data");
  return { ...spec, ...joinTrees(trees) };
}
