/**
 * XGBoost's JSON or UBJSON model (`save_model("m.json")` / `("m.ubj")`, 1.x to 3.x) into the artifact: gbtree and dart
 * boosters, binary:logistic, binary:logitraw, multi:softprob and multi:softmax, base_score as a
 * scalar or a vector, default_left, categorical splits, num_parallel_tree and feature names. Split
 * semantics: docs/model-format.md, "Mapping other formats", and shared/reference/model-formats.md.
 *
 * XGBoost compares in float32 (`float32(x) < t`); each threshold becomes the double t* with
 * `x < t*` ⟺ `float32(x) < t`, so every row goes the way XGBoost sends it, rows on thresholds
 * included. Leaves are their `split_conditions` entries (never `base_weights`), rounded to float32.
 */
import type { ModelSpec, TreeInput } from "../artifact/spec.js";
import { joinTrees } from "../artifact/spec.js";
import { malformed, unsupported } from "./errors.js";
import { Fields, type Json } from "./fields.js";
import { float32Less } from "./float32.js";
import { parseLenientJson } from "./json.js";
import { featureNamesFrom, finish, type ImportedModel, type ImportOptions, labelsFrom } from "./result.js";
import { buildTree, KIND, MAX_TREE_NODES, type OriginNode } from "./tree-builder.js";
import { looksLikeUbjson, parseUbjson } from "./ubjson.js";

const F = new Fields("xgboost");
const OBJECTIVES = ["binary:logistic", "binary:logitraw", "multi:softprob", "multi:softmax"] as const;
type Objective = (typeof OBJECTIVES)[number];
/** Values below this lower bound round to a negative float32: XGBoost's invalid categories. */
const CATEGORY_LOWER_BOUND = -(2 ** -150);
const MAX_FEATURES = 1_000_000;
const MAX_CLASSES = 65_536;
const MAX_TREES = 1_000_000;

/** Whether the bytes look like an XGBoost JSON or UBJSON model (for `--format auto`). */
export function looksLikeXgboostJson(bytes: Uint8Array): boolean {
  const head = new TextDecoder().decode(bytes.subarray(0, 4096));
  if (looksLikeUbjson(bytes)) return head.includes("learner");
  return head.trimStart().startsWith("{") && head.includes('"learner"');
}

/** base_score: "5E-1", or since 3.1 a bracketed vector "[a,b,…]". */
function baseScores(raw: unknown): number[] {
  const text = F.string(raw, "learner.learner_model_param.base_score").trim();
  const parts = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1).split(",") : [text];
  return parts.map((p, i) => F.number(p.trim(), `learner.learner_model_param.base_score[${i}]`));
}

function objectiveOf(learner: Json): Objective {
  const objective = F.object(learner.objective, "learner.objective");
  const name = F.string(objective.name, "learner.objective.name");
  if (!(OBJECTIVES as readonly string[]).includes(name)) {
    throw unsupported(
      "xgboost",
      `objective ${JSON.stringify(name)} (only ${OBJECTIVES.join(", ")})`,
      "learner.objective.name",
    );
  }
  return name as Objective;
}

/** The gbtree model object and per-tree weights (dart's weight_drop, else 1). */
function boosterOf(learner: Json): { model: Json; weights?: number[]; name: string } {
  const gb = F.object(learner.gradient_booster, "learner.gradient_booster");
  const name = F.string(gb.name, "learner.gradient_booster.name");
  if (name === "gbtree") return { model: F.object(gb.model, "learner.gradient_booster.model"), name };
  if (name === "dart") {
    const inner = F.object(gb.gbtree, "learner.gradient_booster.gbtree");
    return {
      model: F.object(inner.model, "learner.gradient_booster.gbtree.model"),
      weights: F.numbers(gb.weight_drop, "learner.gradient_booster.weight_drop"),
      name,
    };
  }
  throw unsupported(
    "xgboost",
    `booster ${JSON.stringify(name)} (only gbtree and dart)`,
    "learner.gradient_booster.name",
  );
}

interface TreeContext {
  nFeatures: number;
  outputIndex: number;
  weight: number;
  where: string;
}

