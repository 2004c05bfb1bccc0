// Unary calls answered on grpc-js's own HTTP/2 streams without its per-call machinery
// (docs/decisions/0027): the same frames, headers and trailers grpc-js 1.14 writes, for the plain
// case only; anything else (a compressed request, an unparsable grpc-timeout, an unknown path, a
// content type of another codec) goes to grpc-js, which answers it as before.
import type { IncomingHttpHeaders, ServerHttp2Stream } from "node:http2";
import type { Metadata } from "@grpc/grpc-js";
import { Code } from "../../rpc/code.js";

/** What a lean call resolves to: the reply's message bytes, or a status with its trailers. */
export type UnaryOutcome = { ok: Buffer } | { code: number; details: string; metadata?: Metadata };

/** One unary method: the request's bytes and two headers in; `reply` gets the outcome once. */
export type LeanUnaryMethod = (
  message: Buffer,
  actor: string | undefined,
  authorization: string | undefined,
  reply: (outcome: UnaryOutcome) => void,
) => void;

export interface LeanUnaryOptions {
  /** The methods taken, by path (`/pkg.Service/Method`). */
  methods: ReadonlyMap<string, LeanUnaryMethod>;
  /** grpc.max_receive_message_length: larger request messages are RESOURCE_EXHAUSTED. */
  maxReceiveBytes: number;
  /** grpc.max_send_message_length: larger replies are RESOURCE_EXHAUSTED. */
  maxSendBytes: number;
}

// The status codes grpc-js answers with here (its Status numbers are gRPC's, as Code's are).
const { RESOURCE_EXHAUSTED, UNIMPLEMENTED, DEADLINE_EXCEEDED } = Code;

/** grpc-js's own reading of grpc-timeout (server-interceptors.ts), unanchored as there. */
const DEADLINE_REGEX = /(\d{1,8})\s*([HMSmun])/;
const UNIT_MS: Record<string, number> = { H: 3600000, M: 60000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** A request header as grpc-js's Metadata hands it to a handler: the first value, printable ASCII only. */
function headerValue(headers: IncomingHttpHeaders, key: string): string | undefined {
  const raw = headers[key];
  const v = Array.isArray(raw) ? raw[0] : raw;
  return typeof v === "string" && /^[ -~]*$/.test(v) ? v : undefined;
}

/** Whether grpc-js would hand this request to a unary handler with identity messages. */
function takes(headers: IncomingHttpHeaders): boolean {
  const type = headers["content-type"];
  if (type !== "application/grpc" && type !== "application/grpc+proto") return false;
  const encoding = headers["grpc-encoding"];
  if (encoding !== undefined && encoding !== "identity") return false;
  const timeout = headers["grpc-timeout"];
  return timeout === undefined || (typeof timeout === "string" && DEADLINE_REGEX.test(timeout));
}

/**
 * Returns a `stream` listener for grpc-js's HTTP/2 server that answers `options.methods` itself
 * and hands every other stream to `fallback` (grpc-js's own listener).
 */
export function leanUnaryListener(
  options: LeanUnaryOptions,
  fallback: (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, ...rest: unknown[]) => void,
): (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, ...rest: unknown[]) => void {
  const { methods, maxReceiveBytes, maxSendBytes } = options;
  return (stream, headers, ...rest) => {
    const method = methods.get(headers[":path"] as string);
    if (method === undefined || !takes(headers)) {
      fallback(stream, headers, ...rest);
      return;
    }
    serve(stream, headers, headers[":path"] as string, method, maxReceiveBytes, maxSendBytes);
  };
}

/** Trailers-only status, as grpc-js's sendStatus writes it before any header was sent. */
function sendStatus(stream: ServerHttp2Stream, code: number, details: string, metadata?: Metadata): void {
  if (stream.destroyed || stream.closed) return;
  stream.respond(
    {
      "grpc-status": code,
      "grpc-message": encodeURI(details),
      ":status": 200,
      "content-type": "application/grpc+proto",
      ...metadata?.toHttp2Headers(),
    },
    { endStream: true },
  );
}

/** A reply message, its headers, one DATA frame and the OK trailers, as grpc-js's sendMessage + sendStatus. */
function sendMessage(stream: ServerHttp2Stream, message: Buffer): void {
  if (stream.destroyed || stream.closed) return;
  const frame = Buffer.allocUnsafe(message.length + 5);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, 5);
  stream.respond(
    {
      ":status": 200,
      "content-type": "application/grpc+proto",
      "grpc-accept-encoding": "identity,deflate,gzip",
      "grpc-encoding": "identity",
    },
    { waitForTrailers: true },
  );
  stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": 0, "grpc-message": "OK" }));
  stream.end(frame);
}

