import type { IncomingMessage, ServerResponse } from "node:http";
import type { DescMessage, DescMethodUnary, JsonReadOptions } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createConnectRouter,
  createContextKey,
  createContextValues,
  type HandlerContext,
} from "@connectrpc/connect";
import type { UniversalHandler, UniversalServerResponse } from "@connectrpc/connect/protocol";
import {
  compressionBrotli,
  compressionGzip,
  universalRequestFromNodeRequest,
  universalResponseToNodeResponse,
} from "@connectrpc/connect-node";
import { methodImpl, type ServiceBinding } from "../../rpc/binding.js";
import { codeOfHttpStatus } from "../../rpc/code.js";
import { invalidArgument, ServiceError } from "../../rpc/service-error.js";
import { normalizeEnumSpellings, reachesEnum } from "../../services/mapping/enum-spelling.js";
import type { Pipeline } from "../pipeline.js";
import { connectError } from "./connect-error.js";
import { createConnectUnary } from "./connect-unary.js";
import { decodeError } from "./decode-error.js";

export interface ConnectHandlerOptions {
  bindings: readonly ServiceBinding[];
  pipeline: Pipeline;
  /** Largest accepted request message, in bytes. */
  maxMessageBytes: number;
  /** Procedures (`/pkg.Service/Method`) that take larger messages, up to `maxBytes` (model imports). */
  large?: { paths: ReadonlySet<string>; maxBytes: number };
  /** Serve Connect's unary POSTs on the lean adapter (connect-unary.ts). Default true. */
  lean?: boolean;
  /** Writes an error as the HTTP port's JSON error body. */
  sendError: (res: ServerResponse, err: ServiceError, closeConnection?: boolean) => void;
}

/** Set by our handler once it has recorded the call; connect-node's own refusals leave it unset. */
const RECORDED = createContextKey<{ done: boolean }>({ done: true }, { description: "mlops call recorded" });

/** Connect and gRPC-Web for every service, on the plain HTTP port, through the same pipeline. */
export function createConnectHandler(
  options: ConnectHandlerOptions,
): (req: IncomingMessage, res: ServerResponse, path: string, t0: bigint) => void {
  const { pipeline } = options;
  const markers = new WeakMap<IncomingMessage, { done: boolean }>();
  // Only known RPC paths become metric labels: arbitrary URLs must not grow the label set.
  const known = new Set(
    options.bindings.flatMap((b) => b.service.methods.map((m) => `/${b.service.typeName}/${m.name}`)),
  );
  const protocols = { connect: true, grpcWeb: true, grpc: false } as const;
  const router = createConnectRouter({
    ...protocols,
    acceptCompression: [compressionGzip, compressionBrotli],
    readMaxBytes: Math.max(options.maxMessageBytes, options.large?.maxBytes ?? 0),
  });
  for (const binding of options.bindings) {
    const impl: Record<string, (req: unknown, hctx: HandlerContext) => Promise<unknown>> = {};
    for (const method of binding.service.methods) {
      if (method.methodKind !== "unary") continue;
      const m = method as DescMethodUnary;
      const invoke = methodImpl(binding, m);
      const endpoint = `/${binding.service.typeName}/${m.name}`;
      impl[m.localName] = async (req, hctx) => {
        hctx.values.get(RECORDED).done = true;
        const type = hctx.requestHeader.get("content-type") ?? "";
        try {
          return await pipeline.invoke(binding.service, m, invoke, req, {
            transport: type.startsWith("application/grpc-web") ? "grpc-web" : "connect",
            verb: hctx.requestMethod,
            endpoint,
            actor: hctx.requestHeader.get("x-mlops-actor") ?? undefined,
            authorization: hctx.requestHeader.get("authorization") ?? undefined,
            signal: hctx.signal,
          });
        } catch (e) {
          throw connectError(e as ServiceError);
        }
      };
    }
    router.service(binding.service, impl as never);
    // Methods whose input has enum fields read JSON through the spellings REST takes (registered
    // again, with their own JSON options; the later handler of a path wins below).
    for (const method of binding.service.methods) {
      if (method.methodKind === "unary" && reachesEnum(method.input)) {
        // connect-es's JSON serialization takes its text decoder from these options.
        const jsonOptions: Partial<JsonReadOptions> & { textDecoder: TextDecoderLike } = {
          textDecoder: enumSpellingDecoder(method.input),
        };
        router.rpc(method, impl[method.localName] as never, { ...protocols, jsonOptions });
      }
    }
  }
  const handlers = new Map<string, UniversalHandler>();
  for (const h of router.handlers) handlers.set(h.requestPath, h);
  const adapter = (req: IncomingMessage, res: ServerResponse): void => {
    const handler = handlers.get((req.url ?? "").split("?", 2)[0] ?? "");
    if (!handler) {
      res.writeHead(404).end();
      return;
    }
    const marker = markers.get(req) ?? { done: true };
    const uReq = universalRequestFromNodeRequest(
      req,
      res,
      undefined,
      createContextValues().set(RECORDED, marker),
    );
    handler(uReq)
      .then((uRes) =>
        marker.done
          ? universalResponseToNodeResponse(uRes, res)
          : namedDecodeError(handler.method.input, uRes).then((r) => universalResponseToNodeResponse(r, res)),
      )
      .catch((reason) => {
        if (ConnectError.from(reason).code === Code.Aborted) return;
        res.destroy(reason as Error);
      });
  };
  // Connect's unary POSTs are served by the lean adapter; what it leaves goes through connect-node.
  const lean = options.lean === false ? () => false : createConnectUnary(options);
  // Requests connect-node refuses before our handler runs (undecodable body, wrong content type,
  // unknown method) are recorded here, from the HTTP status, so error rates see them too.
  // `path` is the URL's path, `t0` when the server took the request.
  return (req, res, path, t0) => {
    // Refuse oversized bodies before connect-node reads them, and close the connection, so an
    // unread remainder can never be taken for the next request on a keep-alive socket.
    const declared = Number(req.headers["content-length"] ?? 0);
    const large = options.large?.paths.has(path) ?? false;
    const limit = large ? (options.large?.maxBytes ?? 0) : options.maxMessageBytes;
    if (declared <= limit && lean(req, res, path, t0)) return;
    if (declared > limit) {
      const err = invalidArgument(
        "body",
        `at most ${limit} bytes (${large ? "MLOPS_MAX_IMPORT_BYTES" : "MLOPS_MAX_BODY_BYTES"})`,
        `${declared} bytes`,
      );
      options.sendError(res, err, true);
      req.resume();
    }
    const marker = { done: false };
    markers.set(req, marker);
    res.once("finish", () => {
      if (marker.done) return;
      const type = String(req.headers["content-type"] ?? "");
      const transport = type.startsWith("application/grpc-web") ? "grpc-web" : "connect";
      const code =
        res.statusCode === 400 && declared > limit ? "INVALID_ARGUMENT" : codeOfHttpStatus(res.statusCode);
      pipeline.refused(
        { transport, verb: req.method ?? "POST", endpoint: known.has(path) ? path : "unmatched", t0 },
        new ServiceError(code, `refused by the Connect protocol layer (HTTP ${res.statusCode})`),
      );
    });
    if (declared <= limit) adapter(req, res);
  };
}

