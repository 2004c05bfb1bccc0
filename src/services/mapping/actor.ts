// Who a mutation is recorded as: the transport's caller identity, or "anonymous" when it has none.
import type { CallContext } from "../../rpc/context.js";

/** Actor recorded when the transport established none: the store requires a non-blank one. */
export const ANONYMOUS_ACTOR = "anonymous";

export const actorOf = (ctx: CallContext): string => (ctx.actor.trim() === "" ? ANONYMOUS_ACTOR : ctx.actor);
