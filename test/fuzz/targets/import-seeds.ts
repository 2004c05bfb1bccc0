// Seeds for the importer targets, derived at load time from the fixtures the import tests use: the
// fixtures themselves (40-100 KB, so a mutant costs milliseconds) and each one cut down to its first
// boosting round or two (1-4 trees, every field kind the fixture has kept: categorical splits,
// default_left, base_score vectors, dart weights, the UBJSON layout, every TreeEnsemble attribute),
// which import in well under a millisecond. Field seeds are the cut-down models parsed, for
// field-level mutants (test/fuzz/mutate.ts, mutatedFields).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { clone, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type ModelProto, ModelProtoSchema } from "../../../src/gen/onnx/onnx-ml_pb.js";
import { parseLenientJson } from "../../../src/models/import/json.js";
import { parseUbjson } from "../../../src/models/import/ubjson.js";
import type { FieldSeed } from "../mutate.js";
import { encodeUbjson } from "../ubjson-writer.js";

export interface ImporterSeeds {
  /** The fixture files as they are. */
  full: Uint8Array[];
  /** The same models cut down to their first trees. */
  small: Uint8Array[];
  /** The cut-down models, parsed, for field-level edits. */
  fields: FieldSeed[];
}

const FIXTURES = join(import.meta.dirname, "..", "..", "fixtures", "import");
const utf8 = new TextEncoder();
const text = new TextDecoder();

/** Fixture files of `dir` (relative to test/fixtures/import) ending in one of `extensions`. */
function fixtures(dir: string, extensions: readonly string[]): { name: string; bytes: Uint8Array }[] {
  const at = join(FIXTURES, dir);
  return readdirSync(at)
    .filter((f) => extensions.some((e) => f.endsWith(e)) && !f.includes(".expected."))
    .sort()
    .map((name) => ({ name, bytes: new Uint8Array(readFileSync(join(at, name))) }));
}

/** Marks a field edit that removes the field (or the array element) instead of setting it. */
const REMOVE = Symbol("remove");

// ---- XGBoost JSON and UBJSON ----

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Path = readonly (string | number)[];

const JSON_VALUES: readonly (Json | typeof REMOVE)[] = [
  -1,
  0,
  1,
  2,
  2147483647,
  -2147483648,
  4294967296,
  2 ** 53 + 2,
  1e308,
  -1e308,
  1.5,
  -0.5,
  null,
  true,
  "",
  "x",
  "-1",
  "NaN",
  "1e999",
  "4294967296",
  [],
  {},
  [0],
  [-1],
  REMOVE,
];
// UBJSON carries non-finite numbers (JSON.stringify would write them as null).
const UBJSON_VALUES = [...JSON_VALUES, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];

/** The model object (dart nests it one level deeper) and its booster. */
function xgboostModel(doc: Json): { booster: Record<string, Json>; model: Record<string, Json> } {
  const booster = ((doc as Record<string, Json>).learner as Record<string, Json>).gradient_booster as Record<
    string,
    Json
  >;
  const inner = booster.name === "dart" ? (booster.gbtree as Record<string, Json>) : booster;
  return { booster, model: inner.model as Record<string, Json> };
}

/** `doc` with only the trees of its first `rounds` boosting rounds (every class, every parallel tree). */
function cutXgboost(doc: Json, rounds: number): Json {
  const out = structuredClone(doc);
  const { booster, model } = xgboostModel(out);
  const learner = (out as Record<string, Json>).learner as Record<string, Json>;
  const param = model.gbtree_model_param as Record<string, Json>;
  const classes = Math.max(1, Number((learner.learner_model_param as Record<string, Json>).num_class));
  const keep = rounds * classes * Number(param.num_parallel_tree ?? 1);
  model.trees = (model.trees as Json[]).slice(0, keep);
  model.tree_info = (model.tree_info as Json[]).slice(0, keep);
  param.num_trees = String(keep);
  if (Array.isArray(booster.weight_drop)) booster.weight_drop = booster.weight_drop.slice(0, keep);
  return out;
}

/** Every value's path under `v` (array elements and object members, containers included). */
function paths(v: Json, at: Path, out: Path[]): Path[] {
  const children: [string | number, Json][] = Array.isArray(v)
    ? v.map((e, i) => [i, e])
    : v !== null && typeof v === "object"
      ? Object.entries(v)
      : [];
  for (const [k, e] of children) {
    out.push([...at, k]);
    paths(e, [...at, k], out);
  }
  return out;
}

