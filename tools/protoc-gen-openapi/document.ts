// OpenAPI 3.1 from protobuf descriptors: one operation per `google.api.http` rule, one schema per
// message in proto3 JSON (json_name keys, comments as descriptions), then the hand-written routes
// and the Open Inference Protocol's vendored REST description merged in. Pure: descriptors and
// texts in, a JSON document out (main.ts does the I/O).
import {
  type DescEnum,
  type DescExtension,
  type DescField,
  type DescMessage,
  type DescMethod,
  type DescService,
  type FileRegistry,
  getOption,
  hasOption,
  ScalarType,
} from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { getComments } from "@bufbuild/protoplugin";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface DocumentInput {
  registry: FileRegistry;
  /** The files to describe (their services' annotated RPCs). */
  files: readonly string[];
  /** The hand-written part: `info`, `tags`, `paths` and `components` (OpenAPI 3.1, parsed YAML). */
  handWritten: JsonObject;
  /** The vendored open_inference_rest.yaml, parsed. */
  oip?: JsonObject;
}

/** Services whose mutating methods need the API token (as in src/transports/pipeline.ts). */
const PROTECTED = new Set(["mlops.v1.RegistryService", "mlops.v1.TrackingService"]);
const ERROR_REF = { $ref: "#/components/schemas/Error" };
const OIP_ERROR_REF = { $ref: "#/components/schemas/inference_error_response" };

const STATUS_TEXT: Record<string, string> = {
  "400": "Bad input (INVALID_ARGUMENT, FAILED_PRECONDITION), or a wrong method (405)",
  "401": "UNAUTHENTICATED: a mutating call without the API token while one is set",
  "404": "NOT_FOUND: no such model, version, alias, run, experiment or route",
  "409": "ALREADY_EXISTS: the name is taken",
  "429": "RESOURCE_EXHAUSTED: the batching queue is full; retry after Retry-After seconds",
  "500": "INTERNAL or DATA_LOSS",
  "503": "UNAVAILABLE: no model is being served, or the registry is locked",
};

const errorResponse = (status: string, schema: Json = ERROR_REF): JsonObject => ({
  description: STATUS_TEXT[status] ?? "Error",
  content: { "application/json": { schema } },
});

function describe(desc: Parameters<typeof getComments>[0]): string | undefined {
  const c = getComments(desc);
  const text = (c.leading ?? c.trailing ?? "").trim();
  return text === "" ? undefined : text.replace(/\n /g, "\n").replace(/^ /, "");
}

function withDescription(schema: JsonObject, desc: Parameters<typeof getComments>[0]): JsonObject {
  const text = describe(desc);
  return text ? { ...schema, description: text } : schema;
}

const schemaName = (m: DescMessage | DescEnum) => m.typeName;
const ref = (m: DescMessage | DescEnum) => ({ $ref: `#/components/schemas/${schemaName(m)}` });

/** proto3 JSON of one scalar (https://protobuf.dev/programming-guides/json/). */
function scalarSchema(t: ScalarType): JsonObject {
  switch (t) {
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      // Non-finite values are written as strings.
      return { anyOf: [{ type: "number" }, { type: "string", enum: ["NaN", "Infinity", "-Infinity"] }] };
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return { type: "integer", format: "int32" };
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return { type: "integer", format: "int32", minimum: 0 };
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      // Written as decimal strings; parsers also take numbers.
      return { type: ["string", "integer"], pattern: "^-?[0-9]+$", format: "int64" };
    case ScalarType.BOOL:
      return { type: "boolean" };
    case ScalarType.STRING:
      return { type: "string" };
    case ScalarType.BYTES:
      return { type: "string", contentEncoding: "base64" };
  }
}

class SchemaSet {
  readonly schemas: Record<string, JsonObject> = {};

  message(m: DescMessage): JsonObject {
    const name = schemaName(m);
    if (!(name in this.schemas)) {
      this.schemas[name] = {}; // placeholder against recursion
      const properties: Record<string, Json> = {};
      for (const f of m.fields) properties[f.jsonName] = withDescription(this.field(f), f);
      this.schemas[name] = withDescription({ type: "object", properties, additionalProperties: false }, m);
    }
    return ref(m);
  }

  enumeration(e: DescEnum): JsonObject {
    const name = schemaName(e);
    if (!(name in this.schemas)) {
      const values = e.values.map((v) => `${v.name}${describe(v) ? `: ${describe(v)}` : ""}`);
      this.schemas[name] = withDescription({ type: "string", enum: e.values.map((v) => v.name) }, e);
      const d = this.schemas[name].description;
      this.schemas[name].description =
        `${d ? `${d}\n\n` : ""}${values.join("\n\n")}\n\n(Requests may also give the number.)`;
    }
    return ref(e);
  }

