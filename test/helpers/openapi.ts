// Response validation against an OpenAPI document with openapi-backend (OpenAPI 3.0 and 3.1, ajv
// under the hood): the status must be one the operation lists, the content type one it declares,
// and the body must match that response's schema. test/helpers/clients.ts runs every REST response
// of the integration tests through `checkMlopsResponse`, so openapi/openapi.json cannot drift from
// what the server answers.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Document, OpenAPIBackend, type Operation } from "openapi-backend";
import { parse } from "yaml";

const ROOT = resolve(import.meta.dirname, "../..");
export const OPENAPI_JSON = join(ROOT, "openapi/openapi.json");
export const OIP_REST_YAML = join(ROOT, "proto/third_party/inference/open_inference_rest.yaml");

export interface ReceivedResponse {
  method: string;
  /** The request path, with or without a query string. */
  path: string;
  status: number;
  contentType: string | null;
  /** The raw body text. */
  text: string;
}

export interface Validator {
  readonly document: Document;
  /** Problems with `res` against the document; empty when it conforms. */
  problems(res: ReceivedResponse): string[];
}

type ResponseObject = { content?: Record<string, { schema?: unknown }> };

/** The declared response of `op` for `status`: exact, then "4XX"-style, then "default". */
function declared(op: Operation, status: number): ResponseObject | undefined {
  const responses = (op.responses ?? {}) as Record<string, ResponseObject>;
  return responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default;
}

function mediaMatches(declaredType: string, got: string): boolean {
  if (declaredType === "*/*") return true;
  const base = got.split(";")[0]?.trim().toLowerCase() ?? "";
  return declaredType.toLowerCase() === base;
}

export async function createValidator(
  document: Document,
  options: { unmatched?: (res: ReceivedResponse, body: unknown) => string[] } = {},
): Promise<Validator> {
  const api = new OpenAPIBackend({ definition: document, quick: true, validate: true, strict: false });
  await api.init();
  return {
    document,
    problems(res) {
      const path = res.path.split("?")[0] ?? "/";
      const where = `${res.method} ${path} → ${res.status}`;
      let body: unknown;
      try {
        body = res.text === "" ? undefined : JSON.parse(res.text);
      } catch {
        body = res.text;
      }
      const op = api.matchOperation({ method: res.method.toLowerCase(), path, headers: {} });
      if (!op) {
        const extra = options.unmatched?.(res, body);
        return extra ?? [`${where}: no operation in the document`];
      }
      const response = declared(op, res.status);
      if (!response) return [`${where}: status not declared by ${op.operationId}`];
      const content = response.content;
      if (!content || Object.keys(content).length === 0) {
        return res.text === ""
          ? []
          : [`${where}: the document declares no body, got ${res.text.slice(0, 80)}`];
      }
      const type = Object.keys(content).find((t) => mediaMatches(t, res.contentType ?? ""));
      if (!type)
        return [`${where}: content type ${res.contentType} not among ${Object.keys(content).join(", ")}`];
      if (!type.includes("json")) return [];
      const result = api.validateResponse(body, op, res.status);
      return result.valid
        ? []
        : (result.errors ?? []).map(
            (e) => `${where}: ${e.instancePath || "(body)"} ${e.message} ${JSON.stringify(e.params)}`,
          );
    },
  };
}

let mlops: Promise<Validator> | undefined;

/**
 * Unmatched requests get the house's 404 / 405 with its error JSON; the Connect and gRPC-Web paths
 * (`/<package>.<Service>/<Method>`) speak their own protocol and are not REST routes of the document.
 */