function serve(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  path: string,
  method: LeanUnaryMethod,
  maxReceiveBytes: number,
  maxSendBytes: number,
): void {
  // As grpc-js: an error event is followed by close, which is all that matters here.
  stream.once("error", () => {});
  let done = false;
  let timer: NodeJS.Timeout | undefined;
  const finish = () => {
    done = true;
    if (timer !== undefined) clearTimeout(timer);
  };
  const fail = (code: number, details: string, metadata?: Metadata) => {
    if (done) return;
    finish();
    sendStatus(stream, code, details, metadata);
  };
  const timeout = headers["grpc-timeout"];
  if (timeout !== undefined) {
    const m = DEADLINE_REGEX.exec(timeout as string) as RegExpExecArray;
    const ms = (Number(m[1]) * (UNIT_MS[m[2] as string] as number)) | 0;
    timer = setTimeout(() => fail(DEADLINE_EXCEEDED, "Deadline exceeded"), ms);
    // A cancelled call stops its timer; without one, a reply to a closed stream is dropped (sendMessage).
    stream.once("close", finish);
  }

  // Length-prefixed messages, gathered once complete: a call's usually arrives in one chunk, kept
  // without a copy; a large one (a model import) is joined once, not chunk by chunk.
  let chunks: Buffer[] = [];
  let buffered = 0;
  let need = -1; // the current message's frame length, once its 5-byte prefix is in
  let message: Buffer | undefined;
  stream.on("data", (chunk: Buffer) => {
    if (done) return;
    chunks.push(chunk);
    buffered += chunk.length;
    for (;;) {
      if (need < 0) {
        if (buffered < 5) return;
        if ((chunks[0] as Buffer).length < 5) chunks = [Buffer.concat(chunks, buffered)];
        const size = (chunks[0] as Buffer).readUInt32BE(1);
        if (size > maxReceiveBytes) {
          fail(RESOURCE_EXHAUSTED, `Received message larger than max (${size} vs ${maxReceiveBytes})`);
          return;
        }
        need = 5 + size;
      }
      if (buffered < need) return;
      if (message !== undefined) {
        fail(UNIMPLEMENTED, `Received a second request message for server streaming method ${path}`);
        return;
      }
      const all = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, buffered);
      message = all.subarray(5, need);
      const rest = all.subarray(need);
      chunks = rest.length > 0 ? [rest] : [];
      buffered = rest.length;
      need = -1;
    }
  });
  stream.on("end", () => {
    if (done) return;
    if (message === undefined) {
      fail(UNIMPLEMENTED, `Received no request message for server streaming method ${path}`);
      return;
    }
    method(
      message,
      headerValue(headers, "x-mlops-actor"),
      headerValue(headers, "authorization"),
      (outcome) => {
        if (done) return;
        if ("ok" in outcome) {
          if (outcome.ok.length > maxSendBytes) {
            fail(
              RESOURCE_EXHAUSTED,
              `Sent message larger than max (${outcome.ok.length + 5} vs. ${maxSendBytes})`,
            );
            return;
          }
          finish();
          sendMessage(stream, outcome.ok);
        } else {
          fail(outcome.code, outcome.details, outcome.metadata);
        }
      },
    );
  });
}
