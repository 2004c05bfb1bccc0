/**
 * Writes the artifact format (docs/model-format.md, version 2) straight from the document,
 * independently of the C++ writer: the importers convert into it, and tests use it to check the
 * document as much as the code. It does not validate (the native loader is the one validator, and
 * every importer loads what it wrote through it); tests use that to build hostile artifacts on
 * purpose, then patch fields and reseal the checksum.
 */
import type { ModelSpec } from "./spec.js";

export const MAGIC = "MLOPSMDL";
export const FORMAT_VERSION = 2;

export const FAMILY = { gbdt: 1, random_forest: 2, logistic: 3 } as const;
export const AGGREGATION = { sum: 0, mean: 1 } as const;
export const POST_TRANSFORM = {
  identity: 0,
  sigmoid: 1,
  softmax: 2,
  softmax_zero: 3,
  sigmoid_each: 4,
  complement: 5,
} as const;
export const DECISION = { less: 0, less_equal: 1 } as const;
export const LABEL_KIND = { none: 0, int64: 1, float64: 2, string: 3 } as const;

/** Fixed header offsets (bytes). */
export const OFFSET = {
  version: 8,
  flags: 12,
  totalSize: 16,
  family: 24,
  nFeatures: 28,
  nClasses: 32,
  nOutputs: 36,
  leafWidth: 40,
  aggregation: 44,
  postTransform: 48,
  decision: 52,
  nFeatureNames: 56,
  featureNames: 60,
} as const;

/** Where the variable-length sections of one artifact start. */
export interface ArtifactLayout {
  paramsLength: number;
  /** The class label kind (u32), followed by the labels. */
  labelKind: number;
  /** base_score (trees) or intercept (logistic). */
  margins: number;
  /** Logistic only. */
  coef?: number;
  /** Tree families only. */
  nTrees?: number;
  /** Per tree: offsets of its node count and of each parallel array. */
  trees: {
    nNodes: number;
    outputIndex: number;
    left: number;
    right: number;
    feature: number;
    threshold: number;
    defaultLeft: number;
    kind: number;
    value: number;
    nCatWords: number;
    catWords: number;
    /** (offset, count) pairs, one per categorical node. */
    catRanges: number;
  }[];
  checksum: number;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli), the artifact's trailing checksum. */
