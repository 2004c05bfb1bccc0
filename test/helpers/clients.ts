import type { DescService } from "@bufbuild/protobuf";
import { type Client, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { grpcServiceDefinition } from "../../src/transports/grpc/service-definition.js";
import { checkMlopsResponse } from "./openapi.js";

/** grpc-js client speaking protobuf-es messages, one promise per unary call. */
export function grpcClient(
  service: DescService,
  port: number,
  metadata: Record<string, string> = {},
  channelOptions: grpc.ChannelOptions = {},
) {
  const Ctor = grpc.makeGenericClientConstructor(grpcServiceDefinition(service), service.typeName);
  const client = new Ctor(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
    channelOptions,
  ) as unknown as Record<
    string,
    (req: unknown, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, res: unknown) => void) => void
  > & { close(): void };
  const call = <T = Record<string, unknown>>(method: string, req: unknown, md: Record<string, string> = {}) =>
    new Promise<T>((resolve, reject) => {
      const meta = new grpc.Metadata();
      for (const [k, v] of Object.entries({ ...metadata, ...md })) meta.set(k, v);
      const fn = client[method];
      if (!fn) throw new Error(`${service.typeName} has no method ${method}`);
      fn.call(client, req, meta, (err, res) => (err ? reject(err) : resolve(res as T)));
    });
  return { call, close: () => client.close() };
}

export function connectClient<S extends DescService>(
  service: S,
  httpPort: number,
  headers: Record<string, string> = {},
): Client<S> {
  return createClient(
    service,
    createConnectTransport({
      baseUrl: `http://127.0.0.1:${httpPort}`,
      httpVersion: "1.1",
      interceptors: [
        (next) => (req) => {
          for (const [k, v] of Object.entries(headers)) req.header.set(k, v);
          return next(req);
        },
      ],
    }),
  );
}

export function grpcWebClient<S extends DescService>(service: S, httpPort: number): Client<S> {
  return createClient(
    service,
    createGrpcWebTransport({ baseUrl: `http://127.0.0.1:${httpPort}`, httpVersion: "1.1" }),
  );
}

/**
 * The REST client of the tests. Every response it receives must follow openapi/openapi.json
 * (status, content type, body schema): a route that changes without the document fails here.
 */
export async function postJson(
  port: number,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers; text: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  await checkMlopsResponse({
    method: "POST",
    path,
    status: res.status,
    contentType: res.headers.get("content-type"),
    text,
  });
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, body: parsed, headers: res.headers, text };
}

export async function getJson(port: number, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers });
  const text = await res.text();
  await checkMlopsResponse({
    method: "GET",
    path,
    status: res.status,
    contentType: res.headers.get("content-type"),
    text,
  });
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, body: parsed, headers: res.headers, text };
}