function convertTree(tree: Json, c: TreeContext): TreeInput {
  const w = c.where;
  const param = F.object(tree.tree_param, `${w}.tree_param`);
  const n = F.integer(param.num_nodes, `${w}.tree_param.num_nodes`, 1, MAX_TREE_NODES);
  if (
    param.size_leaf_vector !== undefined &&
    F.number(param.size_leaf_vector, `${w}.tree_param.size_leaf_vector`) > 1
  ) {
    throw unsupported(
      "xgboost",
      "multi-output trees (size_leaf_vector > 1)",
      `${w}.tree_param.size_leaf_vector`,
    );
  }
  const leftChildren = F.integers(tree.left_children, `${w}.left_children`, -1, n - 1, n);
  const rightChildren = F.integers(tree.right_children, `${w}.right_children`, -1, n - 1, n);
  const splitIndices = F.integers(tree.split_indices, `${w}.split_indices`, 0, 2 ** 31 - 1, n);
  // Categorical nodes hold NaN here (read as null); only numeric nodes and leaves use their entry.
  const conditions = F.array(tree.split_conditions, `${w}.split_conditions`, n);
  const defaultLeft = F.array(tree.default_left, `${w}.default_left`, n);
  const splitType =
    tree.split_type === undefined ? undefined : F.integers(tree.split_type, `${w}.split_type`, 0, 1, n);
  const categories = new Map<number, number[]>();
  if (splitType?.includes(1)) {
    const cats = F.integers(tree.categories, `${w}.categories`, 0, 2 ** 31 - 1);
    const nodes = F.integers(tree.categories_nodes, `${w}.categories_nodes`, 0, n - 1);
    const segments = F.integers(
      tree.categories_segments,
      `${w}.categories_segments`,
      0,
      cats.length,
      nodes.length,
    );
    const sizes = F.integers(tree.categories_sizes, `${w}.categories_sizes`, 0, cats.length, nodes.length);
    nodes.forEach((node, k) => {
      const s = segments[k] ?? 0;
      const size = sizes[k] ?? 0;
      if (s + size > cats.length) {
        throw malformed(
          "xgboost",
          `${w}.categories_segments[${k}]`,
          `a segment inside categories (${cats.length})`,
          `${s}+${size}`,
        );
      }
      categories.set(node, cats.slice(s, s + size));
    });
  }
  const condition = (i: number) => {
    const v = conditions[i];
    if (typeof v !== "number" || !Number.isFinite(v))
      throw malformed("xgboost", `${w}.split_conditions[${i}]`, "a finite number", String(v));
    return Math.fround(v);
  };
  const node = (i: number): OriginNode => {
    const l = leftChildren[i] ?? -1;
    const r = rightChildren[i] ?? -1;
    if (l === -1 || r === -1) {
      if (l !== r)
        throw malformed(
          "xgboost",
          `${w}.right_children[${i}]`,
          "-1 on a leaf (left_children is -1)",
          String(r),
        );
      return { leaf: true, value: [condition(i) * c.weight] };
    }
    const dl = defaultLeft[i];
    if (dl !== 0 && dl !== 1 && dl !== true && dl !== false) {
      throw malformed("xgboost", `${w}.default_left[${i}]`, "0 or 1", String(dl));
    }
    const base = {
      leaf: false as const,
      feature: splitIndices[i] ?? -1,
      defaultLeft: dl === 1 || dl === true,
      left: l,
      right: r,
    };
    if (splitType?.[i] === 1) {
      const set = categories.get(i);
      if (set === undefined)
        throw malformed("xgboost", `${w}.categories_nodes`, `an entry for categorical node ${i}`);
      // XGBoost: a category in the set goes right; values that round to a negative float32 never are in it.
      return { ...base, kind: KIND.categoricalRight, threshold: CATEGORY_LOWER_BOUND, categories: set };
    }
    return { ...base, kind: KIND.numeric, threshold: float32Less(condition(i)) };
  };
  return buildTree({
    format: "xgboost",
    where: w,
    nNodes: n,
    root: 0,
    nFeatures: c.nFeatures,
    leafWidth: 1,
    outputIndex: c.outputIndex,
    node,
  });
}

/** A hyper-parameter block as flat params (`learner.objective.reg_loss_param.scale_pos_weight`…). */
function flatten(prefix: string, v: unknown, out: Record<string, string>): void {
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[prefix] = String(v);
  else if (typeof v === "object" && v !== null && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) flatten(prefix ? `${prefix}.${k}` : k, x, out);
  }
}

