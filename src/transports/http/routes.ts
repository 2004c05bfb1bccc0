import type { IncomingMessage } from "node:http";
import {
  create,
  type DescMethodUnary,
  type DescService,
  fromJson,
  type JsonValue,
  toJson,
} from "@bufbuild/protobuf";
import type { PredictRequest } from "../../gen/mlops/v1/predict_pb.js";
import { methodImpl, type ServiceBinding } from "../../rpc/binding.js";
import type { CallContext, Transport } from "../../rpc/context.js";
import { invalidArgument, ServiceError } from "../../rpc/service-error.js";
import { normalizeEnumSpellings } from "../../services/mapping/enum-spelling.js";
import type { PredictResult } from "../../services/predict-service.js";
import { jsonString } from "../json-string.js";
import { parseJsonObject, readBody } from "./body.js";
import { decodeError } from "./decode-error.js";
import { queryToJson, type RestRoute } from "./rest-routes.js";
import { seedError } from "./seed-errors.js";

/** The operational routes' data, supplied by the app. */
export interface OpsProvider {
  /** 200 when a model is served and the registry answers, else 503; the body says which part is down. */
  health(): Promise<{ ok: boolean; body: Record<string, unknown> }>;
  /** Undefined while no model is served. */
  modelInfo(): Record<string, unknown> | undefined;
  root(): Record<string, unknown>;
  metrics(): Promise<{ contentType: string; text: string }>;
}

/** A successful answer of a route the port serves itself. */
export interface Reply {
  status: number;
  body: string | Uint8Array;
  /** Default application/json. */
  contentType?: string;
  /** More response headers (caching, for instance). */
  headers?: Record<string, string>;
}

/**
 * How a route's failures are written, for a protocol whose error JSON is not the house's (the Open
 * Inference Protocol's `{"error": "…"}`). The pipeline records the same status (by transport).
 */
export interface ErrorWriter {
  status(error: ServiceError): number;
  body(error: ServiceError): string;
}

/** Path variables bound by a route's template. */
export type Params = Readonly<Record<string, string>>;

interface RouteLabels {
  /** The `method` label. */
  verb: string;
  /** The `endpoint` label: the route's template, or "unmatched". */
  endpoint: string;
  /** The `transport` label. Default "rest". */
  transport?: Transport;
  /** Default: the house's error JSON (ServiceError.toJSON) with the house's statuses. */
  errors?: ErrorWriter;
}

/** An RPC reached over REST: how its request is read, and its response written (as JSON text). */
export interface RpcRoute extends RouteLabels {
  readonly kind: "rpc";
  service: DescService;
  method: DescMethodUnary;
  decode(req: IncomingMessage, params: Params): Promise<unknown>;
  /** JSON text (200, application/json), or a whole reply (a file's bytes, another status). */
  call(request: unknown, ctx: CallContext): Promise<string | Reply>;
}

/** What an own route may read of its request beyond the path. */
export interface RequestInfo {
  /** The Accept header. */
  accept?: string;
}

/** A route the HTTP port answers itself, with no RPC behind it: the seed's ops routes, 404, 405. */
export interface OwnRoute extends RouteLabels {
  readonly kind: "own";
  answer(params: Params, request: RequestInfo): Promise<Reply> | Reply;
}

/** A route on a path template (`/v2/models/{name}/ready`) that is not compiled from the protos. */
export interface TemplateRoute {
  template: string;
  route: HttpRoute;
}

export type HttpRoute = RpcRoute | OwnRoute;

/** Builds an RPC route; `decode` and `call` are type-checked against each other here. */
export function rpcRoute<I>(
  labels: Omit<RpcRoute, "kind" | "decode" | "call">,
  decode: (req: IncomingMessage, params: Params) => Promise<I>,
  call: (request: I, ctx: CallContext) => Promise<string | Reply>,
): RpcRoute {
  return { ...labels, kind: "rpc", decode, call: call as RpcRoute["call"] };
}

