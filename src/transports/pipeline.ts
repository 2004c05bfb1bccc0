import { timingSafeEqual } from "node:crypto";
import type { DescMethodUnary, DescService } from "@bufbuild/protobuf";
import type { BoundCounter, BoundHistogram } from "../observability/bound-series.js";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import { oipHttpStatusOf } from "../rpc/code.js";
import { type CallContext, isMutating, type Transport } from "../rpc/context.js";
import { ServiceError, toServiceError } from "../rpc/service-error.js";
import { mlflowStatusOf } from "./mlflow/errors.js";

export interface PipelineOptions {
  metrics: Metrics;
  logger: Logger;
  /** When set, mutating Registry/Tracking calls need `authorization: Bearer <token>`. */
  apiToken?: string;
  /** Services whose mutating methods need the token. Default Registry and Tracking. */
  protectedServices?: readonly string[];
}

/** Where a call came from, for context, auth and the record. */
export interface InvokeMeta {
  transport: Transport;
  /** The `method` label: the request's HTTP method (POST for gRPC). */
  verb: string;
  /** The `endpoint` label: a REST route's template, an RPC path, or "unmatched"; never a raw URL. */
  endpoint: string;
  actor?: string;
  authorization?: string;
  signal?: AbortSignal;
  /** When the transport started on it (process.hrtime.bigint()). Default: now. */
  t0?: bigint;
}

/**
 * What every transport does around a request, written once: the caller's context, authorization,
 * error normalization, and the one record (metrics and error logs) per request. Transports never
 * record by hand.
 */
export interface Pipeline {
  /**
   * One unary RPC: authorize, run `impl`, normalize any failure to a ServiceError (rethrown); timed
   * from `meta.t0` and recorded once, success or failure. `request` may still be a promise while the
   * transport decodes it (REST reads and parses the body first): a decode failure is recorded like
   * any other, and is answered before authorization, as grpc-js and connect-node decode first too.
   */
  invoke<I, O>(
    service: DescService,
    method: DescMethodUnary,
    impl: (request: I, ctx: CallContext) => Promise<O> | O,
    request: I | Promise<I>,
    meta: InvokeMeta,
  ): Promise<O>;
  /**
   * A route a transport answers itself, with no RPC behind it (REST's /health, /metrics, 404, 405):
   * normalized, timed and recorded exactly like `invoke`. `statusOf` labels a success that is not
   * 200 / OK (an unhealthy /health answers 503 without failing).
   */
  serve<O>(meta: InvokeMeta, work: () => Promise<O> | O, statusOf?: (out: O) => string): Promise<O>;
  /** A request a library refused before any handler of ours ran (connect-node's own 4xx). */
  refused(meta: InvokeMeta, error: ServiceError): void;
}

function statusOf(transport: Transport, error: ServiceError | undefined): string {
  // "200" as a constant: String(200) is a new string, hashed again by every label lookup.
  if (transport === "rest") return error ? String(error.httpStatus) : "200";
  if (transport === "oip-rest") return String(error ? oipHttpStatusOf(error.code) : 200);
  if (transport === "mlflow") return String(error ? mlflowStatusOf(error.code) : 200);
  return error ? error.code : "OK";
}

const DEFAULT_PROTECTED = ["mlops.v1.RegistryService", "mlops.v1.TrackingService"];

