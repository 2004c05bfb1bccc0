import type { IncomingMessage } from "node:http";
import { invalidArgument, ServiceError } from "../../rpc/service-error.js";

/** A body over the limit: INVALID_ARGUMENT on `body`, which the seed's /predict answers with 413. */
export class BodyTooLarge extends ServiceError {
  constructor(limit: number, setting: string, got: string) {
    const e = invalidArgument("body", `at most ${limit} bytes (${setting})`, got, "too_long");
    super(e.code, e.message, { violation: e.violation });
  }
}

/** Reads a request body up to `limit` bytes as text; over it, INVALID_ARGUMENT naming the limit. */
export function readBody(
  req: IncomingMessage,
  limit: number,
  setting = "MLOPS_MAX_BODY_BYTES",
): Promise<string> {
  return readChunks(req, limit, setting, true);
}

/** Reads a request body up to `limit` bytes as bytes (an uploaded file, a Connect message). */
export function readBodyBytes(
  req: IncomingMessage,
  limit: number,
  setting = "MLOPS_MAX_BODY_BYTES",
): Promise<Uint8Array> {
  return readChunks(req, limit, setting, false);
}

/** As text or bytes: resolved with the body itself, one promise a request (no await after it). */
function readChunks(req: IncomingMessage, limit: number, setting: string, text: true): Promise<string>;
function readChunks(req: IncomingMessage, limit: number, setting: string, text: false): Promise<Uint8Array>;
function readChunks(
  req: IncomingMessage,
  limit: number,
  setting: string,
  text: boolean,
): Promise<Uint8Array | string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? -1);
    if (declared > limit) {
      reject(new BodyTooLarge(limit, setting, `${declared} bytes`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLarge(limit, setting, "more"));
        req.removeAllListeners("data");
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      resolve(text ? body.toString("utf8") : new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
    });
    req.on("error", (err) => reject(new ServiceError("CANCELLED", "request body aborted", { cause: err })));
  });
}

/** Parses a JSON object body; an empty or malformed body is INVALID_ARGUMENT with the expected shape. */
export function parseJsonObject(text: string, expected: string): Record<string, unknown> {
  if (text.trim() === "") throw invalidArgument("body", expected, "an empty body", "missing");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw invalidArgument(
      "body",
      `valid JSON: ${expected}`,
      `malformed JSON (${(err as Error).message})`,
      "json_invalid",
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidArgument(
      "body",
      expected,
      Array.isArray(value) ? "an array" : String(value),
      "model_attributes_type",
    );
  }
  return value as Record<string, unknown>;
}
