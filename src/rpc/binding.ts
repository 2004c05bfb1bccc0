import type { DescService } from "@bufbuild/protobuf";
import type { CallContext, Transport } from "./context.js";

/** A service descriptor with its transport-free implementation: what every transport serves. */
export interface ServiceBinding {
  service: DescService;
  // biome-ignore lint/suspicious/noExplicitAny: implementations are checked where they are built.
  impl: Record<string, (request: any, ctx: CallContext) => unknown>;
  /**
   * The `transport` its calls are recorded under, for a protocol of its own served on a shared port
   * (the Open Inference Protocol's gRPC service: "oip-grpc"). Default: the port's.
   */
  transport?: Transport;
}
