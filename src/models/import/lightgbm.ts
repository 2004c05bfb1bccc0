/**
 * LightGBM's text model (`save_model("m.txt")`) into the artifact: objectives binary, multiclass
 * and multiclassova with their sigmoid factor, `average_output` (random-forest mode), numerical
 * splits with missing type None, Zero and NaN, categorical splits from the bitsets, feature_names.
 * Split semantics (include/LightGBM/tree.h): docs/model-format.md, "Mapping other formats".
 *
 * LightGBM compares in double (`x <= threshold`), so thresholds stay as they are (decision
 * `less_equal`). Missing type None turns NaN into 0, so NaN goes where 0 goes; NaN goes to the
 * default side; Zero sends NaN and |x| <= 1e-35f to the default side, which is a plain numeric
 * split where that is the side those values take anyway, else the `numeric_zero_missing` kind.
 */
import type { ModelSpec, TreeInput } from "../artifact/spec.js";
import { joinTrees } from "../artifact/spec.js";
import { malformed, unsupported } from "./errors.js";
import { nextUp } from "./float32.js";
import { featureNamesFrom, finish, type ImportedModel, type ImportOptions, labelsFrom } from "./result.js";
import { buildTree, KIND, MAX_TREE_NODES, type OriginNode } from "./tree-builder.js";

const ZERO = Math.fround(1e-35);
const MAX_FEATURES = 1_000_000;
const MAX_CLASSES = 65_536;
/** Category words of one split: 2^24 categories. */
const MAX_CAT_WORDS = 2 ** 19;

/** Whether the bytes look like a LightGBM text model (for `--format auto`). */
export function looksLikeLightgbm(bytes: Uint8Array): boolean {
  const head = new TextDecoder().decode(bytes.subarray(0, 4096));
  return /^tree\r?\n/.test(head) || (/^version=v\d/m.test(head) && /^num_tree_per_iteration=/m.test(head));
}

type Block = Map<string, string>;

function readBlocks(text: string): {
  header: Block;
  trees: { block: Block; line: number }[];
  parameters: Block;
} {
  const lines = text.split(/\r?\n/);
  const header: Block = new Map();
  const parameters: Block = new Map();
  const trees: { block: Block; line: number }[] = [];
  let current: Block = header;
  let section: "header" | "trees" | "tail" | "parameters" = "header";
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? "").trim();
    if (line === "") continue;
    if (section === "parameters") {
      if (line === "end of parameters") section = "tail";
      else {
        const m = /^\[([^:\]]+):\s*(.*)\]$/.exec(line);
        if (m) parameters.set(m[1] ?? "", m[2] ?? "");
      }
      continue;
    }
    if (line === "parameters:") {
      section = "parameters";
      continue;
    }
    if (section === "tail") continue;
    if (line === "end of trees") {
      section = "tail";
      continue;
    }
    if (line.startsWith("Tree=")) {
      section = "trees";
      current = new Map([["Tree", line.slice(5)]]);
      trees.push({ block: current, line: i + 1 });
      continue;
    }
    const eq = line.indexOf("=");
    if (eq < 0) {
      if (section === "header") header.set(line, "");
      continue;
    }
    current.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return { header, trees, parameters };
}

function numbersOf(block: Block, key: string, where: string, count: number, integer: boolean): number[] {
  const raw = block.get(key);
  if (raw === undefined) throw malformed("lightgbm", `${where}.${key}`, `${count} values`, "nothing");
  const parts = raw.trim() === "" ? [] : raw.trim().split(/\s+/);
  if (parts.length !== count)
    throw malformed("lightgbm", `${where}.${key}`, `${count} values`, String(parts.length));
  return parts.map((p, i) => {
    const v = Number(p);
    if (!Number.isFinite(v) || (integer && !Number.isInteger(v))) {
      throw malformed(
        "lightgbm",
        `${where}.${key}[${i}]`,
        integer ? "an integer" : "a finite number",
        JSON.stringify(p.slice(0, 30)),
      );
    }
    return v;
  });
}

function intOf(
  block: Block,
  key: string,
  where: string,
  min: number,
  max: number,
  fallback?: number,
): number {
  const raw = block.get(key);
  if (raw === undefined) {
    if (fallback !== undefined) return fallback;
    throw malformed("lightgbm", `${where}${key}`, "a value", "nothing");
  }
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max)
    throw malformed(
      "lightgbm",
      `${where}${key}`,
      `an integer in [${min}, ${max}]`,
      JSON.stringify(raw.slice(0, 30)),
    );
  return v;
}

interface Objective {
  name: "binary" | "multiclass" | "multiclassova";
  nClasses: number;
  sigmoid: number;
}

