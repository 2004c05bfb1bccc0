import { type Code, ConnectError } from "@connectrpc/connect";
import { codeNameOf } from "../../rpc/code.js";
import { ServiceError } from "../../rpc/service-error.js";

/** The one mapping of a ServiceError to Connect's: code, message, and its metadata as headers. */
export function connectError(err: ServiceError): ConnectError {
  return new ConnectError(err.message, err.grpcCode as Code, new Headers(err.metadata), undefined, err);
}

/**
 * A protocol error connect's helpers raise (a bad timeout header, a body that does not decompress)
 * → ServiceError with the same code; anything else is left to toServiceError.
 */
export function fromConnectError(err: unknown): unknown {
  if (!(err instanceof ConnectError)) return err;
  return new ServiceError(codeNameOf(err.code) ?? "UNKNOWN", err.rawMessage, { cause: err });
}
