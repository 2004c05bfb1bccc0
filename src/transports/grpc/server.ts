import {
  type AddressInfo,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from "node:net";
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
import { PredictResponseSchema } from "../../gen/mlops/v1/predict_pb.js";
import { methodImpl, type ServiceBinding } from "../../rpc/binding.js";
import type { ServiceError } from "../../rpc/service-error.js";
import { DRAIN_SETTLE_MS } from "../drain.js";
import type { Pipeline } from "../pipeline.js";
import { encodePredictResponse } from "./predict-response.js";
import { addReflection } from "./reflection.js";
import { grpcServiceDefinition, UndecodableRequest } from "./service-definition.js";

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
  /**
   * Stops accepting connections at once; calls on open connections are still taken for
   * DRAIN_SETTLE_MS (so that those sent just before are read), then every connection gets GOAWAY
   * (tryShutdown) and its calls finish, for up to `timeoutMs` in all; then forceShutdown cancels
   * the rest.
   */
  close(timeoutMs: number): Promise<void>;
}

function header(md: Metadata, key: string): string | undefined {
  const v = md.get(key)[0];
  return typeof v === "string" ? v : undefined;
}

/**
 * Responses written by hand (docs/decisions/0020): PredictResponse, the reply of the hottest call.
 * Their handlers pass the service's plain object on without `create`.
 */
const ENCODERS: ReadonlyMap<string, (message: never) => Buffer> = new Map([
  [PredictResponseSchema.typeName, encodePredictResponse],
]);

function unaryHandler(binding: ServiceBinding, method: DescMethodUnary, pipeline: Pipeline) {
  const endpoint = `/${binding.service.typeName}/${method.name}`;
  const transport = binding.transport ?? "grpc";
  const invoke = methodImpl(binding, method);
  const message = ENCODERS.has(method.output.typeName)
    ? (out: unknown) => out
    : (out: unknown) => create(method.output, out as never);
  return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
    // No AbortSignal per call: creating one costs more than a whole Predict, and no service
    // method is long enough to need it (large batches finish on native threads regardless).
    // A message that did not decode is the client's error, recorded and answered like any other.
    const request =
      call.request instanceof UndecodableRequest ? Promise.reject(call.request.error) : call.request;
    pipeline
      .invoke(binding.service, method, invoke, request, {
        transport,
        verb: "POST",
        endpoint,
        actor: header(call.metadata, "x-mlops-actor"),
        authorization: header(call.metadata, "authorization"),
      })
      .then(
        (out) => callback(null, message(out)),
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
    server.addService(
      grpcServiceDefinition(binding.service, { markUndecodable: true, encoders: ENCODERS }),
      impl,
    );
  }
  // The whole server is SERVING once it listens; each service's status is set by the app.
  const health = new HealthImplementation({ "": "SERVING" });
  health.addToServer(server);
  addReflection(
    server,
    options.bindings.map((b) => b.service),
  );

  // We own the listening socket and hand each connection to grpc-js, so that stopping the listener
  // and closing the connections (GOAWAY) are two steps: grpc-js's own unbind does both at once.
  const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
  let listener: NetServer | undefined;
  const sockets = new Set<Socket>();

  return {
    server,
    health,
    listen(host, port) {
      return new Promise((resolve, reject) => {
        const net = createNetServer((socket) => {
          sockets.add(socket);
          socket.once("close", () => sockets.delete(socket));
          injector.injectConnection(socket);
        });
        net.once("error", reject);
        net.listen(port, host, () => {
          net.off("error", reject);
          listener = net;
          resolve((net.address() as AddressInfo).port);
        });
      });
    },
    close(timeoutMs) {
      return new Promise((resolve) => {
        listener?.close();
        let forced = false;
        const timer = setTimeout(() => {
          forced = true;
          clearTimeout(settle);
          server.forceShutdown();
          resolve();
        }, timeoutMs);
        timer.unref();
        // After the settle time, one more I/O poll (setImmediate) reads what had arrived, so that
        // GOAWAY's last stream id covers every call sent before the listener closed.
        const settle = setTimeout(
          () =>
            setImmediate(() => {
              if (forced) return;
              server.tryShutdown(() => {
                clearTimeout(timer);
                resolve();
              });
            }),
          sockets.size === 0 ? 0 : Math.min(DRAIN_SETTLE_MS, timeoutMs),
        );
      });
    },
  };
}