export function crc32c(bytes: Uint8Array, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = 0; i < end; i++) c = (CRC_TABLE[(c ^ (bytes[i] ?? 0)) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

class ByteSink {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.reserve(1);
    this.view.setUint8(this.length, v);
    this.length += 1;
  }
  u32(v: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, v >>> 0, true);
    this.length += 4;
  }
  i32(v: number): void {
    this.reserve(4);
    this.view.setInt32(this.length, v, true);
    this.length += 4;
  }
  u64(v: number): void {
    this.reserve(8);
    this.view.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }
  i64(v: number): void {
    this.reserve(8);
    this.view.setBigInt64(this.length, BigInt(v), true);
    this.length += 8;
  }
  f64(v: number): void {
    this.reserve(8);
    this.view.setFloat64(this.length, v, true);
    this.length += 8;
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

const enc = new TextEncoder();

function writeString(w: ByteSink, s: string): void {
  const b = enc.encode(s);
  w.u32(b.length);
  w.bytes(b);
}

function writeLabels(w: ByteSink, spec: ModelSpec): void {
  const labels = spec.classLabels;
  w.u32(LABEL_KIND[labels.kind]);
  if (labels.kind === "int64") for (const v of labels.values) w.i64(v);
  else if (labels.kind === "float64") for (const v of labels.values) w.f64(v);
  else if (labels.kind === "string") for (const v of labels.values) writeString(w, v);
}

const CATEGORICAL_LEFT = 2;
const CATEGORICAL_RIGHT = 3;
const isCategorical = (k: number) => k === CATEGORICAL_LEFT || k === CATEGORICAL_RIGHT;

/** Serializes `spec` as the documented layout, with a correct total size and checksum. */
export function writeArtifactWithLayout(spec: ModelSpec): { bytes: Uint8Array; layout: ArtifactLayout } {
  const w = new ByteSink();
  w.bytes(enc.encode(MAGIC));
  w.u32(FORMAT_VERSION);
  w.u32(0); // flags
  w.u64(0); // total size, patched below
  w.u32(FAMILY[spec.family]);
  w.u32(spec.nFeatures);
  w.u32(spec.nClasses);
  w.u32(spec.nOutputs);
  w.u32(spec.leafWidth);
  w.u32(AGGREGATION[spec.aggregation]);
  w.u32(POST_TRANSFORM[spec.postTransform]);
  w.u32(DECISION[spec.decision]);
  w.u32(spec.featureNames.length);
  for (const name of spec.featureNames) writeString(w, name);
  const paramsLength = w.length;
  writeString(w, spec.paramsJson);
  const labelKind = w.length;
  writeLabels(w, spec);

  const layout: ArtifactLayout = { paramsLength, labelKind, margins: w.length, trees: [], checksum: 0 };
  if (spec.family === "logistic") {
    for (const v of spec.intercept) w.f64(v);
    layout.coef = w.length;
    for (const v of spec.coef) w.f64(v);
  } else {
    for (const v of spec.baseScore) w.f64(v);
    const offsets = spec.treeNodeOffsets;
    const nTrees = offsets.length - 1;
    // Values per node as the arrays hold them, which a hostile spec may make differ from leafWidth.
    const perNode = spec.left.length > 0 ? spec.value.length / spec.left.length : spec.leafWidth;
    layout.nTrees = w.length;
    w.u32(nTrees);
    for (let t = 0; t < nTrees; t++) {
      const from = offsets[t] ?? 0;
      const to = offsets[t + 1] ?? 0;
      const nNodes = w.length;
      w.u32(to - from);
      const outputIndex = w.length;
      w.u32(spec.outputIndex[t] ?? 0);
      const left = w.length;
      for (let i = from; i < to; i++) w.i32(spec.left[i] ?? 0);
      const right = w.length;
      for (let i = from; i < to; i++) w.i32(spec.right[i] ?? 0);
      const feature = w.length;
      for (let i = from; i < to; i++) w.i32(spec.feature[i] ?? 0);
      const threshold = w.length;
      for (let i = from; i < to; i++) w.f64(spec.threshold[i] ?? 0);
      const defaultLeft = w.length;
      for (let i = from; i < to; i++) w.u8(spec.defaultLeft[i] ?? 0);
      const kind = w.length;
      for (let i = from; i < to; i++) w.u8(spec.kind[i] ?? 0);
      const value = w.length;
      for (let i = from * perNode; i < to * perNode; i++) w.f64(spec.value[i] ?? 0);
      // The tree's own word pool: the span its categorical nodes' sets cover in the flat array.
      let lo = Number.POSITIVE_INFINITY;
      let hi = 0;
      for (let i = from; i < to; i++) {
        if (!isCategorical(spec.kind[i] ?? 0)) continue;
        const o = spec.catOffset[i] ?? 0;
        lo = Math.min(lo, o);
        hi = Math.max(hi, o + (spec.catCount[i] ?? 0));
      }
      if (lo > hi) lo = hi;
      const nCatWords = w.length;
      w.u32(hi - lo);
      const catWords = w.length;
      for (let i = lo; i < hi; i++) w.u32(spec.catWords[i] ?? 0);
      const catRanges = w.length;
      for (let i = from; i < to; i++) {
        if (!isCategorical(spec.kind[i] ?? 0)) continue;
        w.u32((spec.catOffset[i] ?? 0) - lo);
        w.u32(spec.catCount[i] ?? 0);
      }
      layout.trees.push({
        nNodes,
        outputIndex,
        left,
        right,
        feature,
        threshold,
        defaultLeft,
        kind,
        value,
        nCatWords,
        catWords,
        catRanges,
      });
    }
  }
  layout.checksum = w.length;
  w.u32(0);
  const bytes = w.result();
  return { bytes: resealArtifact(bytes), layout };
}

export function writeArtifact(spec: ModelSpec): Uint8Array {
  return writeArtifactWithLayout(spec).bytes;
}

/** Rewrites total_size and the trailing checksum in place (after a test patched some field). */
export function resealArtifact(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  view.setBigUint64(OFFSET.totalSize, BigInt(bytes.length), true);
  view.setUint32(bytes.length - 4, crc32c(bytes, bytes.length - 4), true);
  return bytes;
}

/** A copy of `bytes` with one field overwritten, resealed so only that field is wrong. */
export function patched(
  bytes: Uint8Array,
  at: number,
  kind: "u32" | "i32" | "f64" | "u8",
  value: number,
): Uint8Array {
  const copy = bytes.slice();
  const view = new DataView(copy.buffer);
  if (kind === "u32") view.setUint32(at, value >>> 0, true);
  else if (kind === "i32") view.setInt32(at, value, true);
  else if (kind === "f64") view.setFloat64(at, value, true);
  else view.setUint8(at, value);
  return resealArtifact(copy);
}
