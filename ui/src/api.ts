// The UI's one way to the server: Connect (JSON) clients of the public services, generated from the
// protos (src/gen). Reads need no token; a mutation answered UNAUTHENTICATED asks for the token once,
// keeps it for this tab only (sessionStorage, never a cookie: no CSRF surface) and retries.
import { type Client, Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { RegistryService } from "../../src/gen/mlops/v1/registry_pb.js";
import { TrackingService } from "../../src/gen/mlops/v1/tracking_pb.js";

const TOKEN_KEY = "mlops.apiToken";
const ACTOR_KEY = "mlops.actor";

/** Shows the token dialog; resolves with the token, or undefined when the user cancels. */
type TokenAsker = (reason: string) => Promise<string | undefined>;
let askToken: TokenAsker = async () => undefined;
export function setTokenAsker(asker: TokenAsker): void {
  askToken = asker;
}

export const actorName = (): string => localStorage.getItem(ACTOR_KEY) || "web-ui";
export const setActorName = (name: string): void => localStorage.setItem(ACTOR_KEY, name.trim());

const auth: Interceptor = (next) => async (req) => {
  req.header.set("x-mlops-actor", actorName());
  for (let attempt = 0; ; attempt++) {
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) req.header.set("authorization", `Bearer ${token}`);
    try {
      return await next(req);
    } catch (e) {
      const err = ConnectError.from(e);
      if (err.code !== Code.Unauthenticated || attempt >= 3) throw err;
      const entered = await askToken(err.rawMessage);
      if (!entered) throw err;
      sessionStorage.setItem(TOKEN_KEY, entered);
    }
  }
};

const transport = createConnectTransport({
  baseUrl: window.location.origin,
  useBinaryFormat: false,
  interceptors: [auth],
});

export const tracking: Client<typeof TrackingService> = createClient(TrackingService, transport);
export const registry: Client<typeof RegistryService> = createClient(RegistryService, transport);

/** An API error as the UI shows it: the code's name (as Connect spells it) and the server's message. */
export interface ApiError {
  code: string;
  message: string;
}

export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiFailure) return e.error;
  const err = ConnectError.from(e);
  const name = Code[err.code] ?? "unknown";
  return { code: name.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase(), message: err.rawMessage };
}

class ApiFailure extends Error {
  constructor(readonly error: ApiError) {
    super(error.message);
  }
}

/** GET of one of the server's plain JSON or text routes (/model-info, /metrics). */
export async function getText(path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(path, { headers: { accept: "application/json, text/plain" } });
  return { status: res.status, text: await res.text() };
}

/** GET of a JSON route; an error body ({code, message}) becomes a thrown ApiError. */
export async function getJson<T>(path: string): Promise<T> {
  const { status, text } = await getText(path);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiFailure({ code: "internal", message: `${path} answered ${status} with no JSON` });
  }
  if (status >= 400) {
    const b = body as { code?: string; message?: string };
    throw new ApiFailure({ code: b.code ?? String(status), message: b.message ?? text });
  }
  return body as T;
}