export function createPipeline(options: PipelineOptions): Pipeline {
  const { metrics, logger } = options;
  const protectedServices = new Set(options.protectedServices ?? DEFAULT_PROTECTED);
  const expected = options.apiToken ? Buffer.from(options.apiToken) : undefined;

  function authorize(service: DescService, method: DescMethodUnary, authorization: string | undefined): void {
    if (!expected || !protectedServices.has(service.typeName) || !isMutating(method)) return;
    // The scheme is case-insensitive (RFC 7235); only the token is compared, in constant time.
    const got = Buffer.from(/^\s*bearer\s+(\S+)\s*$/i.exec(authorization ?? "")?.[1] ?? "");
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
      throw new ServiceError(
        "UNAUTHENTICATED",
        `${method.name} changes state and needs the header "authorization: Bearer <MLOPS_API_TOKEN>"`,
      );
    }
  }

  function context(meta: InvokeMeta): CallContext {
    const { transport, actor, signal } = meta;
    return { transport, actor: actor && actor.length <= 200 ? actor : `api:${transport}`, signal };
  }

  /**
   * Not async, and one `then` for work that returns a promise: an async function here cost a
   * promise, a saved frame and an await per request on the REST hot path.
   */
  function serve<O>(
    meta: InvokeMeta,
    work: () => Promise<O> | O,
    successStatus?: (out: O) => string,
  ): Promise<O> {
    const t0 = meta.t0 ?? process.hrtime.bigint();
    const done = (out: O): O => {
      let status: string | undefined;
      try {
        if (successStatus) status = successStatus(out);
      } catch (e) {
        throw failed(e);
      }
      record(meta, t0, undefined, status);
      return out;
    };
    const failed = (e: unknown): ServiceError => {
      const error = toServiceError(e);
      record(meta, t0, error);
      return error;
    };
    let out: Promise<O> | O;
    try {
      out = work();
    } catch (e) {
      return Promise.reject(failed(e));
    }
    if (out instanceof Promise || typeof (out as { then?: unknown } | null)?.then === "function") {
      return Promise.resolve(out).then(done, (e: unknown) => {
        throw failed(e);
      });
    }
    try {
      return Promise.resolve(done(out));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * The bound metric series of one route (transport, verb, endpoint): looked up by three Map gets
   * instead of prom-client hashing its labels on every request. Endpoints are route templates or
   * "unmatched", never raw URLs, so the set stays small.
   */
  interface RouteSeries {
    duration: BoundHistogram;
    byStatus: Map<string, BoundCounter>;
  }
  const series = new Map<string, Map<string, Map<string, RouteSeries>>>();

  function seriesOf(transport: Transport, method: string, endpoint: string): RouteSeries {
    let byVerb = series.get(transport);
    if (!byVerb) {
      byVerb = new Map();
      series.set(transport, byVerb);
    }
    let byEndpoint = byVerb.get(method);
    if (!byEndpoint) {
      byEndpoint = new Map();
      byVerb.set(method, byEndpoint);
    }
    let s = byEndpoint.get(endpoint);
    if (!s) {
      s = { duration: metrics.bindRequestDuration({ method, endpoint, transport }), byStatus: new Map() };
      byEndpoint.set(endpoint, s);
    }
    return s;
  }

  /** The one record site: a request counter, a duration, and for failures an error counter and a log. */
  function record(meta: InvokeMeta, t0: bigint, error: ServiceError | undefined, status?: string): void {
    const { transport, verb: method, endpoint } = meta;
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const s = seriesOf(transport, method, endpoint);
    const code = status ?? statusOf(transport, error);
    let requests = s.byStatus.get(code);
    if (!requests) {
      requests = metrics.bindRequests({ method, endpoint, status: code, transport });
      s.byStatus.set(code, requests);
    }
    requests.inc();
    s.duration.observe(seconds);
    if (error) {
      metrics.errors.inc({ type: error.code.toLowerCase(), transport });
      const level = error.code === "INTERNAL" || error.code === "DATA_LOSS" ? "error" : "debug";
      logger[level]({ err: error.cause ?? error, code: error.code, endpoint, transport }, error.message);
    }
  }

  function invoke<I, O>(
    service: DescService,
    method: DescMethodUnary,
    impl: (request: I, ctx: CallContext) => Promise<O> | O,
    request: I | Promise<I>,
    meta: InvokeMeta,
  ): Promise<O> {
    const run = (input: I) => {
      authorize(service, method, meta.authorization);
      return impl(input, context(meta));
    };
    return serve(meta, request instanceof Promise ? () => request.then(run) : () => run(request as I));
  }

  return {
    invoke,
    serve,
    refused(meta, error) {
      record(meta, meta.t0 ?? process.hrtime.bigint(), error);
    },
  };
}
