import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { create, fromJson, type JsonValue, toJson } from "@bufbuild/protobuf";
import { PredictService } from "../../gen/mlops/v1/predict_pb.js";
import type { ServiceBinding } from "../../rpc/binding.js";
import type { CallContext } from "../../rpc/context.js";
import { invalidArgument, ServiceError, toServiceError } from "../../rpc/service-error.js";
import type { PredictResult } from "../../services/predict-service.js";
import type { Pipeline } from "../pipeline.js";
import { parseJsonObject, readBody } from "./body.js";
import { createConnectHandler } from "./connect.js";
import { decodeError } from "./decode-error.js";
import { compileRestRoutes, matchRoute, queryToJson, type RestRoute } from "./rest-routes.js";

/** The operational routes' data, supplied by the app. */
export interface OpsProvider {
  /** 200 when a model is served and the registry answers, else 503; the body says which part is down. */
  health(): Promise<{ ok: boolean; body: Record<string, unknown> }>;
  /** Undefined while no model is served. */
  modelInfo(): Record<string, unknown> | undefined;
  root(): Record<string, unknown>;
  metrics(): Promise<{ contentType: string; text: string }>;
}

export interface HttpServerOptions {
  bindings: readonly ServiceBinding[];
  pipeline: Pipeline;
  /** The lean `POST /predict` entry (same checks and scoring as PredictService.Predict). */
  predictRow: (features: unknown, ctx: CallContext) => Promise<PredictResult>;
  ops: OpsProvider;
  /** Largest accepted request body in bytes (REST, Connect and gRPC-Web). */
  maxBodyBytes: number;
}

export interface HttpServer {
  readonly server: Server;
  listen(host: string, port: number): Promise<number>;
  /** Stops accepting, waits for in-flight requests up to `timeoutMs`, then closes what is left. */
  close(timeoutMs: number): Promise<void>;
}

const PREDICT_SHAPE = '{"features": [<numbers>]}';
const PREDICT_KEYS = new Set(["features", "model_name", "model_version", "model_alias"]);
const OPS_PATHS = new Set(["/health", "/model-info", "/", "/metrics"]);
const JSON_TYPE = { "content-type": "application/json" };