/** The labels and method of a route compiled from `google.api.http`. */
const restLabels = (route: RestRoute) => ({
  verb: route.verb,
  endpoint: route.template,
  service: route.service,
  method: route.method,
});

/** proto3 JSON (with the path's variables) → the route's request message; errors name the field. */
function fromRestJson(route: RestRoute, json: Record<string, unknown>, params: Params): unknown {
  Object.assign(json, params);
  normalizeEnumSpellings(route.method.input, json);
  try {
    return fromJson(route.method.input, json as JsonValue);
  } catch (err) {
    throw decodeError(route.method.input, err);
  }
}

/** The implementation of `route`'s method, answering in proto3 JSON text. */
function jsonCall(route: RestRoute, binding: ServiceBinding) {
  const { output } = route.method;
  const impl = methodImpl(binding, route.method);
  return async (request: unknown, ctx: CallContext): Promise<string> =>
    JSON.stringify(toJson(output, create(output, (await impl(request, ctx)) as never)));
}

/** A route compiled from `google.api.http`: the body or the query string, protobuf-es JSON codecs. */
export function restRoute(
  route: RestRoute,
  binding: ServiceBinding,
  maxBodyBytes: number,
  setting = "MLOPS_MAX_BODY_BYTES",
): RpcRoute {
  const { input } = route.method;
  return rpcRoute(
    restLabels(route),
    async (req, params) => {
      if (route.body === "") {
        const query = new URL(req.url ?? "/", "http://x").searchParams;
        return fromRestJson(route, queryToJson(input, query), params);
      }
      const body = parseJsonObject(await readBody(req, maxBodyBytes, setting), "a JSON object");
      return fromRestJson(route, route.body === "*" ? body : { [route.body]: body }, params);
    },
    jsonCall(route, binding),
  );
}

const PREDICT_SHAPE = '{"features": [<numbers>]}';
const PREDICT_KEYS = new Set(["features", "model_name", "model_version", "model_alias"]);

/**
 * The seed's response, written by hand: four keys in the seed's order, then model_name. `prediction`
 * is the class as the model's labels name it, as scikit-learn's predict answers: the class index for
 * a model without labels (so 0/1 models answer exactly the seed's JSON), a JSON string for string
 * labels, a number for numeric ones.
 */
export function predictJson(r: PredictResult): string {
  let probs = "";
  for (let i = 0; i < r.probability.length; i++) probs += (i ? "," : "") + r.probability[i];
  const prediction = typeof r.label === "string" ? JSON.stringify(r.label) : String(r.label);
  return `{"prediction":${prediction},"probability":[${probs}],"model_version":${jsonString(r.modelVersion)},"timestamp":"${r.timestamp}","model_name":${jsonString(r.modelName)}}`;
}

/** JSON has no NaN: a `null` feature (a missing value, where allowed) reaches proto3 JSON as "NaN". */
function nullsAsNaN(body: Record<string, unknown>): Record<string, unknown> {
  const features = body.features;
  if (!Array.isArray(features) || !features.includes(null)) return body;
  return { ...body, features: features.map((v) => (v === null ? "NaN" : v)) };
}

/**
 * The lean `POST /predict` (docs/decisions/0002): `JSON.parse`, the service's own row check and
 * scoring, the seed's JSON written by hand. A body that selects a model (`model_name`,
 * `model_version`, `model_alias`) is decoded as proto3 JSON and answered by PredictService.Predict
 * like the compiled route; both answers are the seed's JSON. Bad input gets the seed's (FastAPI's)
 * 422 or 413 with `detail` (docs/decisions/0015), on the failure path only.
 */