function objectiveOf(header: Block): Objective {
  const raw = header.get("objective");
  if (raw === undefined) throw malformed("lightgbm", "objective", "an objective line", "nothing");
  const [name = "", ...args] = raw.trim().split(/\s+/);
  const opts = new Map(args.map((a) => a.split(":") as [string, string]));
  const num = (key: string, fallback: number) => {
    const v = opts.has(key) ? Number(opts.get(key)) : fallback;
    if (!Number.isFinite(v))
      throw malformed("lightgbm", `objective ${key}`, "a number", JSON.stringify(opts.get(key)));
    return v;
  };
  if (name === "binary") {
    const sigmoid = num("sigmoid", 1);
    if (!(sigmoid > 0)) throw malformed("lightgbm", "objective sigmoid", "a number > 0", String(sigmoid));
    return { name, nClasses: 2, sigmoid };
  }
  if (name === "multiclass" || name === "multiclassova") {
    const k = num("num_class", 0);
    if (!Number.isInteger(k) || k < 2 || k > MAX_CLASSES)
      throw malformed("lightgbm", "objective num_class", `an integer in [2, ${MAX_CLASSES}]`, String(k));
    const sigmoid = name === "multiclassova" ? num("sigmoid", 1) : 1;
    if (!(sigmoid > 0)) throw malformed("lightgbm", "objective sigmoid", "a number > 0", String(sigmoid));
    return { name, nClasses: k, sigmoid };
  }
  throw unsupported(
    "lightgbm",
    `objective ${JSON.stringify(name)} (only binary, multiclass, multiclassova)`,
    "objective",
  );
}

interface TreeContext {
  nFeatures: number;
  outputIndex: number;
  scale: number;
  where: string;
}

function convertTree(block: Block, c: TreeContext): TreeInput {
  const w = c.where;
  if (block.has("is_linear") && block.get("is_linear")?.trim() !== "0") {
    throw unsupported("lightgbm", "linear trees (is_linear=1)", `${w}.is_linear`);
  }
  const nLeaves = intOf(block, "num_leaves", `${w}.`, 1, MAX_TREE_NODES / 2);
  const leafValue = numbersOf(block, "leaf_value", w, nLeaves, false);
  if (nLeaves === 1) {
    return buildTree({
      format: "lightgbm",
      where: w,
      nNodes: 1,
      root: 0,
      nFeatures: c.nFeatures,
      leafWidth: 1,
      outputIndex: c.outputIndex,
      node: () => ({ leaf: true, value: [(leafValue[0] ?? 0) * c.scale] }),
    });
  }
  const nInternal = nLeaves - 1;
  const splitFeature = numbersOf(block, "split_feature", w, nInternal, true);
  const threshold = numbersOf(block, "threshold", w, nInternal, false);
  const decisionType = numbersOf(block, "decision_type", w, nInternal, true);
  const leftChild = numbersOf(block, "left_child", w, nInternal, true);
  const rightChild = numbersOf(block, "right_child", w, nInternal, true);
  const nCat = intOf(block, "num_cat", `${w}.`, 0, nInternal, 0);
  let catBoundaries: number[] = [];
  let catThreshold: number[] = [];
  if (nCat > 0) {
    catBoundaries = numbersOf(block, "cat_boundaries", w, nCat + 1, true);
    const nWords = catBoundaries[nCat] ?? 0;
    if (nWords < 0 || nWords > MAX_TREE_NODES)
      throw malformed("lightgbm", `${w}.cat_boundaries`, "a word count", String(nWords));
    catThreshold = numbersOf(block, "cat_threshold", w, nWords, true);
  }
  // Ids: internal node i is i, leaf j is nInternal + j (a child c < 0 means leaf ~c).
  const child = (v: number) => (v >= 0 ? v : nInternal + ~v);
  const node = (id: number): OriginNode => {
    if (id >= nInternal) return { leaf: true, value: [(leafValue[id - nInternal] ?? 0) * c.scale] };
    const d = decisionType[id] ?? 0;
    if (d < 0 || d > 15) throw malformed("lightgbm", `${w}.decision_type[${id}]`, "bits 0-3 only", String(d));
    const defaultLeft = (d & 2) !== 0;
    const missing = (d >> 2) & 3;
    if (missing === 3)
      throw malformed("lightgbm", `${w}.decision_type[${id}]`, "missing type 0, 1 or 2", String(d));
    const base = {
      leaf: false as const,
      feature: splitFeature[id] ?? -1,
      left: child(leftChild[id] ?? 0),
      right: child(rightChild[id] ?? 0),
    };
    const t = threshold[id] ?? 0;
    if (d & 1) {
      // Categorical: threshold indexes cat_boundaries; in the bitset → left; NaN and int(x) < 0 → right.
      if (!Number.isInteger(t) || t < 0 || t >= nCat) {
        throw malformed(
          "lightgbm",
          `${w}.threshold[${id}]`,
          `a category set index in [0, ${nCat})`,
          String(t),
        );
      }
      const from = catBoundaries[t] ?? 0;
      const to = catBoundaries[t + 1] ?? 0;
      if (!(from >= 0 && from <= to && to <= catThreshold.length && to - from <= MAX_CAT_WORDS)) {
        throw malformed(
          "lightgbm",
          `${w}.cat_boundaries[${t}]`,
          "increasing offsets inside cat_threshold",
          `${from}..${to}`,
        );
      }
      const categories: number[] = [];
      for (let i = from; i < to; i++) {
        const word = catThreshold[i] ?? 0;
        if (word < 0 || word > 0xffffffff)
          throw malformed("lightgbm", `${w}.cat_threshold[${i}]`, "a uint32", String(word));
        for (let b = 0; b < 32; b++) if ((word >>> b) & 1) categories.push((i - from) * 32 + b);
      }
      return { ...base, kind: KIND.categoricalLeft, threshold: nextUp(-1), defaultLeft: false, categories };
    }
    if (missing === 0) return { ...base, kind: KIND.numeric, threshold: t, defaultLeft: 0 <= t };
    if (missing === 2) return { ...base, kind: KIND.numeric, threshold: t, defaultLeft };
    // Zero: NaN and |x| <= 1e-35f take the default side; a plain split when they would go there anyway.
    const zeroSide = ZERO <= t ? true : -ZERO > t ? false : undefined;
    if (zeroSide === defaultLeft) return { ...base, kind: KIND.numeric, threshold: t, defaultLeft };
    return { ...base, kind: KIND.numericZeroMissing, threshold: t, defaultLeft };
  };
  return buildTree({
    format: "lightgbm",
    where: w,
    nNodes: nInternal + nLeaves,
    root: 0,
    nFeatures: c.nFeatures,
    leafWidth: 1,
    outputIndex: c.outputIndex,
    node,
  });
}

