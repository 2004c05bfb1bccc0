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
  /** Adds `immutable` to Cache-Control: for names that change with their content (hashed bundles). */
  immutable?: boolean;
}

/** Reads each path once, then answers from memory; a failed read is retried next time. */
function fileCache() {
  const cache = new Map<string, Promise<Buffer>>();
  return (path: string): Promise<Buffer> => {
    let bytes = cache.get(path);
    if (!bytes) {
      bytes = readFile(path);
      cache.set(path, bytes);
      bytes.catch(() => cache.delete(path));
    }
    return bytes;
  };
}

const isMissing = (err: unknown): boolean =>
  (err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "EISDIR";

/**
 * Files served from disk, local only (no CDN), each read once and then answered from memory.
 * GET and HEAD; an unknown name is NOT_FOUND. The `endpoint` label is the template, never the name.
 */
export function staticFiles(options: StaticFilesOptions): TemplateRoute {
  const { template, files } = options;
  const variable = /\{([^}]+)\}/.exec(template)?.[1];
  if (!variable) throw new Error(`static files: ${template} names no file variable`);
  const headers = {
    "cache-control": `public, max-age=${options.maxAgeS ?? 3600}${options.immutable ? ", immutable" : ""}`,
  };
  const read = fileCache();

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
      try {
        return { status: 200, body: await read(path), contentType: contentTypeOf(name), headers };
      } catch (err) {
        if (isMissing(err)) throw missing();
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

export interface SinglePageAppOptions {
  /** Where the app lives: `/ui`. `/ui` redirects to `/ui/`. */
  prefix: string;
  /** The built app: `index.html` and an `assets/` folder of hashed files. */
  dir: string;
  /** How many path segments a deep link under the prefix has at most (`/ui/a/b/c/d`: 4). */
  depth: number;
  /** More headers on index.html (a Content-Security-Policy). */
  headers?: Record<string, string>;
  /** Why the app is missing, when `index.html` is not there (e.g. "run `npm run build`"). */
  missingHint?: string;
}

/**
 * A single-page app: its hashed assets under `<prefix>/assets/{file}` (cached for a year), and
 * `index.html` for `<prefix>/` and every deep link under it up to `depth` segments, so a reloaded
 * or shared link opens the page it names (the app routes it). A missing build is UNAVAILABLE.
 */
export function singlePageApp(options: SinglePageAppOptions): TemplateRoute[] {
  const { prefix, dir } = options;
  const read = fileCache();
  const index = join(dir, "index.html");
  const answer = async (): Promise<Reply> => {
    try {
      return {
        status: 200,
        body: await read(index),
        contentType: CONTENT_TYPES[".html"],
        headers: { "cache-control": "no-cache", ...options.headers },
      };
    } catch (err) {
      if (!isMissing(err)) throw err;
      throw new ServiceError(
        "UNAVAILABLE",
        `${index} is missing${options.missingHint ? `: ${options.missingHint}` : ""}`,
      );
    }
  };
  const page = (template: string): TemplateRoute => ({
    template,
    route: { kind: "own", verb: "GET", endpoint: template, answer },
  });
  const redirect: TemplateRoute = {
    template: prefix,
    route: {
      kind: "own",
      verb: "GET",
      endpoint: prefix,
      answer: () => ({
        status: 301,
        body: "",
        contentType: "text/plain",
        headers: { location: `${prefix}/` },
      }),
    },
  };
  const deep: TemplateRoute[] = [];
  let template = prefix;
  for (let i = 0; i < options.depth; i++) {
    template += `/{p${i}}`;
    deep.push(page(template));
  }
  return [
    redirect,
    page(`${prefix}/`),
    ...deep,
    staticFiles({
      template: `${prefix}/assets/{file}`,
      files: join(dir, "assets"),
      maxAgeS: 31_536_000,
      immutable: true,
    }),
  ];
}
