/**
 * Reads an artifact (format version 1 or 2) back into a plain ModelSpec, straight from
 * docs/model-format.md: the writer's mirror image. The ONNX exporter and the tests use it, to get
 * at the trees of a stored model and to check the native writer against the document. It checks the
 * preamble and the checksum and never reads out of bounds (DataView throws), but leaves structural
 * validation to the native loader.
 */
import { joinTrees, type ModelSpec, NO_LABELS, type TreeInput } from "./spec.js";
import { AGGREGATION, crc32c, DECISION, FAMILY, LABEL_KIND, MAGIC, POST_TRANSFORM } from "./write.js";

function nameOf<T extends Record<string, number>>(table: T, value: number, what: string): keyof T & string {
  const found = Object.entries(table).find(([, v]) => v === value);
  if (!found) throw new Error(`unknown ${what} ${value}`);
  return found[0] as keyof T & string;
}

export function readArtifact(bytes: Uint8Array): ModelSpec {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dec = new TextDecoder("utf-8", { fatal: true });
  if (dec.decode(bytes.subarray(0, 8)) !== MAGIC) throw new Error("bad magic");
  const version = view.getUint32(8, true);
  if (version !== 1 && version !== 2) throw new Error("unsupported version");
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
  const u32s = (n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++, at += 4) out.push(view.getUint32(at, true));
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
  let classLabels: ModelSpec["classLabels"] = NO_LABELS;
  if (version >= 2) {
    const kind = nameOf(LABEL_KIND, u32(), "label kind");
    if (kind === "int64") {
      const values: number[] = [];
      for (let k = 0; k < nClasses; k++, at += 8) values.push(Number(view.getBigInt64(at, true)));
      classLabels = { kind, values };
    } else if (kind === "float64") {
      classLabels = { kind, values: f64s(nClasses) };
    } else if (kind === "string") {
      classLabels = { kind, values: Array.from({ length: nClasses }, str) };
    }
  }
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
    classLabels,
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
      const kind = version >= 2 ? u8s(n) : new Array<number>(n).fill(0);
      const value = f64s(n * leafWidth);
      const tree: TreeInput = { left, right, feature, threshold, defaultLeft, value, outputIndex, kind };
      if (version >= 2) {
        tree.catWords = u32s(u32());
        const catOffset = new Array<number>(n).fill(0);
        const catCount = new Array<number>(n).fill(0);
        for (let i = 0; i < n; i++) {
          if (kind[i] !== 2 && kind[i] !== 3) continue;
          catOffset[i] = u32();
          catCount[i] = u32();
        }
        tree.catOffset = catOffset;
        tree.catCount = catCount;
      }
      trees.push(tree);
    }
  }
  if (at !== bytes.length - 4) throw new Error("trailing data");
  return { ...spec, ...joinTrees(trees) };
}
