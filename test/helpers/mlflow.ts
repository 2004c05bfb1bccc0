// What an MLflow client sends, over a real socket: JSON bodies for POST/PATCH/DELETE and query strings
// for GET (as mlflow/utils/rest_utils.py's call_endpoint does), the token as `Authorization: Bearer`,
// and the artifact proxy's raw PUTs. Every exchange is kept, so a test can assert the sequence.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";

export const FIXTURES = new URL("../fixtures/mlflow/", import.meta.url);

export interface Exchange {
  method: string;
  path: string;
  status: number;
  body: Record<string, unknown>;
}

export interface MlflowWire {
  /** An MLflow REST call under /api/2.0/mlflow/. */
  call(method: string, endpoint: string, fields?: Record<string, unknown>): Promise<Exchange>;
  /** The same, failing the test unless it answers 200. */
  ok(method: string, endpoint: string, fields?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** PUT one file through the artifact proxy, as MlflowArtifactsRepository.log_artifact does. */
  put(path: string, bytes: Uint8Array): Promise<Exchange>;
  readonly log: Exchange[];
}

export function mlflowWire(base: string, token?: string): MlflowWire {
  const log: Exchange[] = [];
  const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  async function send(method: string, path: string, init: RequestInit): Promise<Exchange> {
    const res = await fetch(base + path, { ...init, method, headers: { ...auth, ...init.headers } });
    const text = await res.text();
    let body: Record<string, unknown>;
    try {
      body = text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      body = { text };
    }
    const exchange = { method, path, status: res.status, body };
    log.push(exchange);
    return exchange;
  }
  const wire: MlflowWire = {
    log,
    call(method, endpoint, fields = {}) {
      const path = `/api/2.0/mlflow/${endpoint}`;
      if (method === "GET") {
        const query = new URLSearchParams();
        for (const [k, v] of Object.entries(fields)) {
          for (const item of Array.isArray(v) ? v : [v]) query.append(k, String(item));
        }
        const q = query.toString();
        return send(method, q === "" ? path : `${path}?${q}`, {});
      }
      return send(method, path, {
        headers: { "content-type": "application/json" },
        body: JSON.stringify(fields),
      });
    },
    async ok(method, endpoint, fields) {
      const ex = await wire.call(method, endpoint, fields);
      if (ex.status !== 200)
        throw new Error(`${method} ${endpoint} answered ${ex.status}: ${JSON.stringify(ex.body)}`);
      return ex.body;
    },
    put(path, bytes) {
      return send("PUT", `/api/2.0/mlflow-artifacts/artifacts/${path}`, { body: bytes });
    },
  };
  return wire;
}

/** The files of a fixture MLflow model folder, the MLmodel's `run_id` (and 3.x `model_id`) filled in. */
export function modelFolder(name: string, ids: { runId: string; modelId?: string }): Map<string, Uint8Array> {
  const dir = new URL(`${name}/`, FIXTURES);
  const files = new Map<string, Uint8Array>();
  for (const file of readdirSync(dir).sort()) {
    let bytes = new Uint8Array(readFileSync(join(dir.pathname, file)));
    if (file === "MLmodel") {
      let text = new TextDecoder().decode(bytes).replace("run_id: RUN_ID", `run_id: ${ids.runId}`);
      if (ids.modelId) text += `model_id: ${ids.modelId}\n`;
      bytes = new TextEncoder().encode(text);
    }
    files.set(file, bytes);
  }
  return files;
}

export interface ExpectedRows {
  rows: number[][];
  proba: number[][];
  predicted: number[];
}

export function expectedRows(name: string): ExpectedRows {
  return JSON.parse(gunzipSync(readFileSync(new URL(name, FIXTURES))).toString("utf8")) as ExpectedRows;
}

/** `mlflow-artifacts:/<path>` → `<path>`. */
export const proxyPath = (uri: string): string => uri.replace(/^mlflow-artifacts:\/+/, "");

/** Resolves once /model-info names `version` (a promotion through the API reloads at once). */
export async function servedVersion(base: string, version: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${base}/model-info`);
    const info = res.ok ? ((await res.json()) as { model_version?: string }) : {};
    if (info.model_version === version) return;
    if (Date.now() > deadline)
      throw new Error(`the server never served version ${version}: ${JSON.stringify(info)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