  private single(f: DescField, kind: "scalar" | "enum" | "message"): JsonObject {
    if (kind === "scalar") return scalarSchema(f.scalar as ScalarType);
    if (kind === "enum") return this.enumeration(f.enum as DescEnum);
    return this.message(f.message as DescMessage);
  }

  field(f: DescField): JsonObject {
    switch (f.fieldKind) {
      case "scalar":
        return scalarSchema(f.scalar);
      case "enum":
        return this.enumeration(f.enum);
      case "message":
        return this.message(f.message);
      case "list":
        return {
          type: "array",
          items: f.listKind === "scalar" ? scalarSchema(f.scalar) : this.single(f, f.listKind),
        };
      case "map": {
        const value =
          f.mapKind === "scalar"
            ? scalarSchema(f.scalar)
            : f.mapKind === "enum"
              ? this.enumeration(f.enum)
              : this.message(f.message);
        return { type: "object", additionalProperties: value };
      }
    }
  }
}

/** A path parameter's or query parameter's schema (scalars, enums and their lists only). */
function parameterSchema(f: DescField, set: SchemaSet): JsonObject | undefined {
  if (f.fieldKind === "scalar" || f.fieldKind === "enum") return set.field(f);
  if (f.fieldKind === "list" && f.listKind !== "message") return set.field(f);
  return undefined;
}

function isMutating(method: DescMethod): boolean {
  return method.idempotency !== MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS;
}

/** The operation of one annotated RPC. */
function operation(
  service: DescService,
  method: DescMethod,
  path: string,
  body: string,
  set: SchemaSet,
): JsonObject {
  const vars = [...path.matchAll(/\{([^}=]+)[^}]*\}/g)].map((m) => m[1] as string);
  const parameters: Json[] = [];
  for (const v of vars) {
    const f = method.input.fields.find((x) => x.name === v || x.jsonName === v);
    parameters.push({
      name: v,
      in: "path",
      required: true,
      schema: (f && parameterSchema(f, set)) ?? { type: "string" },
      ...(f && describe(f) ? { description: describe(f) } : {}),
    });
  }
  if (body === "") {
    for (const f of method.input.fields) {
      if (vars.includes(f.name) || vars.includes(f.jsonName)) continue;
      const schema = parameterSchema(f, set);
      if (!schema) continue;
      parameters.push({
        name: f.jsonName,
        in: "query",
        required: false,
        schema,
        ...(f.fieldKind === "list" ? { style: "form", explode: true } : {}),
        ...(describe(f) ? { description: describe(f) } : {}),
      });
    }
  }
  const responses: JsonObject = {
    "200": {
      description: describe(method.output) ?? "OK",
      content: { "application/json": { schema: set.message(method.output) } },
    },
  };
  const statuses = ["400", "404", "500", "503"];
  if (PROTECTED.has(service.typeName) && isMutating(method)) statuses.push("401", "409");
  if (service.typeName === "mlops.v1.PredictService") statuses.push("429");
  for (const s of statuses.sort()) responses[s] = errorResponse(s);
  const op: JsonObject = {
    operationId: `${service.typeName}.${method.name}`,
    tags: [service.name],
    summary: `${service.name}.${method.name}`,
    ...(describe(method) ? { description: describe(method) } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    responses,
  };
  if (body !== "") {
    const schema =
      body === "*"
        ? set.message(method.input)
        : set.field(method.input.fields.find((f) => f.name === body) as DescField);
    op.requestBody = { required: true, content: { "application/json": { schema } } };
  }
  if (PROTECTED.has(service.typeName) && isMutating(method)) {
    op.security = [{}, { bearer: [] }];
  }
  return op;
}

/**
 * The vendored Open Inference Protocol description as served here: `${MODEL_NAME}` becomes
 * `{name}`, every versioned route also exists without `/versions/{version}`, `/v2/` also as `/v2`,
 * and each operation lists the statuses this server answers (readiness: 200 or 400 with an empty
 * body; errors: `{"error": …}` with Triton's statuses).
 */
