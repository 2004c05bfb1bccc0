import { create, type DescMethodUnary } from "@bufbuild/protobuf";
import {
  Metadata,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type sendUnaryData,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import { methodImpl, type ServiceBinding } from "../../rpc/binding.js";
import type { ServiceError } from "../../rpc/service-error.js";
import type { Pipeline } from "../pipeline.js";
import { addReflection } from "./reflection.js";
import { grpcServiceDefinition } from "./service-definition.js";

export interface GrpcServerOptions {
  bindings: readonly ServiceBinding[];
  pipeline: Pipeline;
  /** Largest message accepted and sent, in bytes. Default 4 MiB (grpc-js's own default). */
  maxMessageBytes?: number;
  /** Largest message received, when above maxMessageBytes (model imports). Default maxMessageBytes. */
  maxReceiveBytes?: number;
}

export interface GrpcServer {
  readonly server: Server;
  readonly health: HealthImplementation;
  listen(host: string, port: number): Promise<number>;
  /** Stops accepting, lets in-flight calls finish for up to `timeoutMs`, then cancels the rest. */
  close(timeoutMs: number): Promise<void>;
}

function header(md: Metadata, key: string): string | undefined {
  const v = md.get(key)[0];
  return typeof v === "string" ? v : undefined;
}

function unaryHandler(binding: ServiceBinding, method: DescMethodUnary, pipeline: Pipeline) {
  const endpoint = `/${binding.service.typeName}/${method.name}`;
  const transport = binding.transport ?? "grpc";
  const invoke = methodImpl(binding, method);
  return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
    // No AbortSignal per call: creating one costs more than a whole Predict, and no service
    // method is long enough to need it (large batches finish on native threads regardless).
    pipeline
      .invoke(binding.service, method, invoke, call.request, {
        transport,
        verb: "POST",
        endpoint,
        actor: header(call.metadata, "x-mlops-actor"),
        authorization: header(call.metadata, "authorization"),
      })
      .then(
        (out) => callback(null, create(method.output, out as never)),
        (err: ServiceError) => {
          const trailer = new Metadata();
          for (const [k, v] of Object.entries(err.metadata)) trailer.set(k, v);
          callback({ code: err.grpcCode, details: err.message, metadata: trailer });
        },
      );
  };
}

/** grpc-js serving our services with protobuf-es codecs, plus grpc.health.v1 and reflection. */
export function createGrpcServer(options: GrpcServerOptions): GrpcServer {
  const max = options.maxMessageBytes ?? 4 * 1024 * 1024;
  const server = new Server({
    "grpc.max_receive_message_length": Math.max(max, options.maxReceiveBytes ?? 0),
    "grpc.max_send_message_length": max,
  });
  for (const binding of options.bindings) {
    const impl: UntypedServiceImplementation = {};
    for (const method of binding.service.methods) {
      if (method.methodKind === "unary") {
        impl[method.localName] = unaryHandler(binding, method as DescMethodUnary, options.pipeline);
      }
    }
    server.addService(grpcServiceDefinition(binding.service), impl);
  }
  // The whole server is SERVING once it listens; each service's status is set by the app.
  const health = new HealthImplementation({ "": "SERVING" });
  health.addToServer(server);
  addReflection(
    server,
    options.bindings.map((b) => b.service),
  );

  return {
    server,
    health,
    listen(host, port) {
      return new Promise((resolve, reject) => {
        server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (err, bound) =>
          err ? reject(err) : resolve(bound),
        );
      });
    },
    close(timeoutMs) {
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, timeoutMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
