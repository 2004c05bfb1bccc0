import type { IncomingMessage, ServerResponse } from "node:http";
import { create, type DescMessage, type DescMethodUnary, toBinary, toJsonString } from "@bufbuild/protobuf";
import { compressionNegotiate } from "@connectrpc/connect/protocol";
import { errorToJsonBytes, parseContentType, parseTimeout } from "@connectrpc/connect/protocol-connect";
import { compressionBrotli, compressionGzip } from "@connectrpc/connect-node";
import { methodImpl, type ServiceBinding } from "../../rpc/binding.js";
import type { CallContext } from "../../rpc/context.js";
import { ServiceError, toServiceError } from "../../rpc/service-error.js";
import type { InvokeMeta, Pipeline } from "../pipeline.js";
import { HAND_ENCODERS } from "../predict-response.js";
import { BodyTooLarge, readBody, readBodyBytes } from "./body.js";
import { type ConnectDecoder, createConnectDecoder, isNamed, named } from "./connect-decode.js";
import { connectError, fromConnectError } from "./connect-error.js";

export interface ConnectUnaryOptions {
  bindings: readonly ServiceBinding[];
  pipeline: Pipeline;
  /** Largest accepted request message, in bytes. */
  maxMessageBytes: number;
  /** Procedures (`/pkg.Service/Method`) that take larger messages, up to `maxBytes` (model imports). */
  large?: { paths: ReadonlySet<string>; maxBytes: number };
}

/**
 * Answers `req` and returns true, or returns false (having read nothing) to leave it to connect-node.
 * `path` is the URL's path; `t0` when the server took the request.
 */
export type ConnectUnaryHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  t0: bigint,
) => boolean;

interface Procedure {
  binding: ServiceBinding;
  method: DescMethodUnary;
  impl: (request: unknown, ctx: CallContext) => unknown;
  limit: number;
  setting: string;
  decode: ConnectDecoder<DescMessage>;
  /** The implementation's answer (the message or its init shape) on the wire; may throw. */
  encode: (out: unknown, binary: boolean) => Uint8Array | string;
}

type Compression = Pick<ReturnType<typeof compressionNegotiate>, "request" | "response">;

/** Compression the lean path speaks: the same as connect-node's router (connect.ts). */
const COMPRESSION = [compressionGzip, compressionBrotli];
/** What the common requests negotiate and parse to, without allocating it each time. */
const IDENTITY: Compression = { request: null, response: null };
const NO_TIMEOUT: ReturnType<typeof parseTimeout> = {};
const JSON_BODY = { stream: false, binary: false } as const;
const PROTO_BODY = { stream: false, binary: true } as const;
/** connect-node's default: smaller replies are not worth compressing. */
const COMPRESS_MIN_BYTES = 1024;

/** A header's first value: Node joins repeated ones, except the few it keeps as arrays. */
const first = (v: string | string[] | undefined): string | null => (Array.isArray(v) ? v[0] : v) ?? null;

/**
 * Connect's unary POST (application/json and application/proto) served on node:http, without
 * connect-node's per-request Headers, AbortController and async iterables
 * (docs/decisions/0016-lean-connect-predict.md). Everything else it hands back: GET, streaming,
 * gRPC-Web, other content types and unknown encodings stay with connect-node.
 */
