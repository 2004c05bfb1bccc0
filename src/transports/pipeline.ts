import { timingSafeEqual } from "node:crypto";
import type { DescMethodUnary, DescService } from "@bufbuild/protobuf";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import { type CallContext, isMutating, type Transport } from "../rpc/context.js";
import { ServiceError, toServiceError } from "../rpc/service-error.js";

export interface PipelineOptions {
  metrics: Metrics;
  logger: Logger;
  /** When set, mutating Registry/Tracking calls need `authorization: Bearer <token>`. */
  apiToken?: string;
  /** Services whose mutating methods need the token. Default Registry and Tracking. */
  protectedServices?: readonly string[];
}

/** One record per finished call, taken at the transport boundary. */
export interface CallRecord {
  transport: Transport;
  /** HTTP method label: the request's for REST, POST for RPC transports. */
  method: string;
  /** REST path or RPC path (`/mlops.v1.PredictService/Predict`). */
  endpoint: string;
  /**
   * HTTP status for REST, gRPC code name for RPC transports. Default: derived from `error`
   * (200 / OK without one).
   */
  status?: string;
  seconds: number;
  error?: ServiceError;
}

/**
 * What every transport does around a service call, written once: authorization, the caller's
 * context, error normalization, metrics and error logs.
 */
export interface Pipeline {
  /** Throws UNAUTHENTICATED when the method needs the token and `authorization` does not carry it. */
  authorize(service: DescService, method: DescMethodUnary, authorization: string | undefined): void;
  context(transport: Transport, actor: string | undefined, signal?: AbortSignal): CallContext;
  /** Runs a unary call: authorize, invoke, normalize errors. Does not record. */
  call<I, O>(
    service: DescService,
    method: DescMethodUnary,
    invoke: (request: I, ctx: CallContext) => Promise<O> | O,
    request: I,
    ctx: CallContext,
    authorization: string | undefined,
  ): Promise<O>;
  record(call: CallRecord): void;
  /** `call`, timed from `meta.t0` and recorded once, whether it succeeds or fails (rethrown). */
  invoke<I, O>(
    service: DescService,
    method: DescMethodUnary,
    invoke: (request: I, ctx: CallContext) => Promise<O> | O,
    request: I,
    meta: InvokeMeta,
  ): Promise<O>;
}

/** Where a call came from, for context, auth and the record. */
export interface InvokeMeta {
  transport: Transport;
  /** HTTP method label (POST for gRPC). */
  verb: string;
  endpoint: string;
  actor?: string;
  authorization?: string;
  signal?: AbortSignal;
  /** When the transport started on it (process.hrtime.bigint()). Default: now. */
  t0?: bigint;
}

function statusOf(transport: Transport, error: ServiceError | undefined): string {
  if (transport === "rest") return String(error ? error.httpStatus : 200);
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

  return {
    authorize,
    context,
    call,
    record,
    async invoke(service, method, invoke, request, meta) {
      const t0 = meta.t0 ?? process.hrtime.bigint();
      const ctx = context(meta.transport, meta.actor, meta.signal);
      let error: ServiceError | undefined;
      try {
        return await call(service, method, invoke, request, ctx, meta.authorization);
      } catch (e) {
        error = e as ServiceError;
        throw e;
      } finally {
        const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        record({ transport: meta.transport, method: meta.verb, endpoint: meta.endpoint, seconds, error });
      }
    },
  };

  function context(transport: Transport, actor: string | undefined, signal?: AbortSignal): CallContext {
    return { transport, actor: actor && actor.length <= 200 ? actor : `api:${transport}`, signal };
  }

  async function call<I, O>(
    service: DescService,
    method: DescMethodUnary,
    invoke: (request: I, ctx: CallContext) => Promise<O> | O,
    request: I,
    ctx: CallContext,
    authorization: string | undefined,
  ): Promise<O> {
    try {
      authorize(service, method, authorization);
      return await invoke(request, ctx);
    } catch (err) {
      throw toServiceError(err);
    }
  }

  function record(call: CallRecord): void {
    const status = call.status ?? statusOf(call.transport, call.error);
    metrics.requests.inc({
      method: call.method,
      endpoint: call.endpoint,
      status,
      transport: call.transport,
    });
    metrics.requestDuration.observe(
      { method: call.method, endpoint: call.endpoint, transport: call.transport },
      call.seconds,
    );
    if (call.error) {
      metrics.errors.inc({ type: call.error.code.toLowerCase(), transport: call.transport });
      const level = call.error.code === "INTERNAL" || call.error.code === "DATA_LOSS" ? "error" : "debug";
      logger[level](
        {
          err: call.error.cause ?? call.error,
          code: call.error.code,
          endpoint: call.endpoint,
          transport: call.transport,
        },
        call.error.message,
      );
    }
  }
}