/** JSON as XGBoost writes it: the NaN split conditions (null once parsed) as bare NaN again. */
function xgboostJson(doc: Json): Uint8Array {
  return utf8.encode(
    JSON.stringify(doc).replace(/"(?:[^"\\]|\\.)*"|null/g, (t) => (t === "null" ? "NaN" : t)),
  );
}

function jsonFieldSeed(doc: Json, ubjson: boolean): FieldSeed {
  const all = paths(doc, [], []);
  const values = ubjson ? UBJSON_VALUES : JSON_VALUES;
  return {
    slots: all.length,
    encode(edits) {
      const d = structuredClone(doc);
      for (const [slot, vi] of edits) {
        const path = all[slot] as Path;
        let parent: Json = d;
        for (const k of path.slice(0, -1)) parent = (parent as Record<string | number, Json>)?.[k] ?? null;
        if (parent === null || typeof parent !== "object") continue; // under a field an earlier edit replaced
        const key = path[path.length - 1] as string | number;
        const v = values[vi % values.length] as Json | typeof REMOVE;
        if (v !== REMOVE) (parent as Record<string | number, Json>)[key] = structuredClone(v);
        else if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete (parent as Record<string, Json>)[key];
      }
      return ubjson ? encodeUbjson(d) : xgboostJson(d);
    },
  };
}

export function xgboostSeeds(): ImporterSeeds {
  const files = fixtures("xgboost", [".json", ".ubj"]);
  const small: Uint8Array[] = [];
  const fields: FieldSeed[] = [];
  for (const { name, bytes } of files) {
    const ubjson = name.endsWith(".ubj");
    const doc = (ubjson ? parseUbjson(bytes) : parseLenientJson("xgboost", text.decode(bytes))) as Json;
    for (const rounds of [1, 2]) {
      const cut = cutXgboost(doc, rounds);
      small.push(ubjson ? encodeUbjson(cut) : xgboostJson(cut));
      if (rounds === 1) fields.push(jsonFieldSeed(cut, ubjson));
    }
  }
  return { full: files.map((f) => f.bytes), small, fields };
}

// ---- LightGBM text ----

const LIGHTGBM_VALUES: readonly (string | typeof REMOVE)[] = [
  "-1",
  "0",
  "1",
  "2147483647",
  "2147483648",
  "-2147483649",
  "4294967296",
  "99999999999999999999",
  "1e308",
  "-1e308",
  "1e999",
  "nan",
  "inf",
  "-inf",
  "-0",
  "1.5",
  "",
  "x",
  "0x10",
  REMOVE,
];

/** `model` with only the trees of its first `rounds` iterations (tree_sizes cut to match). */
function cutLightgbm(model: string, rounds: number): string {
  const first = model.indexOf("\nTree=");
  const end = model.indexOf("\nend of trees");
  if (first < 0 || end < 0) return model;
  const perIteration = Number(/^num_tree_per_iteration=(\d+)$/m.exec(model)?.[1] ?? 1);
  const trees = model.slice(first + 1, end + 1).split(/(?=^Tree=)/m);
  const kept = trees.slice(0, rounds * perIteration);
  const head = model
    .slice(0, first + 1)
    .replace(/^tree_sizes=.*$/m, `tree_sizes=${kept.map((t) => utf8.encode(t).length).join(" ")}`);
  return head + kept.join("") + model.slice(end + 1);
}

function lightgbmFieldSeed(model: string): FieldSeed {
  const lines = model.split("\n");
  const slots: [line: number, token: number][] = [];
  for (const [i, l] of lines.entries()) {
    const eq = l.indexOf("=");
    if (eq <= 0) continue;
    const n = l.slice(eq + 1).split(" ").length;
    for (let t = 0; t < n; t++) slots.push([i, t]);
  }
  return {
    slots: slots.length,
    encode(edits) {
      const out = lines.slice();
      for (const [slot, vi] of edits) {
        const [i, t] = slots[slot] as [number, number];
        const l = out[i] as string;
        const eq = l.indexOf("=");
        const tokens = l.slice(eq + 1).split(" ");
        if (t >= tokens.length) continue;
        const v = LIGHTGBM_VALUES[vi % LIGHTGBM_VALUES.length] as string | typeof REMOVE;
        if (v === REMOVE) tokens.splice(t, 1);
        else tokens[t] = v;
        out[i] = `${l.slice(0, eq + 1)}${tokens.join(" ")}`;
      }
      return utf8.encode(out.join("\n"));
    },
  };
}

