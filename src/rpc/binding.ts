import type { DescService } from "@bufbuild/protobuf";
import type { CallContext } from "./context.js";

/** A service descriptor with its transport-free implementation: what every transport serves. */
export interface ServiceBinding {
  service: DescService;
  // biome-ignore lint/suspicious/noExplicitAny: implementations are checked where they are built.
  impl: Record<string, (request: any, ctx: CallContext) => unknown>;
}