export function importLightgbm(bytes: Uint8Array, options: ImportOptions = {}): ImportedModel {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw malformed("lightgbm", "file", "UTF-8 text");
  }
  const { header, trees, parameters } = readBlocks(text);
  if (!header.has("version") && !header.has("tree"))
    throw malformed("lightgbm", "header", 'a "tree" line and version=');
  const version = header.get("version") ?? "";
  const objective = objectiveOf(header);
  const numClass = intOf(header, "num_class", "", 1, MAX_CLASSES);
  const perIteration = intOf(header, "num_tree_per_iteration", "", 1, MAX_CLASSES);
  const nFeatures = intOf(header, "max_feature_idx", "", 0, MAX_FEATURES - 1) + 1;
  const multi = objective.name !== "binary";
  const nOutputs = multi ? objective.nClasses : 1;
  if (numClass !== (multi ? objective.nClasses : 1) || perIteration !== nOutputs) {
    throw malformed(
      "lightgbm",
      "num_class / num_tree_per_iteration",
      `${nOutputs} (the objective's classes)`,
      `${numClass} / ${perIteration}`,
    );
  }
  if (trees.length === 0) throw malformed("lightgbm", "Tree=", "at least one tree");
  const average = header.has("average_output");
  const names = header.get("feature_names");
  const fileNames = names === undefined ? [] : names.trim().split(/\s+/);
  const converted = trees.map(({ block }, i) => {
    const id = block.get("Tree");
    if (id !== String(i))
      throw malformed("lightgbm", `Tree=${id}`, `trees numbered from 0 in order (Tree=${i})`);
    return convertTree(block, {
      nFeatures,
      outputIndex: i % nOutputs,
      scale: objective.sigmoid,
      where: `Tree=${i}`,
    });
  });
  if (average && converted.length % nOutputs !== 0) {
    throw malformed(
      "lightgbm",
      "Tree=",
      `a multiple of ${nOutputs} trees (average_output)`,
      String(converted.length),
    );
  }
  const params: Record<string, string> = {
    objective: header.get("objective") ?? "",
    ...Object.fromEntries(parameters),
  };
  const spec: ModelSpec = {
    family: average ? "random_forest" : "gbdt",
    nFeatures,
    nClasses: objective.nClasses,
    nOutputs,
    leafWidth: 1,
    aggregation: average ? "mean" : "sum",
    postTransform:
      objective.name === "binary" ? "sigmoid" : objective.name === "multiclass" ? "softmax" : "sigmoid_each",
    decision: "less_equal",
    featureNames: featureNamesFrom("lightgbm", fileNames, options.featureNames, nFeatures),
    paramsJson: JSON.stringify({ source: "lightgbm", version, ...params }),
    classLabels: labelsFrom("lightgbm", options.classes, objective.nClasses),
    baseScore: new Float64Array(nOutputs),
    ...joinTrees(converted),
    coef: new Float64Array(0),
    intercept: new Float64Array(0),
  };
  return finish("lightgbm", spec, { formatVersion: version, objective: objective.name, params });
}