/** The hand-written models (test/fixtures/import/lightgbm) and LightGBM's own (real/), cut down. */
export function lightgbmSeeds(): ImporterSeeds {
  const files = [...fixtures("lightgbm", [".txt"]), ...fixtures(join("lightgbm", "real"), [".txt"])];
  const small: Uint8Array[] = [];
  const fields: FieldSeed[] = [];
  for (const { bytes } of files) {
    const cut = cutLightgbm(text.decode(bytes), 1);
    small.push(utf8.encode(cut));
    fields.push(lightgbmFieldSeed(cut));
  }
  return { full: files.map((f) => f.bytes), small, fields };
}

// ---- ONNX-ML ----

const ONNX_INTS = [-1n, 0n, 1n, 2n, 2147483647n, 2147483648n, 4294967296n, -(2n ** 63n), 2n ** 63n - 1n];
const ONNX_FLOATS = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  0,
  -0,
  1e38,
  -3.4e38,
  1e-45,
];
const ONNX_STRINGS = [
  "",
  "x",
  "LEAF",
  "BRANCH_LEQ",
  "BRANCH_LT",
  "BRANCH_GTE",
  "BRANCH_GT",
  "BRANCH_EQ",
  "BRANCH_NEQ",
  "NONE",
  "LOGISTIC",
  "SOFTMAX",
  "SOFTMAX_ZERO",
  "PROBIT",
].map((s) => utf8.encode(s));

/** The TreeEnsemble nodes of `model` with only trees 0..`trees`-1 (every per-node and per-leaf list). */
function cutOnnx(model: ModelProto, trees: number): ModelProto {
  const out = clone(ModelProtoSchema, model);
  for (const node of out.graph?.node ?? []) {
    if (!node.opType.startsWith("TreeEnsemble")) continue;
    const ids = (name: string) => node.attribute.find((a) => a.name === name)?.ints;
    const keepMask = (prefix: string) => {
      const treeIds = ids(`${prefix}treeids`);
      return treeIds?.map((t) => t < BigInt(trees));
    };
    const masks = { nodes_: keepMask("nodes_"), class_: keepMask("class_"), target_: keepMask("target_") };
    for (const a of node.attribute) {
      const mask = Object.entries(masks).find(([p]) => a.name.startsWith(p))?.[1];
      if (!mask) continue;
      const keep = <T>(xs: T[]) => xs.filter((_, i) => mask[i]);
      a.ints = keep(a.ints);
      a.floats = keep(a.floats);
      a.strings = keep(a.strings);
    }
  }
  return out;
}

/** One slot per number or string of every node attribute, and per node input, output and op_type. */
function onnxFieldSeed(model: ModelProto): FieldSeed {
  type Slot = { node: number; attr: number; list: "ints" | "floats" | "strings"; index: number };
  const slots: Slot[] = [];
  for (const [node, n] of (model.graph?.node ?? []).entries())
    for (const [attr, a] of n.attribute.entries())
      for (const list of ["ints", "floats", "strings"] as const)
        for (let index = 0; index < a[list].length; index++) slots.push({ node, attr, list, index });
  return {
    slots: slots.length,
    encode(edits) {
      const m = clone(ModelProtoSchema, model);
      for (const [slot, vi] of edits) {
        const s = slots[slot] as Slot;
        const a = m.graph?.node[s.node]?.attribute[s.attr];
        if (!a || s.index >= a[s.list].length) continue;
        const pool = s.list === "ints" ? ONNX_INTS : s.list === "floats" ? ONNX_FLOATS : ONNX_STRINGS;
        const v = vi % (pool.length + 1);
        // The last value removes the element, so one list gets shorter than its siblings.
        if (v === pool.length) a[s.list].splice(s.index, 1);
        else (a[s.list] as unknown[])[s.index] = pool[v];
      }
      return toBinary(ModelProtoSchema, m);
    },
  };
}

export function onnxSeeds(): ImporterSeeds {
  const files = fixtures("onnx", [".onnx"]);
  const small: Uint8Array[] = [];
  const fields: FieldSeed[] = [];
  for (const { bytes } of files) {
    const model = fromBinary(ModelProtoSchema, bytes);
    for (const trees of [1, 3]) {
      const cut = cutOnnx(model, trees);
      small.push(toBinary(ModelProtoSchema, cut));
      if (trees === 3) fields.push(onnxFieldSeed(cut));
    }
  }
  return { full: files.map((f) => f.bytes), small, fields };
}