function unmatchedMlops(document: Document) {
  return (res: ReceivedResponse, body: unknown): string[] => {
    if (/^\/[a-z]\w*(\.\w+)+\/\w+$/.test(res.path.split("?")[0] ?? "")) return [];
    const where = `${res.method} ${res.path} → ${res.status}`;
    if (res.status !== 404 && res.status !== 405 && res.status !== 400) {
      return [`${where}: no operation in openapi.json answers it`];
    }
    const schema = (document.components?.schemas as Record<string, { required?: string[] }>)?.Error;
    const b = body as Record<string, unknown> | undefined;
    const missing = (schema?.required ?? []).filter((k) => typeof b?.[k] !== "string");
    return missing.length === 0 ? [] : [`${where}: not the Error JSON (missing ${missing.join(", ")})`];
  };
}

/** The validator of openapi/openapi.json, loaded once per test file. */
export function mlopsValidator(): Promise<Validator> {
  mlops ??= (async () => {
    const document = JSON.parse(readFileSync(OPENAPI_JSON, "utf8")) as Document;
    return createValidator(document, { unmatched: unmatchedMlops(document) });
  })();
  return mlops;
}

/** Throws with every problem when a REST response of ours does not follow openapi.json. */
export async function checkMlopsResponse(res: ReceivedResponse): Promise<void> {
  const problems = (await mlopsValidator()).problems(res);
  if (problems.length > 0) {
    throw new Error(`response does not follow openapi/openapi.json:\n  ${problems.join("\n  ")}`);
  }
}

let oip: Promise<Validator> | undefined;

/**
 * The official open_inference_rest.yaml, with its paths rewritten to the routes as served (its
 * `${MODEL_NAME}` placeholders are not OpenAPI templates, its server metadata path is `/v2/`, and
 * it lists only the versioned model routes). The file lists few error statuses, so a status it does
 * not list must be a readiness "no" (400, empty body) or an error object `{"error": string}`, as
 * inference_rest.md describes them; a status it lists must match its schema.
 */
export function oipValidator(): Promise<Validator> {
  oip ??= (async () => {
    const spec = parse(readFileSync(OIP_REST_YAML, "utf8")) as Document & { paths: Record<string, unknown> };
    const paths: Record<string, unknown> = {};
    for (const [raw, item] of Object.entries(spec.paths)) {
      const path = raw
        .replace(/\$\{MODEL_NAME\}/, "{MODEL_NAME}")
        .replace(/\$\{MODEL_VERSION\}/, "{MODEL_VERSION}");
      paths[path] = item;
      if (path === "/v2/") paths["/v2"] = renamed(item, "-no-slash");
      if (path.includes("/versions/{MODEL_VERSION}")) {
        const copy = renamed(item, "-unversioned") as { parameters?: { name: string }[] };
        copy.parameters = copy.parameters?.filter((p) => p.name === "MODEL_NAME");
        paths[path.replace("/versions/{MODEL_VERSION}", "")] = copy;
      }
    }
    const validator = await createValidator({ ...spec, paths } as Document);
    return {
      document: validator.document,
      problems(res) {
        const problems = validator.problems(res);
        if (!problems.some((p) => p.includes("status not declared"))) return problems;
        const where = `${res.method} ${res.path} → ${res.status}`;
        if (res.status < 400) return problems;
        if (res.text === "" && res.status === 400 && /\/(ready|live)$/.test(res.path)) return [];
        let body: unknown;
        try {
          body = JSON.parse(res.text);
        } catch {
          return [`${where}: an error without the error JSON object: ${res.text.slice(0, 80)}`];
        }
        const keys = body && typeof body === "object" ? Object.keys(body) : [];
        return typeof (body as { error?: unknown }).error === "string" && keys.length === 1
          ? []
          : [`${where}: not an error JSON object {"error": string}: ${res.text.slice(0, 80)}`];
      },
    };
  })();
  return oip;
}

function renamed(item: unknown, suffix: string): unknown {
  const copy = JSON.parse(JSON.stringify(item)) as Record<string, { operationId?: string }>;
  for (const [k, op] of Object.entries(copy))
    if (k !== "parameters") op.operationId = `${op.operationId}${suffix}`;
  return copy;
}
