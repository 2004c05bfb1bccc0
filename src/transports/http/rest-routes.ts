import {
  type DescMessage,
  type DescMethodUnary,
  type DescService,
  getOption,
  ScalarType,
} from "@bufbuild/protobuf";
import { http } from "../../gen/google/api/annotations_pb.js";
import { invalidArgument } from "../../rpc/service-error.js";

/** One REST route compiled from a `google.api.http` annotation (grpc-gateway style). */
export interface RestRoute {
  verb: string;
  /** The annotation's template, used as the metrics `endpoint` label. */
  template: string;
  regex: RegExp;
  /** Field names bound from path segments, in order. */
  vars: string[];
  /** "*" (the whole body is the message), a field name, or "" (no body). */
  body: string;
  service: DescService;
  method: DescMethodUnary;
}

/**
 * A path template (`/v1/models/{name}`) as a regex over the path and the names of its variables; a
 * `{var=**}` variable takes the rest of the path.
 */
export function compilePath(template: string): { regex: RegExp; vars: string[] } {
  const vars: string[] = [];
  let source = "";
  let i = 0;
  while (i < template.length) {
    if (template[i] === "{") {
      const end = template.indexOf("}", i);
      const [name, pattern] = template.slice(i + 1, end).split("=") as [string, string?]; // one part at least
      vars.push(name);
      // `{path=**}` binds the rest of the path, slashes included (MLflow's artifact paths).
      source += pattern === "**" ? "(.+)" : "([^/]+)";
      i = end + 1;
    } else {
      source += template[i]!.replace(/[.*+?^${}()|[\]\\:]/g, "\\$&");
      i++;
    }
  }
  return { regex: new RegExp(`^${source}$`), vars };
}

/** Every annotated unary method of `services`, most specific template first. */
export function compileRestRoutes(services: readonly DescService[]): RestRoute[] {
  const routes: RestRoute[] = [];
  for (const service of services) {
    for (const method of service.methods) {
      if (method.methodKind !== "unary") continue;
      const rule = getOption(method, http);
      if (!rule || rule.pattern.case === undefined || rule.pattern.case === "custom") continue;
      const template = rule.pattern.value;
      const { regex, vars } = compilePath(template);
      routes.push({
        verb: rule.pattern.case.toUpperCase(),
        template,
        regex,
        vars,
        body: rule.body,
        service,
        method: method as DescMethodUnary,
      });
    }
  }
  const literal = (t: string) => t.replace(/\{[^}]*\}/g, "").length;
  return routes.sort((a, b) => literal(b.template) - literal(a.template));
}

/** The first segment of a path (`/v2/models/x` → `v2`; `/` → ""). */
const firstSegment = (path: string): string => {
  const end = path.indexOf("/", 1);
  return end < 0 ? path.slice(1) : path.slice(1, end);
};

/**
 * Routes grouped by the literal first segment of their template, so a request scans only the
 * templates that can match it (the linear scan over every template cost ~4.5 µs of an OIP infer,
 * docs/decisions/0020). Each group keeps `routes`' order and includes the templates whose first
 * segment holds a variable, which are also what a path of any other segment gets.
 */
export function bySegment<T extends { template: string }>(
  routes: readonly T[],
): (path: string) => readonly T[] {
  const keyOf = (template: string) => {
    const segment = firstSegment(template);
    return segment.includes("{") ? undefined : segment;
  };
  const open = routes.filter((r) => keyOf(r.template) === undefined);
  const groups = new Map<string, T[]>();
  for (const r of routes) {
    const key = keyOf(r.template);
    if (key === undefined || groups.has(key)) continue;
    groups.set(
      key,
      routes.filter((x) => {
        const k = keyOf(x.template);
        return k === key || k === undefined;
      }),
    );
  }
  return (path) => groups.get(firstSegment(path)) ?? open;
}

export interface RouteMatch {
  route: RestRoute;
  params: Record<string, string>;
}

/** A path variable's captured segment, percent-decoded; a malformed escape is INVALID_ARGUMENT on it. */
export function decodePathVar(name: string, raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw invalidArgument(name, "a percent-encoded path segment", JSON.stringify(raw));
  }
}

export function matchRoute(routes: readonly RestRoute[], verb: string, path: string): RouteMatch | undefined {
  for (const route of routes) {
    if (route.verb !== verb) continue;
    const m = route.regex.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    route.vars.forEach((name, i) => {
      params[name] = decodePathVar(name, m[i + 1]!); // one capture group per var
    });
    return { route, params };
  }
  return undefined;
}

/**
 * Query parameters → proto3 JSON values for the input message's fields: repeated fields collect
 * every occurrence; booleans, floats and enum numbers are converted, since proto3 JSON wants them
 * typed (integers may stay strings, enums may also be given by name).
 */
export function queryToJson(input: DescMessage, query: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of new Set(query.keys())) {
    const field = input.fields.find((f) => f.name === key || f.jsonName === key);
    const values = query.getAll(key);
    if (!field) {
      out[key] = values[0];
      continue;
    }
    const convert = (v: string): unknown => {
      const isEnum = field.fieldKind === "enum" || (field.fieldKind === "list" && field.listKind === "enum");
      if (isEnum && /^-?\d+$/.test(v)) return Number(v);
      if (field.fieldKind === "scalar" || (field.fieldKind === "list" && field.listKind === "scalar")) {
        const scalar = field.scalar;
        if (scalar === ScalarType.BOOL) return v === "true" ? true : v === "false" ? false : v;
        if (scalar === ScalarType.DOUBLE || scalar === ScalarType.FLOAT) return v === "" ? v : Number(v);
      }
      return v;
    };
    out[field.jsonName] = field.fieldKind === "list" ? values.map(convert) : convert(values.at(-1)!); // key came from the query
  }
  return out;
}
