import type { IncomingMessage, ServerResponse } from "node:http";
import type { DescMethodUnary } from "@bufbuild/protobuf";
import {
  type Code,
  ConnectError,
  type ConnectRouter,
  createContextKey,
  createContextValues,
  type HandlerContext,
} from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { methodImpl, type ServiceBinding } from "../../rpc/binding.js";
import { codeOfHttpStatus } from "../../rpc/code.js";
import { invalidArgument, ServiceError } from "../../rpc/service-error.js";
import type { Pipeline } from "../pipeline.js";

export interface ConnectHandlerOptions {
  bindings: readonly ServiceBinding[];
  pipeline: Pipeline;
  /** Largest accepted request message, in bytes. */
  maxMessageBytes: number;
  /** Procedures (`/pkg.Service/Method`) that take larger messages, up to `maxBytes` (model imports). */
  large?: { paths: ReadonlySet<string>; maxBytes: number };
  /** Writes an error as the HTTP port's JSON error body. */
  sendError: (res: ServerResponse, err: ServiceError, closeConnection?: boolean) => void;
}

/** Set by our handler once it has recorded the call; connect-node's own refusals leave it unset. */
const RECORDED = createContextKey<{ done: boolean }>({ done: true }, { description: "mlops call recorded" });

/** Connect and gRPC-Web for every service, on the plain HTTP port, through the same pipeline. */
export function createConnectHandler(
  options: ConnectHandlerOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const { pipeline } = options;
  const markers = new WeakMap<IncomingMessage, { done: boolean }>();
  // Only known RPC paths become metric labels: arbitrary URLs must not grow the label set.
  const known = new Set(
    options.bindings.flatMap((b) => b.service.methods.map((m) => `/${b.service.typeName}/${m.name}`)),
  );
  const adapter = connectNodeAdapter({
    contextValues: (req) =>
      createContextValues().set(RECORDED, markers.get(req as IncomingMessage) ?? { done: true }),
    connect: true,
    grpcWeb: true,
    grpc: false,
    readMaxBytes: Math.max(options.maxMessageBytes, options.large?.maxBytes ?? 0),
    routes(router: ConnectRouter) {
      for (const binding of options.bindings) {
        const impl: Record<string, (req: unknown, hctx: HandlerContext) => Promise<unknown>> = {};
        for (const method of binding.service.methods) {
          if (method.methodKind !== "unary") continue;
          const m = method as DescMethodUnary;
          const invoke = methodImpl(binding, m);
          const endpoint = `/${binding.service.typeName}/${m.name}`;
          impl[m.localName] = async (req, hctx) => {
            hctx.values.get(RECORDED).done = true;
            const type = hctx.requestHeader.get("content-type") ?? "";
            try {
              return await pipeline.invoke(binding.service, m, invoke, req, {
                transport: type.startsWith("application/grpc-web") ? "grpc-web" : "connect",
                verb: hctx.requestMethod,
                endpoint,
                actor: hctx.requestHeader.get("x-mlops-actor") ?? undefined,
                authorization: hctx.requestHeader.get("authorization") ?? undefined,
                signal: hctx.signal,
              });
            } catch (e) {
              const err = e as ServiceError;
              throw new ConnectError(
                err.message,
                err.grpcCode as Code,
                new Headers(err.metadata),
                undefined,
                err,
              );
            }
          };
        }
        router.service(binding.service, impl as never);
      }
    },
  });
  // Requests connect-node refuses before our handler runs (undecodable body, wrong content type,
  // unknown method) are recorded here, from the HTTP status, so error rates see them too.
  return (req, res) => {
    const t0 = process.hrtime.bigint();
    // Refuse oversized bodies before connect-node reads them, and close the connection, so an
    // unread remainder can never be taken for the next request on a keep-alive socket.
    const declared = Number(req.headers["content-length"] ?? 0);
    const large = options.large?.paths.has((req.url ?? "").split("?")[0] ?? "") ?? false;
    const limit = large ? (options.large?.maxBytes ?? 0) : options.maxMessageBytes;
    if (declared > limit) {
      const err = invalidArgument(
        "body",
        `at most ${limit} bytes (${large ? "MLOPS_MAX_IMPORT_BYTES" : "MLOPS_MAX_BODY_BYTES"})`,
        `${declared} bytes`,
      );
      options.sendError(res, err, true);
      req.resume();
    }
    const marker = { done: false };
    markers.set(req, marker);
    res.once("finish", () => {
      if (marker.done) return;
      const type = String(req.headers["content-type"] ?? "");
      const transport = type.startsWith("application/grpc-web") ? "grpc-web" : "connect";
      const code =
        res.statusCode === 400 && declared > limit ? "INVALID_ARGUMENT" : codeOfHttpStatus(res.statusCode);
      const path = (req.url ?? "").split("?")[0]!;
      pipeline.refused(
        { transport, verb: req.method ?? "POST", endpoint: known.has(path) ? path : "unmatched", t0 },
        new ServiceError(code, `refused by the Connect protocol layer (HTTP ${res.statusCode})`),
      );
    });
    if (declared <= limit) adapter(req, res);
  };
}
