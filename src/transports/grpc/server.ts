import type { Http2Server } from "node:http2";
import {
  type AddressInfo,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from "node:net";
import { create, type DescMethodUnary } from "@bufbuild/protobuf";
import {
  Metadata,
  type MethodDefinition,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type sendUnaryData,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import { methodImpl, type ServiceBinding } from "../../rpc/binding.js";
import type { ServiceError } from "../../rpc/service-error.js";
import { DRAIN_SETTLE_MS } from "../drain.js";
import type { Pipeline } from "../pipeline.js";
import { HAND_ENCODERS } from "../predict-response.js";
import { type LeanUnaryMethod, type LeanUnaryOptions, leanUnaryListener } from "./lean-unary.js";
import { addReflection } from "./reflection.js";
import { grpcServiceDefinition, UndecodableRequest } from "./service-definition.js";

export interface GrpcServerOptions {
  bindings: readonly ServiceBinding[];
  pipeline: Pipeline;
  /** Largest message accepted and sent, in bytes. Default 4 MiB (grpc-js's own default). */
  maxMessageBytes?: number;
  /** Largest message received, when above maxMessageBytes (model imports). Default maxMessageBytes. */
  maxReceiveBytes?: number;
  /**
   * Plain unary calls answered on grpc-js's HTTP/2 streams by lean-unary.ts (docs/decisions/0027).
   * Default true; false: every call through grpc-js's own handlers.
   */
  lean?: boolean;
}

export interface GrpcServer {
  readonly server: Server;
  readonly health: HealthImplementation;
  /** Whether unary calls are answered by the lean listener (lean-unary.ts) rather than grpc-js's. */
  readonly leanInstalled: boolean;
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
 * Responses written by hand (docs/decisions/0020, 0029): HAND_ENCODERS (PredictResponse, the reply of the hottest call),
 * plus whatever a binding brings (OIP's ModelInferResponse). Their handlers pass the service's
 * plain object on without `create`.
 */
const ENCODERS: ReadonlyMap<string, (message: never) => Buffer> = new Map(
  [...HAND_ENCODERS].map(([type, e]) => [type, e.binary]),
);

function encodersOf(binding: ServiceBinding): ReadonlyMap<string, (message: never) => Buffer> {
  return binding.encoders ? new Map([...ENCODERS, ...binding.encoders]) : ENCODERS;
}

/** One unary method on either front: grpc-js's handler or the lean stream listener (lean-unary.ts). */
interface UnaryCore {
  path: string;
  /** The decoded request (or UndecodableRequest) through the pipeline; rejects with a ServiceError. */
  run(request: unknown, actor: string | undefined, authorization: string | undefined): Promise<unknown>;
  /** The service's result as the response serializer takes it. */
  message(out: unknown): unknown;
}

function unaryCore(
  binding: ServiceBinding,
  method: DescMethodUnary,
  pipeline: Pipeline,
  encoders: ReadonlyMap<string, unknown>,
): UnaryCore {
  const endpoint = `/${binding.service.typeName}/${method.name}`;
  const transport = binding.transport ?? "grpc";
  const invoke = methodImpl(binding, method);
  const message = encoders.has(method.output.typeName)
    ? (out: unknown) => out
    : (out: unknown) => create(method.output, out as never);
  return {
    path: endpoint,
    message,
    run(request, actor, authorization) {
      // No AbortSignal per call: creating one costs more than a whole Predict, and no service
      // method is long enough to need it (large batches finish on native threads regardless).
      // A message that did not decode is the client's error, recorded and answered like any other.
      const input = request instanceof UndecodableRequest ? Promise.reject(request.error) : request;
      return pipeline.invoke(binding.service, method, invoke, input, {
        transport,
        verb: "POST",
        endpoint,
        actor,
        authorization,
      });
    },
  };
}

/** What grpc-js answers for a ServiceError: its code, message and metadata as trailers. */
function errorStatus(err: ServiceError): { code: number; details: string; metadata: Metadata } {
  const trailer = new Metadata();
  for (const [k, v] of Object.entries(err.metadata)) trailer.set(k, v);
  return { code: err.grpcCode, details: err.message, metadata: trailer };
}

function grpcJsHandler(core: UnaryCore) {
  return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
    core
      .run(call.request, header(call.metadata, "x-mlops-actor"), header(call.metadata, "authorization"))
      .then(
        (out) => callback(null, core.message(out)),
        (err: ServiceError) => callback(errorStatus(err)),
      );
  };
}

function leanMethod(core: UnaryCore, definition: MethodDefinition<unknown, unknown>): LeanUnaryMethod {
  const { requestDeserialize: decode, responseSerialize: encode } = definition;
  return (bytes, actor, authorization, reply) => {
    core.run(decode(bytes), actor, authorization).then(
      (out) => {
        let ok: Buffer;
        try {
          ok = encode(core.message(out));
        } catch {
          // As grpc-js answers a serializer's throw.
          reply({ code: 13, details: "Error serializing response" });
          return;
        }
        reply({ ok });
      },
      (err: ServiceError) => reply(errorStatus(err)),
    );
  };
}

/**
 * Puts the lean listener in front of grpc-js's own `stream` listener on the HTTP/2 server that
 * createConnectionInjector made (grpc-js keeps it in a private map; the version is pinned and a
 * test checks the hook). Without that server or listener, grpc-js serves every call as before.
 */
function installLean(server: Server, options: LeanUnaryOptions): boolean {
  const servers = (server as unknown as { http2Servers?: Map<Http2Server, unknown> }).http2Servers;
  if (!(servers instanceof Map) || servers.size !== 1) return false;
  const http2 = [...servers.keys()][0] as Http2Server;
  const listeners = http2.listeners("stream");
  if (listeners.length !== 1) return false;
  const grpcJs = listeners[0] as (...args: unknown[]) => void;
  http2.removeListener("stream", grpcJs);
  http2.on(
    "stream",
    leanUnaryListener(options, (...args) => grpcJs.apply(http2, args)),
  );
  return true;
}

/** grpc-js serving our services with protobuf-es codecs, plus grpc.health.v1 and reflection. */
export function createGrpcServer(options: GrpcServerOptions): GrpcServer {
  const max = options.maxMessageBytes ?? 4 * 1024 * 1024;
  const receiveMax = Math.max(max, options.maxReceiveBytes ?? 0);
  const server = new Server({
    "grpc.max_receive_message_length": receiveMax,
    "grpc.max_send_message_length": max,
  });
  const lean = new Map<string, LeanUnaryMethod>();
  for (const binding of options.bindings) {
    const impl: UntypedServiceImplementation = {};
    const encoders = encodersOf(binding);
    const definition = grpcServiceDefinition(binding.service, {
      markUndecodable: true,
      encoders,
      decoders: binding.decoders,
    });
    for (const method of binding.service.methods) {
      if (method.methodKind === "unary") {
        const core = unaryCore(binding, method as DescMethodUnary, options.pipeline, encoders);
        impl[method.localName] = grpcJsHandler(core);
        lean.set(
          core.path,
          leanMethod(core, definition[method.localName] as MethodDefinition<unknown, unknown>),
        );
      }
    }
    server.addService(definition, impl);
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
  const leanInstalled =
    options.lean !== false &&
    installLean(server, { methods: lean, maxReceiveBytes: receiveMax, maxSendBytes: max });
  let listener: NetServer | undefined;
  const sockets = new Set<Socket>();

  return {
    server,
    health,
    leanInstalled,
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
