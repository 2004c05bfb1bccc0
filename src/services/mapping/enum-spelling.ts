// How input may spell an enum value, the same for the CLI, REST and Connect JSON: the proto3 JSON
// name (`STAGE_PRODUCTION`), or the name without the enum's shared prefix in any case
// (`Production`, `production`), as the seed's MLflow stages are written. Driven by the descriptors,
// so every enum follows one rule.
import type { DescEnum, DescEnumValue, DescField, DescMessage } from "@bufbuild/protobuf";
import { invalidArgument } from "../../rpc/service-error.js";

/** The enum's name in upper snake case (`Stage` → `STAGE_`), the prefix proto style gives its values. */
const prefixOf = (desc: DescEnum) => `${desc.name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}_`;

const shortName = (desc: DescEnum, v: DescEnumValue): string => {
  const prefix = prefixOf(desc);
  return v.name.startsWith(prefix) ? v.name.slice(prefix.length) : v.name;
};

/** The value `spelling` names, or undefined. Numbers are not spellings (proto3 JSON takes them as is). */
export function enumValueOf(desc: DescEnum, spelling: string): DescEnumValue | undefined {
  const upper = spelling.trim().toUpperCase();
  return desc.values.find((v) => v.name === upper || shortName(desc, v) === upper);
}

/** `PRODUCTION` → `Production`, `ACTIVE_ONLY` → `Active_Only`. */
const titleCase = (name: string) =>
  name
    .toLowerCase()
    .split("_")
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join("_");

/**
 * What a caller may name, for error messages: the values other than the zero one (which means "not
 * set"), seed-style, e.g. "one of None, Staging, Production, Archived (any case; or STAGE_NONE, …)".
 */
export function enumChoices(desc: DescEnum): string {
  const values = desc.values.filter((v) => v.number !== 0);
  const short = values.map((v) => titleCase(shortName(desc, v)));
  return `one of ${short.join(", ")} (any case; or ${values.map((v) => v.name).join(", ")})`;
}

// Well-known types have their own JSON forms and no enum a caller spells.
const wellKnown = (desc: DescMessage) => desc.typeName.startsWith("google.protobuf.");

const enumFieldsMemo = new WeakMap<DescMessage, boolean>();

/** Whether a message (or one nested in it) has an enum field: only those need the walk below. */
export function reachesEnum(desc: DescMessage): boolean {
  let found = enumFieldsMemo.get(desc);
  if (found === undefined) {
    found = reaches(desc, new Set());
    enumFieldsMemo.set(desc, found);
  }
  return found;
}

function reaches(desc: DescMessage, seen: Set<DescMessage>): boolean {
  if (seen.has(desc) || wellKnown(desc)) return false;
  seen.add(desc);
  return desc.fields.some(
    (f) => f.enum !== undefined || (f.message !== undefined && reaches(f.message, seen)),
  );
}

const keysMemo = new WeakMap<DescMessage, Map<string, DescField>>();

/** The fields of a message by both JSON keys proto3 JSON takes: the json_name and the proto name. */
function fieldsByKey(desc: DescMessage): Map<string, DescField> {
  let keys = keysMemo.get(desc);
  if (!keys) {
    keys = new Map();
    for (const f of desc.fields) keys.set(f.jsonName, f).set(f.name, f);
    keysMemo.set(desc, keys);
  }
  return keys;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Rewrites, in place, every enum value of a proto3 JSON object that is spelled another accepted way
 * to its proto name, so the JSON decoder takes it; a string that names no value is INVALID_ARGUMENT
 * on its path (`stage`, `rows[2].status`), listing what is accepted. Messages without enum fields
 * are left untouched at no cost. Everything else is the decoder's to check.
 */
export function normalizeEnumSpellings(desc: DescMessage, json: unknown, path = ""): void {
  if (!isObject(json) || !reachesEnum(desc)) return;
  const keys = fieldsByKey(desc);
  for (const key of Object.keys(json)) {
    const field = keys.get(key);
    if (!field) continue;
    const where = path === "" ? key : `${path}.${key}`;
    const value = json[key];
    const e = field.enum;
    const m = field.message;
    if (field.fieldKind === "enum") {
      json[key] = spelled(field.enum, value, where);
    } else if (field.fieldKind === "list" && Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        if (e) value[i] = spelled(e, value[i], `${where}[${i}]`);
        else if (m) normalizeEnumSpellings(m, value[i], `${where}[${i}]`);
      }
    } else if (field.fieldKind === "map" && isObject(value)) {
      for (const k of Object.keys(value)) {
        if (e) value[k] = spelled(e, value[k], `${where}[${k}]`);
        else if (m) normalizeEnumSpellings(m, value[k], `${where}[${k}]`);
      }
    } else if (m) {
      normalizeEnumSpellings(m, value, where);
    }
  }
}

function spelled(desc: DescEnum, value: unknown, where: string): unknown {
  if (typeof value !== "string") return value;
  const v = enumValueOf(desc, value);
  if (v === undefined) throw invalidArgument(where, enumChoices(desc), JSON.stringify(value));
  return v.name;
}
