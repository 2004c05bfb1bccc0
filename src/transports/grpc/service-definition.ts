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
}

/** A grpc-js ServiceDefinition straight from protobuf-es descriptors: no protobuf.js, one codec. */
export function grpcServiceDefinition(
  service: DescService,
  options: ServiceDefinitionOptions = {},
): ServiceDefinition {
  const def: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    if (method.methodKind !== "unary") continue;
    const m = method as DescMethodUnary;
    const decode = (buf: Buffer) => fromBinary(m.input, buf);
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
      responseSerialize: (msg) => Buffer.from(toBinary(m.output, msg as never)),
      responseDeserialize: (buf) => fromBinary(m.output, buf),
    };
  }
  return def;
}
