// One tree from an origin format's node table, renumbered breadth-first from the root into the
// artifact's arrays. Every node the walk reaches is checked once: child ids in range, no node
// reached twice (a cycle or a shared subtree), so a hostile table cannot loop or blow up; nodes the
// walk never reaches (pruned ones some writers keep) are dropped.
import type { TreeInput } from "../artifact/spec.js";
import { type ImportFormat, malformed } from "./errors.js";

/** The artifact's node kinds an importer emits (docs/model-format.md, "Enums"). */
export const KIND = {
  numeric: 0,
  numericZeroMissing: 1,
  categoricalLeft: 2,
  categoricalRight: 3,
  equal: 4,
  equalFloat32: 5,
} as const;

export type OriginNode =
  | { leaf: true; value: readonly number[] }
  | {
      leaf: false;
      feature: number;
      threshold: number;
      defaultLeft: boolean;
      kind: number;
      left: number;
      right: number;
      /** Categorical kinds: the categories in the set (non-negative integers). */
      categories?: readonly number[];
    };

/** The most nodes one tree may have (the artifact's limit). */
export const MAX_TREE_NODES = 2 ** 24;
/** The largest category a set may hold (XGBoost's own cap is 2^24). */
export const MAX_CATEGORY = 2 ** 24 - 1;
/** The most category words one tree may have (the artifact's limit). */
export const MAX_TREE_CATEGORY_WORDS = 2 ** 24;

export interface BuildTreeOptions {
  format: ImportFormat;
  /** Field prefix for messages, e.g. `trees[3]`. */
  where: string;
  /** Ids are valid in [0, nNodes). */
  nNodes: number;
  root: number;
  nFeatures: number;
  /** Values per leaf. */
  leafWidth: number;
  outputIndex: number;
  node: (id: number) => OriginNode;
}

export function buildTree(o: BuildTreeOptions): TreeInput {
  const left: number[] = [];
  const right: number[] = [];
  const feature: number[] = [];
  const threshold: number[] = [];
  const defaultLeft: number[] = [];
  const value: number[] = [];
  const kind: number[] = [];
  const catOffset: number[] = [];
  const catCount: number[] = [];
  const catWords: number[] = [];
  const seen = new Uint8Array(o.nNodes);
  const checkId = (id: number, field: string) => {
    if (!Number.isInteger(id) || id < 0 || id >= o.nNodes) {
      throw malformed(o.format, `${o.where}.${field}`, `a node id in [0, ${o.nNodes})`, String(id));
    }
    if (seen[id])
      throw malformed(o.format, `${o.where}.${field}`, "a tree (each node reached once)", `node ${id} again`);
    seen[id] = 1;
  };
  checkId(o.root, "root");
  const queue: number[] = [o.root];
  for (let q = 0; q < queue.length; q++) {
    const id = queue[q] ?? 0;
    const n = o.node(id);
    if (n.leaf) {
      if (n.value.length !== o.leafWidth) {
        throw malformed(
          o.format,
          `${o.where}.node[${id}]`,
          `${o.leafWidth} leaf values`,
          String(n.value.length),
        );
      }
      for (const v of n.value) {
        if (!Number.isFinite(v))
          throw malformed(o.format, `${o.where}.node[${id}]`, "a finite leaf value", String(v));
      }
      left.push(-1);
      right.push(-1);
      feature.push(-1);
      threshold.push(0);
      defaultLeft.push(0);
      kind.push(0);
      catOffset.push(0);
      catCount.push(0);
      // A loop, not push(...): a spread of 65,536 leaf values can overflow the stack.
      for (const v of n.value) value.push(v);
      continue;
    }
    if (!Number.isInteger(n.feature) || n.feature < 0 || n.feature >= o.nFeatures) {
      throw malformed(
        o.format,
        `${o.where}.node[${id}].feature`,
        `a feature index in [0, ${o.nFeatures})`,
        String(n.feature),
      );
    }
    if (!Number.isFinite(n.threshold)) {
      throw malformed(o.format, `${o.where}.node[${id}].threshold`, "a finite number", String(n.threshold));
    }
    checkId(n.left, `node[${id}].left`);
    checkId(n.right, `node[${id}].right`);
    if (queue.length + 2 > MAX_TREE_NODES)
      throw malformed(o.format, o.where, `at most ${MAX_TREE_NODES} nodes`);
    // Children are numbered in the order they are queued: left at queue.length, right after it.
    left.push(queue.length);
    right.push(queue.length + 1);
    queue.push(n.left, n.right);
    feature.push(n.feature);
    threshold.push(n.threshold);
    for (let k = 0; k < o.leafWidth; k++) value.push(0);
    defaultLeft.push(n.defaultLeft ? 1 : 0);
    kind.push(n.kind);
    if (n.kind === KIND.categoricalLeft || n.kind === KIND.categoricalRight) {
      const cats = n.categories ?? [];
      let max = -1;
      for (const c of cats) {
        if (!Number.isInteger(c) || c < 0 || c > MAX_CATEGORY) {
          throw malformed(
            o.format,
            `${o.where}.node[${id}].categories`,
            `integers in [0, ${MAX_CATEGORY}]`,
            String(c),
          );
        }
        if (c > max) max = c;
      }
      const count = max < 0 ? 0 : (max >>> 5) + 1;
      if (catWords.length + count > MAX_TREE_CATEGORY_WORDS) {
        throw malformed(
          o.format,
          `${o.where}.node[${id}].categories`,
          `at most ${MAX_TREE_CATEGORY_WORDS} category words in one tree`,
        );
      }
      // Appended in place (a push(...words) of one set of large categories overflows the stack).
      const at = catWords.length;
      catOffset.push(at);
      catCount.push(count);
      for (let k = 0; k < count; k++) catWords.push(0);
      for (const c of cats)
        catWords[at + (c >>> 5)] = ((catWords[at + (c >>> 5)] ?? 0) | (1 << (c & 31))) >>> 0;
    } else {
      catOffset.push(0);
      catCount.push(0);
    }
  }
  return {
    left,
    right,
    feature,
    threshold,
    defaultLeft,
    value,
    outputIndex: o.outputIndex,
    kind,
    catOffset,
    catCount,
    catWords,
  };
}