export function importXgboost(bytes: Uint8Array, options: ImportOptions = {}): ImportedModel {
  let doc: unknown;
  if (looksLikeUbjson(bytes)) {
    doc = parseUbjson(bytes);
  } else {
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw malformed("xgboost", "file", "UTF-8 JSON text or UBJSON");
    }
    doc = parseLenientJson("xgboost", text);
  }
  const root = F.object(doc, "(root)");
  const version = root.version === undefined ? [] : F.integers(root.version, "version", 0, 1000);
  const learner = F.object(root.learner, "learner");
  const objective = objectiveOf(learner);
  const mp = F.object(learner.learner_model_param, "learner.learner_model_param");
  const nFeatures = F.integer(mp.num_feature, "learner.learner_model_param.num_feature", 1, MAX_FEATURES);
  const numClass = F.integer(mp.num_class ?? "0", "learner.learner_model_param.num_class", 0, MAX_CLASSES);
  if (mp.num_target !== undefined && F.number(mp.num_target, "learner.learner_model_param.num_target") > 1) {
    throw unsupported(
      "xgboost",
      "multi-target models (num_target > 1)",
      "learner.learner_model_param.num_target",
    );
  }
  const multi = objective.startsWith("multi:");
  if (multi && numClass < 2)
    throw malformed(
      "xgboost",
      "learner.learner_model_param.num_class",
      "at least 2 for a multi: objective",
      String(numClass),
    );
  if (!multi && numClass > 1)
    throw malformed(
      "xgboost",
      "learner.learner_model_param.num_class",
      "0 or 1 for a binary: objective",
      String(numClass),
    );
  const nClasses = multi ? numClass : 2;
  const nOutputs = multi ? numClass : 1;

  const booster = boosterOf(learner);
  const gbParam = F.object(booster.model.gbtree_model_param, "gbtree_model_param");
  const nTrees = F.integer(gbParam.num_trees, "gbtree_model_param.num_trees", 0, MAX_TREES);
  const trees = F.array(booster.model.trees, "gradient_booster.model.trees", nTrees);
  const treeInfo = F.integers(
    booster.model.tree_info,
    "gradient_booster.model.tree_info",
    0,
    nOutputs - 1,
    nTrees,
  );
  if (booster.weights && booster.weights.length !== nTrees) {
    throw malformed(
      "xgboost",
      "learner.gradient_booster.weight_drop",
      `${nTrees} weights`,
      String(booster.weights.length),
    );
  }
  const featureTypes =
    learner.feature_types === undefined ? [] : F.strings(learner.feature_types, "learner.feature_types");
  const fileNames =
    learner.feature_names === undefined ? [] : F.strings(learner.feature_names, "learner.feature_names");

  // Margin space: binary:logistic's base_score passes through logit; logitraw's is the margin itself
  // (current source and 1.7); multiclass scalars are added to every class (they cancel in softmax),
  // vectors entry by entry.
  const base = baseScores(mp.base_score);
  let baseScore: number[];
  if (base.length === 1) {
    const b = Math.fround(base[0] ?? 0);
    if (objective === "binary:logistic") {
      if (!(b > 0 && b < 1))
        throw malformed(
          "xgboost",
          "learner.learner_model_param.base_score",
          "a probability in (0, 1)",
          String(b),
        );
      baseScore = [Math.log(b / (1 - b))];
    } else {
      baseScore = new Array<number>(nOutputs).fill(b);
    }
  } else if (base.length === nOutputs) {
    baseScore = base.map((b) => Math.fround(b));
  } else {
    throw malformed(
      "xgboost",
      "learner.learner_model_param.base_score",
      `1 or ${nOutputs} values`,
      String(base.length),
    );
  }

  const converted: TreeInput[] = trees.map((t, i) =>
    convertTree(F.object(t, `trees[${i}]`), {
      nFeatures,
      outputIndex: treeInfo[i] ?? 0,
      weight: booster.weights ? Math.fround(booster.weights[i] ?? 1) : 1,
      where: `trees[${i}]`,
    }),
  );
  const params: Record<string, string> = {};
  flatten("objective", learner.objective, params);
  flatten("learner_model_param", mp, params);
  flatten("gbtree_model_param", gbParam, params);
  params.booster = booster.name;
  if (learner.attributes !== undefined) flatten("attributes", learner.attributes, params);

  const spec: ModelSpec = {
    family: "gbdt",
    nFeatures,
    nClasses,
    nOutputs,
    leafWidth: 1,
    aggregation: "sum",
    postTransform: multi ? "softmax" : "sigmoid",
    decision: "less",
    featureNames: featureNamesFrom("xgboost", fileNames, options.featureNames, nFeatures),
    paramsJson: JSON.stringify({ source: "xgboost", version: version.join("."), objective, ...params }),
    classLabels: labelsFrom("xgboost", options.classes, nClasses),
    baseScore: Float64Array.from(baseScore),
    ...joinTrees(converted),
    coef: new Float64Array(0),
    intercept: new Float64Array(0),
  };
  if (featureTypes.some((t) => t !== "q" && t !== "c" && t !== "float" && t !== "int" && t !== "i")) {
    const bad = featureTypes.find((t) => t !== "q" && t !== "c" && t !== "float" && t !== "int" && t !== "i");
    throw unsupported("xgboost", `feature type ${JSON.stringify(bad)}`, "learner.feature_types");
  }
  return finish("xgboost", spec, {
    formatVersion: version.join("."),
    objective,
    params,
  });
}