function sendJson(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { ...JSON_TYPE, "content-length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

export function sendError(res: ServerResponse, err: ServiceError, closeConnection = false): void {
  const headers: Record<string, string> = {};
  if (err.retryAfterSeconds !== undefined) headers["retry-after"] = String(err.retryAfterSeconds);
  if (closeConnection) headers.connection = "close";
  sendJson(res, err.httpStatus, JSON.stringify(err.toJSON()), headers);
}

/**
 * Any failure → the one error type, written as JSON. A body left unread (over the limit, or not
 * parsed) closes the connection, so its remainder is never read as the next request.
 */
function fail(req: IncomingMessage, res: ServerResponse, e: unknown): ServiceError {
  const err = toServiceError(e);
  sendError(res, err, err.violation?.field === "body" && !req.readableEnded);
  return err;
}

/** The seed's response, written by hand: four keys in the seed's order, then model_name. */
function predictJson(r: PredictResult): string {
  let probs = "";
  for (let i = 0; i < r.probability.length; i++) probs += (i ? "," : "") + r.probability[i];
  return `{"prediction":${r.prediction},"probability":[${probs}],"model_version":${JSON.stringify(r.modelVersion)},"timestamp":"${r.timestamp}","model_name":${JSON.stringify(r.modelName)}}`;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The plain HTTP port: lean `POST /predict`, REST routes compiled from `google.api.http`,
 * Connect and gRPC-Web, and the operational routes. See docs/decisions/0002-lean-rest-predict.md.
 */
export function createHttpServer(options: HttpServerOptions): HttpServer {
  const { pipeline, ops } = options;
  const routes = compileRestRoutes(options.bindings.map((b) => b.service));
  const bindingOf = new Map(options.bindings.map((b) => [b.service.typeName, b]));
  const connect = createConnectHandler({
    bindings: options.bindings,
    pipeline,
    maxMessageBytes: options.maxBodyBytes,
    sendError,
  });
  const predictRoute = routes.find(
    (r) => r.service.typeName === PredictService.typeName && r.method.name === "Predict",
  );
  const predictPath = predictRoute?.template ?? "/predict";

  async function handlePredict(req: IncomingMessage, res: ServerResponse, t0: bigint): Promise<void> {
    const ctx = pipeline.context("rest", header(req, "x-mlops-actor"));
    let error: ServiceError | undefined;
    try {
      const body = parseJsonObject(await readBody(req, options.maxBodyBytes), PREDICT_SHAPE);
      if ("model_name" in body || "model_version" in body || "model_alias" in body) {
        // Selectors take the generic path (same service, protobuf-es JSON codec).
        await handleRest(req, res, { route: predictRoute as RestRoute, params: {} }, t0, body);
        return;
      }
      for (const key in body) {
        if (!PREDICT_KEYS.has(key)) {
          throw invalidArgument(key, `only the keys ${[...PREDICT_KEYS].join(", ")}`, "an unknown key");
        }
      }
      if (!("features" in body)) throw invalidArgument("features", "an array of numbers", "nothing");
      sendJson(res, 200, predictJson(await options.predictRow(body.features, ctx)));
    } catch (e) {
      error = fail(req, res, e);
    }
    pipeline.record({
      transport: "rest",
      method: "POST",
      endpoint: predictPath,
      seconds: elapsed(t0),
      error,
    });
  }

  async function handleRest(
    req: IncomingMessage,
    res: ServerResponse,
    match: { route: RestRoute; params: Record<string, string> },
    t0: bigint,
    parsedBody?: Record<string, unknown>,
  ): Promise<void> {
    const { route, params } = match;
    const binding = bindingOf.get(route.service.typeName) as ServiceBinding;
    const ctx = pipeline.context("rest", header(req, "x-mlops-actor"));
    let error: ServiceError | undefined;
    try {
      let json: Record<string, unknown> = {};
      if (route.body !== "") {
        const body =
          parsedBody ?? parseJsonObject(await readBody(req, options.maxBodyBytes), "a JSON object");
        json = route.body === "*" ? body : { [route.body]: body };
      } else {
        const url = new URL(req.url ?? "/", "http://x");
        json = queryToJson(route.method.input, url.searchParams);
      }
      Object.assign(json, params);
      let request: unknown;
      try {
        request = fromJson(route.method.input, json as JsonValue);
      } catch (err) {
        throw decodeError(route.method.input, err);
      }
      const out = await pipeline.call(
        route.service,
        route.method,
        binding.impl[route.method.localName],
        request,
        ctx,
        header(req, "authorization"),
      );
      const msg = create(route.method.output, out as never);
      sendJson(res, 200, JSON.stringify(toJson(route.method.output, msg)));
    } catch (e) {
      error = fail(req, res, e);
    }
    pipeline.record({
      transport: "rest",
      method: route.verb,
      endpoint: route.template,
      seconds: elapsed(t0),
      error,
    });
  }

  async function handleOps(res: ServerResponse, path: string, t0: bigint): Promise<boolean> {
    let status = 200;
    let error: ServiceError | undefined;
    switch (path) {
      case "/health": {
        const h = await ops.health();
        status = h.ok ? 200 : 503;
        sendJson(res, status, JSON.stringify(h.body));
        break;
      }
      case "/model-info": {
        const info = ops.modelInfo();
        if (info) sendJson(res, 200, JSON.stringify(info));
        else {
          const err = new ServiceError(
            "UNAVAILABLE",
            "no model is being served: train and promote one (`mlops train --promote Production`)",
          );
          status = err.httpStatus;
          sendError(res, err);
        }
        break;
      }
      case "/":
        sendJson(res, 200, JSON.stringify(ops.root()));
        break;
      case "/metrics":
        try {
          const m = await ops.metrics();
          res.writeHead(200, { "content-type": m.contentType });
          res.end(m.text);
        } catch (e) {
          error = new ServiceError("UNAVAILABLE", `metrics are unavailable: ${(e as Error).message}`, {
            cause: e,
          });
          status = error.httpStatus;
          sendError(res, error);
        }
        break;
      default:
        return false;
    }
    pipeline.record({
      transport: "rest",
      method: "GET",
      endpoint: path,
      status: String(status),
      seconds: elapsed(t0),
      error,
    });
    return true;
  }

  /** The verbs some route accepts on `path`, for a 405's Allow header. */
  function allowedVerbs(path: string): string[] {
    const verbs = new Set<string>();
    if (path === predictPath) verbs.add("POST");
    if (OPS_PATHS.has(path)) verbs.add("GET").add("HEAD");
    for (const r of routes) if (r.regex.test(path)) verbs.add(r.verb);
    return [...verbs];
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const t0 = process.hrtime.bigint();
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const verb = req.method ?? "GET";
    if (verb === "POST" && path === predictPath) return handlePredict(req, res, t0);
    if ((verb === "GET" || verb === "HEAD") && (await handleOps(res, path, t0))) return;
    let match: ReturnType<typeof matchRoute>;
    try {
      match = matchRoute(routes, verb, path);
    } catch (e) {
      const err = toServiceError(e);
      sendError(res, err);
      pipeline.record({
        transport: "rest",
        method: verb,
        endpoint: "unmatched",
        seconds: elapsed(t0),
        error: err,
      });
      return;
    }
    if (match) return handleRest(req, res, match, t0);
    if (path.startsWith("/mlops.v1.")) {
      connect(req, res);
      return;
    }
    const allowed = allowedVerbs(path);
    if (allowed.length > 0) {
      const err = new ServiceError(
        "INVALID_ARGUMENT",
        `${verb} is not allowed on ${path}; use ${allowed.join(" or ")}`,
      );
      sendJson(res, 405, JSON.stringify(err.toJSON()), { allow: allowed.join(", ") });
      pipeline.record({
        transport: "rest",
        method: verb,
        endpoint: "unmatched",
        status: "405",
        seconds: elapsed(t0),
        error: err,
      });
      return;
    }
    const err = new ServiceError("NOT_FOUND", `no route for ${verb} ${path}; see GET / for the API's links`);
    sendError(res, err);
    pipeline.record({
      transport: "rest",
      method: verb,
      endpoint: "unmatched",
      seconds: elapsed(t0),
      error: err,
    });
  }

  let closing = false;
  const server = createServer({ keepAlive: true }, (req, res) => {
    if (closing) {
      // Draining: answer, then let this socket go, so shutdown does not wait for keep-alive clients.
      res.setHeader("connection", "close");
      res.once("finish", () => server.closeIdleConnections());
    }
    handle(req, res).catch((err) => {
      const e = toServiceError(err);
      if (!res.headersSent) sendError(res, e);
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;

  return {
    server,
    listen(host, port) {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve((server.address() as AddressInfo).port);
        });
      });
    },
    close(timeoutMs) {
      closing = true;
      return new Promise((resolve) => {
        // Responses that were in flight at close() end on keep-alive sockets: sweep those as they idle.
        const sweep = setInterval(() => server.closeIdleConnections(), 100);
        const timer = setTimeout(() => {
          clearInterval(sweep);
          server.closeAllConnections();
          resolve();
        }, timeoutMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          clearInterval(sweep);
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}

function elapsed(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}