export function createConnectUnary(options: ConnectUnaryOptions): ConnectUnaryHandler {
  const { pipeline } = options;
  const procedures = new Map<string, Procedure>();
  for (const binding of options.bindings) {
    for (const method of binding.service.methods) {
      if (method.methodKind !== "unary") continue;
      const m = method as DescMethodUnary;
      const path = `/${binding.service.typeName}/${method.name}`;
      const large = options.large?.paths.has(path) ?? false;
      procedures.set(path, {
        binding,
        method: m,
        impl: methodImpl(binding, m) as Procedure["impl"],
        limit: large ? (options.large?.maxBytes ?? 0) : options.maxMessageBytes,
        setting: large ? "MLOPS_MAX_IMPORT_BYTES" : "MLOPS_MAX_BODY_BYTES",
        decode: createConnectDecoder(m.input),
        encode: encoderOf(m.output),
      });
    }
  }

  /** A body refused while reading: over the limit in the house's JSON, as connect.ts answers a declared length over it. */
  const readFailed = (e: unknown): never => {
    throw e instanceof BodyTooLarge ? named(e) : fromConnectError(e);
  };

  /**
   * The decoded request. Not async: an identity body is one promise (the body's) and one then, as
   * REST's lean decode (docs/decisions/0026); decode errors pass through unmapped.
   */
  function read(
    req: IncomingMessage,
    p: Procedure,
    binary: boolean,
    decompress: ((bytes: Uint8Array, max: number) => Promise<Uint8Array>) | undefined,
    timeoutError: unknown,
  ): Promise<unknown> {
    if (timeoutError) return Promise.reject(fromConnectError(timeoutError));
    // An identity JSON body is read as text, as REST's is (no view and no TextDecoder a request).
    if (!binary && !decompress)
      return readBody(req, p.limit, p.setting).then((t) => p.decode(t, false), readFailed);
    const body = readBodyBytes(req, p.limit, p.setting);
    const bytes = decompress ? body.then((b) => decompress(b, p.limit)) : body;
    return bytes.then((b) => p.decode(b, binary), readFailed);
  }

  /** Writes the reply, compressed as negotiated from COMPRESS_MIN_BYTES on (then after a promise). */
  function send(
    res: ServerResponse,
    status: number,
    headers: Record<string, string>,
    body: Uint8Array | string,
    compression: Compression,
  ): Promise<void> | undefined {
    const length = typeof body === "string" ? Buffer.byteLength(body) : body.byteLength;
    const compressor = compression.response;
    if (compressor && length >= COMPRESS_MIN_BYTES) {
      return compressor.compress(typeof body === "string" ? Buffer.from(body) : body).then((packed) => {
        headers["content-encoding"] = compressor.name;
        headers["content-length"] = String(packed.byteLength);
        res.writeHead(status, headers);
        res.end(packed);
      });
    }
    headers["content-length"] = String(length);
    res.writeHead(status, headers);
    res.end(body);
    return undefined;
  }

  /** A failure as Connect's error JSON (or the house's, for a named field), with its metadata as headers. */
  function sendFailure(
    req: IncomingMessage,
    res: ServerResponse,
    e: unknown,
    compression: Compression,
  ): Promise<void> | undefined {
    const err = toServiceError(e);
    const headers: Record<string, string> = {};
    Object.assign(headers, err.metadata);
    const body = isNamed(err) ? JSON.stringify(err.toJSON()) : errorToJsonBytes(connectError(err), undefined);
    // A body left unread (over the limit) closes the connection, so its rest is never a request.
    if (err.violation?.field === "body" && !req.readableEnded) headers.connection = "close";
    headers["content-type"] = "application/json";
    return send(res, err.httpStatus, headers, body, compression);
  }

  /**
   * One call, answered. Not async: one then on the pipeline's promise (an async function and its
   * awaits cost a promise and ticks per request); a failure to write destroys the socket.
   */
  function answer(
    req: IncomingMessage,
    res: ServerResponse,
    p: Procedure,
    path: string,
    binary: boolean,
    encoding: string | null,
    t0: bigint,
  ): void {
    // Each header by its literal name: a load site per header stays monomorphic, where one helper
    // reading every name was a megamorphic keyed load, and a slow lookup for each absent header.
    const headers = req.headers;
    const accept = first(headers["accept-encoding"]);
    const compression: Compression =
      encoding === null && accept === null
        ? IDENTITY
        : compressionNegotiate(COMPRESSION, encoding, accept, "accept-encoding");
    const timeoutHeader = first(headers["connect-timeout-ms"]);
    const timeout =
      timeoutHeader === null ? NO_TIMEOUT : parseTimeout(timeoutHeader, Number.MAX_SAFE_INTEGER);
    const limit = timeout.error || timeout.timeoutMs === undefined ? undefined : deadline(timeout.timeoutMs);
    const meta: InvokeMeta = {
      transport: "connect",
      verb: "POST",
      endpoint: path,
      actor: first(headers["x-mlops-actor"]) ?? undefined,
      authorization: first(headers.authorization) ?? undefined,
      signal: limit?.signal,
      t0,
    };
    const decompress = compression.request ? compression.request.decompress : undefined;
    const request = read(req, p, binary, decompress, timeout.error);
    const impl = limit ? limit.bind(p.impl) : p.impl;
    pipeline
      .invoke(p.binding.service, p.method, impl, request, meta)
      .then(
        (out) => {
          let body: Uint8Array | string;
          try {
            body = p.encode(out, binary);
          } catch (e) {
            return sendFailure(req, res, e, compression);
          }
          const type = binary ? "application/proto" : "application/json";
          return send(res, 200, { "content-type": type }, body, compression);
        },
        (e: unknown) => sendFailure(req, res, e, compression),
      )
      .catch(() => res.destroy());
  }

  return (req, res, path, t0) => {
    if (req.method !== "POST") return false;
    const p = procedures.get(path);
    if (!p) return false;
    const headers = req.headers;
    const contentType = first(headers["content-type"]);
    const type =
      contentType === "application/json"
        ? JSON_BODY
        : contentType === "application/proto"
          ? PROTO_BODY
          : parseContentType(contentType);
    if (!type || type.stream) return false;
    const encoding = first(headers["content-encoding"]);
    if (encoding !== null && encoding !== "identity" && !COMPRESSION.some((c) => c.name === encoding)) {
      return false; // connect-node answers unimplemented, naming the encodings it takes
    }
    try {
      answer(req, res, p, path, type.binary, encoding, t0);
    } catch {
      res.destroy();
    }
    return true;
  };
}

