// Keeps the service layer to its one error type: whatever a method throws (a StoreError, a
// ServiceError, a bug) leaves it as a ServiceError, so direct callers (CLI, tests, other
// services) see the same codes the transports send.
import { toServiceError } from "../../rpc/service-error.js";

type AnyMethod = (request: never, ctx: never) => unknown;

export function withServiceErrors<T extends Record<string, AnyMethod>>(impl: T): T {
  const wrapped: Record<string, AnyMethod> = {};
  for (const [name, method] of Object.entries(impl)) {
    wrapped[name] = async (request: never, ctx: never) => {
      try {
        return await method(request, ctx);
      } catch (error) {
        throw toServiceError(error);
      }
    };
  }
  return wrapped as T;
}