export function leanPredictRoute(
  route: RestRoute,
  predictRow: (features: unknown, ctx: CallContext) => Promise<PredictResult>,
  predictRequest: (request: PredictRequest, ctx: CallContext) => Promise<PredictResult>,
  maxBodyBytes: number,
): RpcRoute {
  // Not async: the body's promise and one then (an async function cost a promise and an await more).
  const parse = (text: string) => {
    try {
      return parseJsonObject(text, PREDICT_SHAPE);
    } catch (e) {
      return seedError(e);
    }
  };
  return rpcRoute(
    restLabels(route),
    (req) => readBody(req, maxBodyBytes).then(parse, seedError),
    (body, ctx) => {
      try {
        if ("model_name" in body || "model_version" in body || "model_alias" in body) {
          const request = fromRestJson(route, nullsAsNaN(body), {}) as PredictRequest;
          return predictRequest(request, ctx).then(predictJson, seedError);
        }
        for (const key in body) {
          if (!PREDICT_KEYS.has(key)) {
            const keys = `only the keys ${[...PREDICT_KEYS].join(", ")}`;
            throw invalidArgument(key, keys, "an unknown key", "extra_forbidden");
          }
        }
        if (!("features" in body)) {
          throw invalidArgument("features", "an array of numbers", "nothing", "missing");
        }
      } catch (e) {
        return seedError(e);
      }
      return predictRow(body.features, ctx).then(predictJson, seedError);
    },
  );
}

const json = (body: unknown, status = 200): Reply => ({ status, body: JSON.stringify(body) });

/** `/health`, `/model-info`, `/` and `/metrics`, by path; GET (and HEAD, recorded as GET). */
export function opsRoutes(ops: OpsProvider): Map<string, OwnRoute> {
  const route = (endpoint: string, answer: OwnRoute["answer"]): [string, OwnRoute] => [
    endpoint,
    { kind: "own", verb: "GET", endpoint, answer },
  ];
  return new Map([
    route("/health", async () => {
      const h = await ops.health();
      return json(h.body, h.ok ? 200 : 503);
    }),
    route("/model-info", () => {
      const info = ops.modelInfo();
      if (info) return json(info);
      throw new ServiceError(
        "UNAVAILABLE",
        "no model is being served: train and promote one (`mlops train --promote Production`)",
      );
    }),
    // API clients keep the seed's JSON; a browser asking for a page goes to the web UI.
    route("/", (_params, request) =>
      /\btext\/html\b/.test(request.accept ?? "")
        ? { status: 302, body: "", contentType: "text/plain", headers: { location: "/ui/" } }
        : json(ops.root()),
    ),
    route("/metrics", async () => {
      try {
        const m = await ops.metrics();
        return { status: 200, body: m.text, contentType: m.contentType };
      } catch (e) {
        throw new ServiceError("UNAVAILABLE", `metrics are unavailable: ${(e as Error).message}`, {
          cause: e,
        });
      }
    }),
  ]);
}

/**
 * 405: the path exists, the verb does not. INVALID_ARGUMENT to metrics and RPC-minded clients, as
 * connect-node counts it; 405 with `Allow` on the wire.
 */
export class MethodNotAllowed extends ServiceError {
  constructor(
    verb: string,
    path: string,
    readonly allow: readonly string[],
  ) {
    super("INVALID_ARGUMENT", `${verb} is not allowed on ${path}; use ${allow.join(" or ")}`);
  }

  override get httpStatus(): number {
    return 405;
  }
}

/**
 * A request no route takes (or a path that cannot be decoded): recorded as "unmatched", so arbitrary
 * URLs never grow the label set.
 */
export function unmatched(verb: string, error: ServiceError): OwnRoute {
  return {
    kind: "own",
    verb,
    endpoint: "unmatched",
    answer: () => {
      throw error;
    },
  };
}

export function notFound(verb: string, path: string): OwnRoute {
  return unmatched(
    verb,
    new ServiceError("NOT_FOUND", `no route for ${verb} ${path}; see GET / for the API's links`),
  );
}

export function methodNotAllowed(verb: string, path: string, allow: readonly string[]): OwnRoute {
  return unmatched(verb, new MethodNotAllowed(verb, path, allow));
}