/** UTF-8 → JSON text with enum values spelled as proto3 JSON wants them (src/services/mapping/enum-spelling.ts). */
interface TextDecoderLike {
  decode(bytes?: Uint8Array): string;
}

function enumSpellingDecoder(input: DescMessage): TextDecoderLike {
  const utf8 = new TextDecoder();
  return {
    decode(bytes) {
      const text = utf8.decode(bytes);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return text; // the decoder reports malformed JSON
      }
      try {
        normalizeEnumSpellings(input, json);
      } catch (e) {
        throw connectError(e as ServiceError);
      }
      return JSON.stringify(json);
    },
  };
}

/**
 * A Connect JSON request body that protobuf-es could not decode: the error names the field as REST
 * does (decodeError), read from the message connect-node answered with. Only the refused path pays.
 */
async function namedDecodeError(
  input: DescMessage,
  uRes: UniversalServerResponse,
): Promise<UniversalServerResponse> {
  const type = uRes.header?.get("content-type") ?? "";
  if (
    uRes.status !== 400 ||
    type !== "application/json" ||
    uRes.header?.has("content-encoding") ||
    !uRes.body
  ) {
    return uRes;
  }
  const chunks: Uint8Array[] = [];
  for await (const chunk of uRes.body as AsyncIterable<Uint8Array>) chunks.push(chunk);
  const original = Buffer.concat(chunks);
  let body: { code?: string; message?: string } | undefined;
  try {
    body = JSON.parse(original.toString("utf8"));
  } catch {}
  if (body?.code !== "invalid_argument" || !body.message?.startsWith("cannot decode ")) {
    return {
      ...uRes,
      body: (async function* () {
        yield original;
      })(),
    };
  }
  const err = decodeError(input, new Error(body.message));
  const text = Buffer.from(JSON.stringify(err.toJSON()));
  const header = new Headers(uRes.header);
  header.set("content-length", String(text.byteLength));
  for (const [k, v] of Object.entries(err.metadata)) header.set(k, v);
  return {
    ...uRes,
    header,
    body: (async function* () {
      yield new Uint8Array(text);
    })(),
  };
}
