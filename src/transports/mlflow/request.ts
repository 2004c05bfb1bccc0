// An MLflow request's fields: the query string for GET, the JSON body otherwise (MLflow's client
// sends DELETE with a JSON body too), read into a plain object, and typed accessors that fail as
// INVALID_ARGUMENT naming MLflow's field.
import type { IncomingMessage } from "node:http";
import { invalidArgument } from "../../rpc/service-error.js";
import { parseJsonObject, readBody } from "../http/body.js";

export type Fields = Record<string, unknown>;

const kind = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "an array" : typeof v);

function queryFields(url: string | undefined): Fields {
  const query = new URL(url ?? "/", "http://x").searchParams;
  const out: Fields = {};
  for (const key of new Set(query.keys())) {
    const values = query.getAll(key);
    out[key] = values.length === 1 ? values[0] : values;
  }
  return out;
}

/** The request's fields; a body that is a JSON string holding JSON (older clients) is decoded twice. */
export async function readFields(req: IncomingMessage, maxBytes: number): Promise<Fields> {
  const query = queryFields(req.url);
  if (req.method === "GET" || req.method === "HEAD") return query;
  const text = await readBody(req, maxBytes);
  if (text.trim() === "") return query;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return parseJsonObject(text, "a JSON object"); // throws with the parser's words
  }
  if (typeof value === "string") return { ...query, ...parseJsonObject(value, "a JSON object") };
  return { ...query, ...parseJsonObject(text, "a JSON object") };
}

/** A string field ("" when absent); numbers are taken as their decimal text (versions, ids). */
export function str(f: Fields, key: string): string {
  const v = f[key];
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  throw invalidArgument(key, "a string", kind(v));
}

/** The run a run-scoped request names: `run_id`, or the legacy `run_uuid`. */
export const runIdOf = (f: Fields): string => str(f, "run_id") || str(f, "run_uuid");

/** An integer field (a JSON number or its decimal text); undefined when absent. */
export function int(f: Fields, key: string): number | undefined {
  const v = f[key];
  if (v === undefined || v === null || v === "") return undefined;
  const n = typeof v === "string" && /^-?\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isSafeInteger(n)) throw invalidArgument(key, "an integer", kind(v));
  return n;
}

/** A number field; MLflow writes NaN and infinities as strings. */
export function double(f: Fields, key: string): number {
  const v = f[key];
  if (typeof v === "number") return v;
  if (v === "NaN") return Number.NaN;
  if (v === "Infinity" || v === "inf") return Number.POSITIVE_INFINITY;
  if (v === "-Infinity" || v === "-inf") return Number.NEGATIVE_INFINITY;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  throw invalidArgument(key, "a number", v === undefined ? "nothing" : kind(v));
}

export function bool(f: Fields, key: string): boolean {
  const v = f[key];
  if (v === undefined || v === null) return false;
  if (typeof v === "boolean") return v;
  if (v === "true" || v === "True") return true;
  if (v === "false" || v === "False") return false;
  throw invalidArgument(key, "true or false", kind(v));
}

/** A repeated field: an array, or one value (a query key given once). */
export function list(f: Fields, key: string): unknown[] {
  const v = f[key];
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/** A repeated string field. */
export const strings = (f: Fields, key: string): string[] =>
  list(f, key).map((v, i) => {
    if (typeof v === "string") return v;
    if (typeof v === "number" && Number.isFinite(v)) return String(v);
    throw invalidArgument(`${key}[${i}]`, "a string", kind(v));
  });

/** Each element of a repeated message field, as Fields. */
export function objects(f: Fields, key: string): Fields[] {
  return list(f, key).map((v, i) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      throw invalidArgument(`${key}[${i}]`, "an object", kind(v));
    }
    return v as Fields;
  });
}

/** MLflow's `[{key, value}]` tags and params as a key → value map (the later of two equal keys wins). */
export function keyValues(f: Fields, key: string): Record<string, string> {
  const out: Record<string, string> = {};
  objects(f, key).forEach((kv, i) => {
    const k = str(kv, "key");
    if (k === "") throw invalidArgument(`${key}[${i}].key`, "a non-empty string", "an empty value");
    out[k] = str(kv, "value");
  });
  return out;
}
