import { type DescMethodUnary, type DescService, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";

/** A grpc-js ServiceDefinition straight from protobuf-es descriptors: no protobuf.js, one codec. */
export function grpcServiceDefinition(service: DescService): ServiceDefinition {
  const def: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    if (method.methodKind !== "unary") continue;
    const m = method as DescMethodUnary;
    def[m.localName] = {
      path: `/${service.typeName}/${m.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (msg) => Buffer.from(toBinary(m.input, msg as never)),
      requestDeserialize: (buf) => fromBinary(m.input, buf),
      responseSerialize: (msg) => Buffer.from(toBinary(m.output, msg as never)),
      responseDeserialize: (buf) => fromBinary(m.output, buf),
    };
  }
  return def;
}