function oipPaths(oip: JsonObject): { paths: JsonObject; schemas: JsonObject } {
  const paths: JsonObject = {};
  const rename = (text: string) =>
    text.replace(/\$\{MODEL_NAME\}/, "{name}").replace(/\$\{MODEL_VERSION\}/, "{version}");
  for (const [raw, item] of Object.entries(oip.paths as JsonObject)) {
    const path = rename(raw);
    const copy = JSON.parse(JSON.stringify(item)) as JsonObject;
    const params = (copy.parameters as JsonObject[] | undefined) ?? [];
    for (const p of params) p.name = p.name === "MODEL_NAME" ? "name" : "version";
    for (const [verb, op] of Object.entries(copy)) {
      if (verb === "parameters") continue;
      const o = op as JsonObject;
      o.tags = ["Open Inference Protocol"];
      const responses = o.responses as JsonObject;
      if (path.endsWith("/ready") || path.includes("/health/")) {
        if (!path.endsWith("/live")) responses["400"] = { description: "Not ready (an empty body)" };
      } else {
        const statuses = verb === "post" ? ["400", "404", "429", "500", "503"] : ["400", "404", "500", "503"];
        for (const s of statuses) responses[s] ??= errorResponse(s, OIP_ERROR_REF);
        if (path === "/v2/") delete responses["404"];
      }
    }
    paths[path] = copy;
    if (path === "/v2/") {
      paths["/v2"] = renameOperations(copy, "-no-slash");
    }
    if (path.includes("/versions/{version}")) {
      const unversioned = renameOperations(copy, "-unversioned");
      unversioned.parameters = params.filter((p) => p.name === "name");
      paths[path.replace("/versions/{version}", "")] = unversioned;
    }
  }
  const schemas = JSON.parse(JSON.stringify((oip.components as JsonObject).schemas)) as JsonObject;
  return { paths, schemas };
}

/** A copy of a path item whose operation ids carry `suffix` (ids are unique in a document). */
function renameOperations(item: JsonObject, suffix: string): JsonObject {
  const copy = JSON.parse(JSON.stringify(item)) as JsonObject;
  for (const [verb, op] of Object.entries(copy)) {
    if (verb !== "parameters") (op as JsonObject).operationId = `${(op as JsonObject).operationId}${suffix}`;
  }
  return copy;
}

/** Keys sorted at every level, so the output is stable and diffs read well. */
function sorted(value: Json): Json {
  if (Array.isArray(value)) return value.map(sorted);
  if (value === null || typeof value !== "object") return value;
  const out: JsonObject = {};
  for (const key of Object.keys(value).sort()) out[key] = sorted(value[key] as Json);
  return out;
}

export function buildDocument(input: DocumentInput): JsonObject {
  const { registry, handWritten } = input;
  const http = registry.getExtension("google.api.http") as DescExtension | undefined;
  if (!http) throw new Error("google/api/annotations.proto is not among the input files");
  const set = new SchemaSet();
  const paths: Record<string, JsonObject> = {};
  const tags: Json[] = [...((handWritten.tags as Json[]) ?? [])];
  for (const name of input.files) {
    const file = registry.getFile(name);
    if (!file) throw new Error(`no descriptor for ${name}`);
    for (const service of file.services) {
      let described = false;
      for (const method of service.methods) {
        if (method.methodKind !== "unary" || !hasOption(method, http)) continue;
        const rule = getOption(method, http) as unknown as {
          pattern: { case: string | undefined; value: unknown };
          body: string;
        };
        if (rule.pattern.case === undefined || rule.pattern.case === "custom") continue;
        const path = String(rule.pattern.value).replace(/\{([^}=]+)=[^}]*\}/g, "{$1}");
        paths[path] ??= {};
        (paths[path] as JsonObject)[rule.pattern.case] = operation(service, method, path, rule.body, set);
        described = true;
      }
      if (described) tags.push({ name: service.name, description: describe(service) ?? service.typeName });
    }
  }
  // The hand-written routes replace generated operations on the same path and verb.
  for (const [path, item] of Object.entries((handWritten.paths as JsonObject) ?? {})) {
    paths[path] = { ...(paths[path] ?? {}), ...(item as JsonObject) };
  }
  const components = (handWritten.components as JsonObject) ?? {};
  const schemas: JsonObject = { ...set.schemas, ...((components.schemas as JsonObject) ?? {}) };
  if (input.oip) {
    const oip = oipPaths(input.oip);
    Object.assign(paths, oip.paths);
    for (const [name, schema] of Object.entries(oip.schemas)) {
      if (name in schemas) throw new Error(`schema name ${name} is used twice`);
      schemas[name] = schema;
    }
    const info = input.oip.info as JsonObject;
    tags.push({
      name: "Open Inference Protocol",
      description: `The Open Inference Protocol (KServe V2) REST API, from the vendored open_inference_rest.yaml (${info.title} ${info.version}).`,
    });
  }
  const doc: JsonObject = {
    openapi: "3.1.0",
    info: handWritten.info as Json,
    tags,
    paths: paths as JsonObject,
    components: { ...components, schemas },
  };
  return sorted(doc) as JsonObject;
}
