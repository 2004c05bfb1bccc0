// Calling a transport-free service method from the CLI: the CLI is one more transport ("cli"), so
// `--json` prints exactly what REST would return for the same call.
import {
  create,
  type DescMessage,
  type DescMethodUnary,
  type MessageInitShape,
  type MessageShape,
  toJson,
} from "@bufbuild/protobuf";
import type { CallContext, UnaryImpl } from "../rpc/context.js";

export async function call<M extends DescMethodUnary>(
  method: M,
  impl: UnaryImpl<M>,
  request: MessageInitShape<M["input"]>,
  ctx: CallContext,
): Promise<MessageShape<M["output"]>> {
  const message = create(method.input, request) as MessageShape<M["input"]>;
  return create(method.output, await impl(message, ctx)) as MessageShape<M["output"]>;
}

/** The response in the API's JSON form (snake_case keys, enum names, int64 as strings). */
export function responseJson<M extends DescMethodUnary>(
  method: M,
  response: MessageShape<M["output"]>,
): unknown {
  return toJson(method.output, response);
}

/** JSON of a message built here (e.g. every page of a listing in one response). */
export function messageJson<D extends DescMessage>(schema: D, init: MessageInitShape<D>): unknown {
  return toJson(schema, create(schema, init));
}
