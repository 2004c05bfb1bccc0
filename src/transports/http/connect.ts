import type { DescMethodUnary } from "@bufbuild/protobuf";
import { type Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { ServiceError } from "../../services/errors.js";
import type { ServiceBinding } from "../grpc/server.js";
import type { Pipeline } from "../pipeline.js";

export interface ConnectHandlerOptions {
  bindings: readonly ServiceBinding[];
  pipeline: Pipeline;
  /** Largest accepted request message, in bytes. */
  maxMessageBytes: number;
}

/** Connect and gRPC-Web for every service, on the plain HTTP port, through the same pipeline. */
export function createConnectHandler(options: ConnectHandlerOptions): ReturnType<typeof connectNodeAdapter> {
  const { pipeline } = options;
  return connectNodeAdapter({
    connect: true,
    grpcWeb: true,
    grpc: false,
    readMaxBytes: options.maxMessageBytes,
    routes(router: ConnectRouter) {
      for (const binding of options.bindings) {
        const impl: Record<string, (req: unknown, hctx: HandlerContext) => Promise<unknown>> = {};
        for (const method of binding.service.methods) {
          if (method.methodKind !== "unary") continue;
          const m = method as DescMethodUnary;
          const invoke = binding.impl[m.localName];
          const endpoint = `/${binding.service.typeName}/${m.name}`;
          impl[m.localName] = async (req, hctx) => {
            const t0 = process.hrtime.bigint();
            const type = hctx.requestHeader.get("content-type") ?? "";
            const transport = type.startsWith("application/grpc-web") ? "grpc-web" : "connect";
            const ctx = pipeline.context(
              transport,
              hctx.requestHeader.get("x-mlops-actor") ?? undefined,
              hctx.signal,
            );
            const seconds = () => Number(process.hrtime.bigint() - t0) / 1e9;
            try {
              const out = await pipeline.call(
                binding.service,
                m,
                invoke,
                req,
                ctx,
                hctx.requestHeader.get("authorization") ?? undefined,
              );
              pipeline.record({
                transport,
                method: hctx.requestMethod,
                endpoint,
                status: "OK",
                seconds: seconds(),
              });
              return out;
            } catch (e) {
              const err = e as ServiceError;
              pipeline.record({
                transport,
                method: hctx.requestMethod,
                endpoint,
                status: err.code,
                seconds: seconds(),
                error: err,
              });
              const meta = new Headers();
              if (err.retryAfterSeconds !== undefined) meta.set("retry-after", String(err.retryAfterSeconds));
              if (err.violation) meta.set("x-mlops-field", err.violation.field);
              throw new ConnectError(err.message, err.grpcCode as Code, meta, undefined, err);
            }
          };
        }
        router.service(binding.service, impl as never);
      }
    },
  });
}
