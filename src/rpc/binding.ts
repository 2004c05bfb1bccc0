import type { DescMethod, DescService } from "@bufbuild/protobuf";
import type { CallContext, Transport } from "./context.js";

/** One method's transport-free implementation. */
// biome-ignore lint/suspicious/noExplicitAny: implementations are checked where they are built.
export type MethodImpl = (request: any, ctx: CallContext) => unknown;

/** A service descriptor with its transport-free implementation: what every transport serves. */
export interface ServiceBinding {
  service: DescService;
  impl: Record<string, MethodImpl>;
  /**
   * The `transport` its calls are recorded under, for a protocol of its own served on a shared port
   * (the Open Inference Protocol's gRPC service: "oip-grpc"). Default: the port's.
   */
  transport?: Transport;
  /**
   * Hand-written binary encoders of response messages, by message type name, for methods that
   * return a plain value such an encoder takes instead of a protobuf-es message (decision 0020).
   * Default: none; the transport's own encoders and protobuf-es's `toBinary` for the rest.
   */
  encoders?: ReadonlyMap<string, (message: never) => Buffer>;
  /**
   * Hand-written binary decoders of request messages, by message type name: each returns the
   * message fromBinary would (and throws where it throws). Default: none; protobuf-es's `fromBinary`.
   */
  decoders?: ReadonlyMap<string, (bytes: Uint8Array) => unknown>;
}

/** The implementation of `method` in `binding`; throws when it lacks one, so a transport fails at startup. */
export function methodImpl(binding: ServiceBinding, method: DescMethod): MethodImpl {
  const impl = binding.impl[method.localName];
  if (!impl) throw new Error(`${binding.service.typeName} is bound without ${method.name}`);
  return impl;
}
