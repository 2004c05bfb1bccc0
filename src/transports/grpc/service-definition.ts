import { type DescMethodUnary, type DescService, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";
import { invalidArgument, type ServiceError } from "../../rpc/service-error.js";

/**
 * What a server's requestDeserialize returns for bytes that are not a valid message. grpc-js would
 * answer a throw with INTERNAL; the handler answers this with INVALID_ARGUMENT instead (the client
 * sent it).
 */
export class UndecodableRequest {
  constructor(readonly error: ServiceError) {}
}

export interface ServiceDefinitionOptions {
  /** Server side: a request that does not decode becomes an UndecodableRequest. Default false (throw). */
  markUndecodable?: boolean;
  /**
   * Server side: hand-written encoders by response message type name; each takes the message or
   * its init shape (so the handler need not `create` it) and writes toBinary's bytes.
   */
  encoders?: ReadonlyMap<string, (message: never) => Buffer>;
  /** Server side: hand-written decoders by request message type name, each returning fromBinary's message. */
  decoders?: ReadonlyMap<string, (bytes: Uint8Array) => unknown>;
}

/** A view of toBinary's bytes as a Buffer (grpc-js wants one), without copying them. */
const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** A grpc-js ServiceDefinition straight from protobuf-es descriptors: no protobuf.js, one codec. */
export function grpcServiceDefinition(
  service: DescService,
  options: ServiceDefinitionOptions = {},
): ServiceDefinition {
  const def: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    if (method.methodKind !== "unary") continue;
    const m = method as DescMethodUnary;
    const decode =
      options.decoders?.get(m.input.typeName) ?? ((buf: Uint8Array): unknown => fromBinary(m.input, buf));
    def[m.localName] = {
      path: `/${service.typeName}/${m.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (msg) => Buffer.from(toBinary(m.input, msg as never)),
      requestDeserialize: options.markUndecodable
        ? (buf) => {
            try {
              return decode(buf);
            } catch (err) {
              return new UndecodableRequest(
                invalidArgument("body", `a ${m.input.typeName} protobuf message`, (err as Error).message),
              );
            }
          }
        : decode,
      responseSerialize:
        (options.encoders?.get(m.output.typeName) as ((msg: unknown) => Buffer) | undefined) ??
        ((msg) => asBuffer(toBinary(m.output, msg as never))),
      responseDeserialize: (buf) => fromBinary(m.output, buf),
    };
  }
  return def;
}
