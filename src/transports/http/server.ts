import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type AddressInfo, Server as NetServer, type Socket } from "node:net";
import type { PredictRequest } from "../../gen/mlops/v1/predict_pb.js";
import { PredictService } from "../../gen/mlops/v1/predict_pb.js";
import type { ServiceBinding } from "../../rpc/binding.js";
import type { CallContext } from "../../rpc/context.js";
import { type ServiceError, toServiceError } from "../../rpc/service-error.js";
import type { PredictResult } from "../../services/predict-service.js";
import { DRAIN_SETTLE_MS } from "../drain.js";
import type { InvokeMeta, Pipeline } from "../pipeline.js";
import { createConnectHandler } from "./connect.js";
import {
  bySegment,
  compilePath,
  compileRestRoutes,
  decodePathVar,
  matchRoute,
  type RestRoute,
} from "./rest-routes.js";
import {
  type ErrorWriter,
  type HttpRoute,
  leanPredictRoute,
  MethodNotAllowed,
  methodNotAllowed,
  notFound,
  type OpsProvider,
  opsRoutes,
  type Params,
  type Reply,
  type RpcRoute,
  restRoute,
  type TemplateRoute,
  unmatched,
} from "./routes.js";

export interface HttpServerOptions {
  bindings: readonly ServiceBinding[];
  pipeline: Pipeline;
  /** The lean `POST /predict` entry (same checks and scoring as PredictService.Predict). */
  predictRow: (features: unknown, ctx: CallContext) => Promise<PredictResult>;
  /** Predict with a model selector, answered with the same seed JSON as `predictRow`. */
  predictRequest: (request: PredictRequest, ctx: CallContext) => Promise<PredictResult>;
  ops: OpsProvider;
  /** Largest accepted request body in bytes (REST, Connect and gRPC-Web). */
  maxBodyBytes: number;
  /**
   * More routes on path templates, matched after the fixed and before the compiled ones: another
   * protocol's REST face (the Open Inference Protocol's `/v2/...`), static files.
   */
  routes?: readonly TemplateRoute[];
  /** Body limit of RegistryService.ImportModelVersion (REST and Connect). Default `maxBodyBytes`. */
  maxImportBytes?: number;
  /** Connect's unary POSTs on the lean adapter. Default true; false: all through connect-node. */
  leanConnect?: boolean;
}

export interface HttpServer {
  readonly server: Server;
  listen(host: string, port: number): Promise<number>;
  /**
   * Stops accepting connections at once. Every request that reaches an open connection is still
   * answered, with `connection: close`; idle connections are closed after DRAIN_SETTLE_MS. Resolves
   * once every connection has ended, or after `timeoutMs`, when what is left is cut.
   */
  close(timeoutMs: number): Promise<void>;
}

const JSON_TYPE = "application/json";
/** How often idle connections are closed after that, while the busy ones finish. */
const DRAIN_SWEEP_MS = 100;
const netClose = NetServer.prototype.close;

/** Requests in flight on a socket, and its bytesRead when the last one ended. */
const ACTIVE = Symbol("activeRequests");
const READ_WHEN_IDLE = Symbol("bytesReadWhenIdle");
type TrackedSocket = Socket & { [ACTIVE]?: number; [READ_WHEN_IDLE]?: number };

/** A response's `close` (sent or aborted): one request fewer in flight on its socket. */
function requestDone(this: ServerResponse): void {
  const socket = this.req.socket as TrackedSocket;
  socket[ACTIVE] = (socket[ACTIVE] ?? 1) - 1;
  socket[READ_WHEN_IDLE] = socket.bytesRead;
}
const NO_PARAMS: Params = Object.freeze({});