/**
 * A reply's encoder: the hand-written one where the table has it (PredictResponse), which writes
 * the same bytes and text without reflection, else protobuf-es's.
 */
function encoderOf(output: DescMessage): Procedure["encode"] {
  const hand = HAND_ENCODERS.get(output.typeName);
  if (hand) return (out, binary) => (binary ? hand.binary(out as never) : hand.json(out as never));
  return (out, binary) => {
    const message = create(output, out as never);
    return binary ? toBinary(output, message) : toJsonString(output, message);
  };
}

/** Longest delay a timer takes (Node fires a longer one at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Connect's deadline (`connect-timeout-ms`), from now: `signal` aborts when it passes, and an
 * implementation bound to it is DEADLINE_EXCEEDED when its reply is not ready by then (the work
 * itself goes on: the services read no signal yet). connect-node only aborts its signal.
 */
function deadline(timeoutMs: number): {
  signal: AbortSignal;
  bind(impl: Procedure["impl"]): Procedure["impl"];
} {
  const at = Date.now() + timeoutMs;
  const controller = new AbortController();
  const exceeded = () => new ServiceError("DEADLINE_EXCEEDED", `the deadline of ${timeoutMs} ms passed`);
  return {
    signal: controller.signal,
    bind: (impl) => (request, ctx) =>
      new Promise((resolve, reject) => {
        const left = at - Date.now();
        const timer =
          left <= MAX_TIMER_MS
            ? setTimeout(
                () => {
                  controller.abort(exceeded());
                  reject(controller.signal.reason);
                },
                Math.max(0, left),
              )
            : undefined;
        Promise.resolve()
          .then(() => impl(request, ctx))
          .then(
            (out) => (Date.now() >= at ? reject(exceeded()) : resolve(out)),
            (e) => reject(e),
          )
          .finally(() => clearTimeout(timer));
      }),
  };
}
