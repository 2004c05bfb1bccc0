import { readFile } from "node:fs/promises";
import { extname, join } from "node:path";
import { ServiceError } from "../../rpc/service-error.js";
import type { OwnRoute, Reply, TemplateRoute } from "./routes.js";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

export function contentTypeOf(name: string): string {
  return CONTENT_TYPES[extname(name).toLowerCase()] ?? "application/octet-stream";
}

export interface StaticFilesOptions {
  /** A path template whose one variable names the file: `/docs/assets/{file}`. */
  template: string;
  /**
   * What may be served: a folder (any file directly inside it, by name) or a map from request name
   * to file path. Names with a path separator or starting with "." are never served.
   */
  files: string | Readonly<Record<string, string>>;
  /** `Cache-Control: max-age` in seconds. Default 3600. */
  maxAgeS?: number;
}

/**
 * Files served from disk, local only (no CDN), each read once and then answered from memory.
 * GET and HEAD; an unknown name is NOT_FOUND. The `endpoint` label is the template, never the name.
 */
export function staticFiles(options: StaticFilesOptions): TemplateRoute {
  const { template, files } = options;
  const variable = /\{([^}]+)\}/.exec(template)?.[1];
  if (!variable) throw new Error(`static files: ${template} names no file variable`);
  const headers = { "cache-control": `public, max-age=${options.maxAgeS ?? 3600}` };
  const cache = new Map<string, Promise<Buffer>>();

  function pathOf(name: string): string | undefined {
    if (name === "" || name.startsWith(".") || /[/\\\0]/.test(name)) return undefined;
    if (typeof files === "string") return join(files, name);
    return Object.hasOwn(files, name) ? files[name] : undefined;
  }

  const route: OwnRoute = {
    kind: "own",
    verb: "GET",
    endpoint: template,
    async answer(params): Promise<Reply> {
      const name = params[variable] ?? "";
      const path = pathOf(name);
      const missing = () =>
        new ServiceError("NOT_FOUND", `no file ${JSON.stringify(name)} under ${template}`);
      if (!path) throw missing();
      let bytes = cache.get(path);
      if (!bytes) {
        bytes = readFile(path);
        cache.set(path, bytes);
        bytes.catch(() => cache.delete(path));
      }
      try {
        return { status: 200, body: await bytes, contentType: contentTypeOf(name), headers };
      } catch (err) {
        if (
          (err as NodeJS.ErrnoException).code === "ENOENT" ||
          (err as NodeJS.ErrnoException).code === "EISDIR"
        ) {
          throw missing();
        }
        throw err;
      }
    },
  };
  return { template, route };
}

/** One fixed document (an HTML page, say) at `path`, built once. */
export function staticPage(
  path: string,
  body: string | Uint8Array,
  contentType: string,
  headers: Record<string, string> = {},
): TemplateRoute {
  const reply: Reply = {
    status: 200,
    body,
    contentType,
    headers: { "cache-control": "no-cache", ...headers },
  };
  return { template: path, route: { kind: "own", verb: "GET", endpoint: path, answer: () => reply } };
}