function send(
  res: ServerResponse,
  status: number,
  body: string | Uint8Array,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    "content-type": JSON_TYPE,
    "content-length": Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

/**
 * An error as the HTTP port's JSON error body (or the route's own, see ErrorWriter), with
 * Retry-After and Allow where they apply.
 */
export function sendError(
  res: ServerResponse,
  err: ServiceError,
  closeConnection = false,
  writer?: ErrorWriter,
): void {
  const headers: Record<string, string> = {};
  if (err.retryAfterSeconds !== undefined) headers["retry-after"] = String(err.retryAfterSeconds);
  if (err instanceof MethodNotAllowed) headers.allow = err.allow.join(", ");
  if (closeConnection) headers.connection = "close";
  if (writer) send(res, writer.status(err), writer.body(err), headers);
  else send(res, err.httpStatus, JSON.stringify(err.toJSON()), headers);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The plain HTTP port: lean `POST /predict`, REST routes compiled from `google.api.http`,
 * Connect and gRPC-Web, and the operational routes. See docs/decisions/0002-lean-rest-predict.md.
 * Every request that is not Connect's is answered by one typed route, through the pipeline (which
 * records it once), and fails through `fail`.
 */
/** Procedures whose requests carry a whole model file (an import, a file of the artifact tree). */
const IMPORT_PATHS: ReadonlySet<string> = new Set([
  "/mlops.v1.RegistryService/ImportModelVersion",
  "/mlops.v1.TrackingService/PutArtifact",
]);

export function createHttpServer(options: HttpServerOptions): HttpServer {
  const { pipeline, maxBodyBytes } = options;
  const compiled = compileRestRoutes(options.bindings.map((b) => b.service));
  const compiledFor = bySegment(compiled);
  const bindingOf = new Map(options.bindings.map((b) => [b.service.typeName, b]));
  const rpcOf = new Map<RestRoute, RpcRoute>();
  for (const r of compiled) {
    const binding = bindingOf.get(r.service.typeName);
    if (!binding) continue;
    const large = IMPORT_PATHS.has(`/${r.service.typeName}/${r.method.name}`);
    rpcOf.set(
      r,
      large
        ? restRoute(r, binding, options.maxImportBytes ?? maxBodyBytes, "MLOPS_MAX_IMPORT_BYTES")
        : restRoute(r, binding, maxBodyBytes),
    );
  }
  const connect = createConnectHandler({
    bindings: options.bindings,
    pipeline,
    maxMessageBytes: maxBodyBytes,
    large: { paths: IMPORT_PATHS, maxBytes: options.maxImportBytes ?? maxBodyBytes },
    lean: options.leanConnect ?? true,
    sendError,
  });

  /** Routes on a fixed path, checked before the compiled ones: path → verb → route. */
  const fixed = new Map<string, Map<string, HttpRoute>>();
  for (const [path, route] of opsRoutes(options.ops)) {
    fixed.set(
      path,
      new Map([
        ["GET", route],
        ["HEAD", route],
      ]),
    );
  }
  const predict = compiled.find(
    (r) => r.service.typeName === PredictService.typeName && r.method.name === "Predict",
  );
  const predictBinding = bindingOf.get(PredictService.typeName);
  if (predict && predictBinding) {
    const lean = leanPredictRoute(predict, options.predictRow, options.predictRequest, maxBodyBytes);
    fixed.set(predict.template, new Map([["POST", lean]]));
  }

  /** Template routes, most literal characters first (so `/v2/health/ready` beats `/v2/models/{name}`). */
  const literal = (t: string) => t.replace(/\{[^}]*\}/g, "").length;
  const templated = (options.routes ?? [])
    .map((t) => ({ ...t, ...compilePath(t.template) }))
    .sort((a, b) => literal(b.template) - literal(a.template));
  const templatedFor = bySegment(templated);

  function matchTemplated(verb: string, path: string): { route: HttpRoute; params: Params } | undefined {
    for (const t of templatedFor(path)) {
      if (t.route.verb !== verb && !(verb === "HEAD" && t.route.verb === "GET" && t.route.kind === "own")) {
        continue;
      }
      const m = t.regex.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      try {
        for (let i = 0; i < t.vars.length; i++) {
          const name = t.vars[i] as string;
          params[name] = decodePathVar(name, m[i + 1] ?? "");
        }
      } catch (e) {
        // Refused in the route's own error form (OIP's `{"error": …}`), not the house's.
        return {
          route: { ...unmatched(verb, toServiceError(e)), errors: t.route.errors },
          params: NO_PARAMS,
        };
      }
      return { route: t.route, params };
    }
    return undefined;
  }

  /** The verbs some route accepts on `path`, for a 405's Allow header. */
  function allowedVerbs(path: string): string[] {
    const verbs = new Set(fixed.get(path)?.keys());
    for (const t of templated) if (t.regex.test(path)) verbs.add(t.route.verb);
    for (const r of compiled) if (r.regex.test(path)) verbs.add(r.verb);
    return [...verbs];
  }

  /** The route that answers `verb path`; undefined for Connect's paths. */
  function resolve(verb: string, path: string): { route: HttpRoute; params: Params } | undefined {
    const route = fixed.get(path)?.get(verb);
    if (route) return { route, params: NO_PARAMS };
    // Connect's paths first: no REST template starts with the package name, and scanning every
    // template's regex cost ~10% of a Connect Predict's CPU (docs/decisions/0016).
    if (path.startsWith("/mlops.v1.")) return undefined;
    let match: ReturnType<typeof matchRoute>;
    try {
      const other = matchTemplated(verb, path);
      if (other) return other;
      match = matchRoute(compiledFor(path), verb, path);
    } catch (e) {
      return { route: unmatched(verb, toServiceError(e)), params: NO_PARAMS };
    }
    const rpc = match && rpcOf.get(match.route);
    if (match && rpc) return { route: rpc, params: match.params };
    const allowed = allowedVerbs(path);
    const other = allowed.length > 0 ? methodNotAllowed(verb, path, allowed) : notFound(verb, path);
    return { route: other, params: NO_PARAMS };
  }

  /**
   * The one failure path. A body left unread (over the limit, or not parsed) closes the connection,
   * so its remainder is never read as the next request.
   */
  function fail(req: IncomingMessage, res: ServerResponse, e: unknown, writer?: ErrorWriter): void {
    const err = toServiceError(e);
    if (res.headersSent) res.destroy();
    else sendError(res, err, err.violation?.field === "body" && !req.readableEnded, writer);
  }

  /** A route's answer on the wire; a throw here is answered by `fail`. */
  function write(res: ServerResponse, route: HttpRoute, out: string | Reply): void {
    if (typeof out === "string") send(res, 200, out);
    else if (route.kind === "rpc")
      send(res, out.status, out.body, {
        ...out.headers,
        ...(out.contentType && { "content-type": out.contentType }),
      });
    else {
      const headers = { ...out.headers };
      if (out.contentType) headers["content-type"] = out.contentType;
      send(res, out.status, out.body, headers);
    }
  }

  /**
   * Not async: one `then` on the pipeline's promise (an async function cost a promise, a frame and
   * an await more a request). Failures go through `fail`; a throw from there (a broken socket) only
   * ends this request.
   */
  function answer(
    req: IncomingMessage,
    res: ServerResponse,
    route: HttpRoute,
    params: Params,
    t0: bigint,
  ): void {
    const meta: InvokeMeta = {
      transport: route.transport ?? "rest",
      verb: route.verb,
      endpoint: route.endpoint,
      actor: header(req, "x-mlops-actor"),
      authorization: header(req, "authorization"),
      t0,
    };
    const failed = (e: unknown) => {
      try {
        fail(req, res, e, route.errors);
      } catch {
        res.destroy();
      }
    };
    let out: Promise<string | Reply>;
    try {
      if (route.kind === "rpc") {
        const request = route.decode(req, params);
        out = pipeline.invoke(route.service, route.method, route.call, request, meta);
      } else {
        out = pipeline.serve(
          meta,
          () => route.answer(params, { accept: header(req, "accept") }),
          (r) => String(r.status),
        );
      }
    } catch (e) {
      failed(e);
      return;
    }
    out.then((o) => {
      try {
        write(res, route, o);
      } catch (e) {
        failed(e);
      }
    }, failed);
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const t0 = process.hrtime.bigint();
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const found = resolve(req.method ?? "GET", path);
    if (found) answer(req, res, found.route, found.params, t0);
    else connect(req, res, path, t0);
  }

  let closing = false;
  const sockets = new Set<TrackedSocket>();
  const server = createServer({ keepAlive: true }, (req, res) => {
    const socket = req.socket as TrackedSocket;
    socket[ACTIVE] = (socket[ACTIVE] ?? 0) + 1;
    // `on`, not `once`: a response closes once, and once's wrapper cost a bound function a request.
    res.on("close", requestDone);
    // Draining: answer, then let this socket go (Node closes it after a `connection: close` reply).
    if (closing) res.setHeader("connection", "close");
    handle(req, res);
  });
  server.on("connection", (socket: TrackedSocket) => {
    socket[ACTIVE] = 0;
    socket[READ_WHEN_IDLE] = 0;
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  server.keepAliveTimeout = 65_000;

  /**
   * Closes the sockets that are idle by our own count: no request in flight, and not a byte read
   * since the last response ended (so no request half-received either). Node's own
   * closeIdleConnections() would also close a socket whose request is read but not yet parsed.
   */
  function closeIdleSockets(): void {
    for (const socket of sockets) {
      if (socket[ACTIVE] === 0 && socket.bytesRead === socket[READ_WHEN_IDLE]) socket.destroy();
    }
  }

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
        let sweep: NodeJS.Timeout | undefined;
        const done = () => {
          clearTimeout(settle);
          clearTimeout(timer);
          clearInterval(sweep);
          resolve();
        };
        // Past the deadline, whatever is still open is cut.
        const timer = setTimeout(() => {
          for (const socket of sockets) socket.destroy();
          done();
        }, timeoutMs);
        timer.unref();
        // A request's bytes may still be in the network or unread in the kernel (the event loop was
        // busy) when the listener closes: closing its socket then would drop a request sent in time.
        // So idle sockets are closed only after DRAIN_SETTLE_MS, and each sweep waits one more I/O
        // poll (setImmediate), so that whatever had arrived is read, and counts, first.
        const closeIdle = () => setImmediate(closeIdleSockets);
        const settle = setTimeout(() => {
          closeIdle();
          sweep = setInterval(closeIdle, DRAIN_SWEEP_MS);
        }, DRAIN_SETTLE_MS);
        // net.Server's close, not http.Server's: that one also closes idle connections at once.
        netClose.call(server, done);
      });
    },
  };
}
