import type { DescMethodUnary, DescService, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";

/** The transport a call arrived on; for metrics and logs only, never for behaviour. */
export type Transport = "rest" | "grpc" | "connect" | "grpc-web" | "oip-rest" | "oip-grpc" | "mlflow" | "cli";

/** What a service method may know about its caller. Transports fill it; services never see HTTP or gRPC. */
export interface CallContext {
  transport: Transport;
  /** Who to record in audit events: the `x-mlops-actor` header, else a transport default. */
  actor: string;
  /** Aborted when the caller goes away or the deadline passes. */
  signal?: AbortSignal;
}

export type UnaryImpl<M extends DescMethodUnary> = (
  request: MessageShape<M["input"]>,
  ctx: CallContext,
) => Promise<MessageInitShape<M["output"]>> | MessageInitShape<M["output"]>;

/** A transport-free implementation of every unary method of service S, keyed by the method's localName. */
export type ServiceImpl<S extends DescService> = {
  [K in keyof S["method"]]: S["method"][K] extends DescMethodUnary ? UnaryImpl<S["method"][K]> : never;
};

/**
 * Reads are declared in the protos with `idempotency_level = NO_SIDE_EFFECTS`; everything else on
 * the Registry and Tracking services mutates state and needs the API token when one is set.
 */
export function isMutating(method: { idempotency: MethodOptions_IdempotencyLevel }): boolean {
  return method.idempotency !== MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS;
}
