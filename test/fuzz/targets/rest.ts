// The REST body and path parser: route matching on the path (percent-decoding each segment), the
// query string or JSON body decoded into the route's request message with the path's variables,
// and the lean `POST /predict` body with its key and feature checks. The exact functions the HTTP
// port calls, fed a request stream as Node's HTTP parser would.
import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { type DescMessage, isMessage, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import type { ServiceBinding } from "../../../src/rpc/binding.js";
import type { CallContext } from "../../../src/rpc/context.js";
import { ServiceError } from "../../../src/rpc/service-error.js";
import { toRow } from "../../../src/services/features.js";
import { compileRestRoutes, matchRoute, type RestRoute } from "../../../src/transports/http/rest-routes.js";
import { leanPredictRoute, type RpcRoute, restRoute } from "../../../src/transports/http/routes.js";
import { JSON_TOKENS, mutatedText } from "../mutate.js";
import type { FuzzTarget } from "../target.js";
import { exampleJson, exampleValue, FUZZ_SERVICES, SEED_ROW } from "./examples.js";

const MAX_BODY = 1 << 20;
const CTX: CallContext = { transport: "rest", actor: "" };
const VERBS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
const PATH_TOKENS = [
  "/",
  "%",
  "%2F",
  "%zz",
  "%E0%A4%A",
  "%00",
  "..",
  ":",
  ":restore",
  "{",
  "}",
  "?",
  "#",
  "//",
  "%25",
];

interface RestInput {
  verb: string;
  path: string;
  query: string;
  body: string;
}

/** A stand-in service: decoding never reaches it, but restRoute wants every method bound. */
const binding = (service: ServiceBinding["service"]): ServiceBinding => ({
  service,
  impl: Object.fromEntries(service.methods.map((m) => [m.localName, async () => ({})])),
});

/** The template with example path values ("{name}" → "ml_classifier"). */
function instantiate(route: RestRoute): string {
  return route.template.replace(/\{([^}=]+)[^}]*\}/g, (_, name: string) => {
    const field = route.method.input.fields.find((f) => f.name === name);
    return encodeURIComponent(String(field ? exampleValue(field) : "x"));
  });
}

function request(verb: string, url: string, body: string): IncomingMessage {
  const bytes = Buffer.from(body);
  const req = Readable.from(bytes.length > 0 ? [bytes] : []) as unknown as IncomingMessage;
  Object.assign(req, {
    method: verb,
    url,
    headers: { "content-type": "application/json", "content-length": String(bytes.length) },
  });
  return req;
}

export const restTarget: FuzzTarget<RestInput> = {
  name: "rest",
  parser: "REST path match, query/JSON body → request message, lean /predict body",
  documented: "ServiceError INVALID_ARGUMENT (400), or no route (404/405)",
  expected: (e) => e instanceof ServiceError && e.code === "INVALID_ARGUMENT",
  async setup() {
    const routes = compileRestRoutes(FUZZ_SERVICES);
    const rpcOf = new Map<RestRoute, RpcRoute>();
    for (const r of routes) rpcOf.set(r, restRoute(r, binding(r.service), MAX_BODY));
    const predict = routes.find((r) => r.template === "/predict" && r.verb === "POST");
    if (!predict) throw new Error("no POST /predict route");
    // The lean route's own checks, then the service's row check (20 features, as the seed's model).
    const answer = {
      prediction: 0,
      probability: [0.5, 0.5],
      modelVersion: "1",
      modelName: "m",
      timestamp: "t",
    } as never;
    const lean = leanPredictRoute(
      predict,
      async (features) => {
        toRow(features as ArrayLike<unknown>, SEED_ROW.length, "features", false);
        return answer;
      },
      // A body with a model selector: decoded as proto3 JSON, then the same row check.
      async (request) => {
        toRow(request.features, SEED_ROW.length, "features", false);
        return answer;
      },
      MAX_BODY,
    );

    const paths = [...new Set(routes.map(instantiate))];
    // A path can serve several verbs (GET and DELETE of a version): each template's first one.
    const verbOf = new Map<string, string>();
    for (const r of routes) if (!verbOf.has(instantiate(r))) verbOf.set(instantiate(r), r.verb);
    const queries = [
      "",
      "page_size=10",
      "page_size=10&page_token=abc&view_type=VIEW_TYPE_ALL",
      "name=ml_classifier&version=1&type=1",
    ];
    const bodies = [
      JSON.stringify({ features: SEED_ROW }),
      JSON.stringify({ features: SEED_ROW, model_name: "ml_classifier", model_version: "1" }),
      ...new Set(routes.map((r) => JSON.stringify(exampleJson(r.method.input)))),
    ];
    const inputs = new Map<string, DescMessage>(routes.map((r) => [r.method.input.typeName, r.method.input]));
    const fieldNames = [...new Set([...inputs.values()].flatMap((m) => m.fields.map((f) => f.jsonName)))];
    const structured = fc
      .dictionary(fc.constantFrom(...fieldNames, "features", "unknown_key"), fc.jsonValue({ maxDepth: 3 }), {
        maxKeys: 6,
      })
      .map((o) => JSON.stringify(o));

    const arbitrary = fc.record({
      // "" is the route's own verb: the template and the verb select the decoder.
      verb: fc.oneof(
        { weight: 8, arbitrary: fc.constant("") },
        { weight: 2, arbitrary: fc.constantFrom(...VERBS) },
        { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
      ),
      // Most paths match a route, so that the decoders behind them get most of the cases.
      path: fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(...paths) },
        { weight: 3, arbitrary: mutatedText(paths, { tokens: PATH_TOKENS, maxEdits: 2 }) },
        { weight: 1, arbitrary: fc.webPath() },
      ),
      query: fc.oneof(
        mutatedText(queries, { tokens: ["&", "=", "%", "%zz", "view_type=", "page_size="] }),
        fc.webQueryParameters(),
      ),
      body: fc.oneof(
        { weight: 5, arbitrary: mutatedText(bodies, { tokens: JSON_TOKENS }) },
        { weight: 3, arbitrary: structured },
        { weight: 1, arbitrary: fc.json({ maxDepth: 4 }) },
        { weight: 1, arbitrary: fc.string() },
      ),
    });

    return {
      arbitrary,
      async run({ verb: drawn, path, query, body }) {
        const verb = drawn === "" ? (verbOf.get(path) ?? "GET") : drawn;
        const match = matchRoute(routes, verb, path);
        if (!match) return "no route";
        const url = query === "" ? path : `${path}?${query}`;
        if (match.route === predict) {
          const decoded = await lean.decode(request(verb, url, body), match.params);
          const out = await lean.call(decoded, CTX);
          JSON.parse(typeof out === "string" ? out : String(out.body));
          return undefined;
        }
        const rpc = rpcOf.get(match.route);
        if (!rpc) throw new Error(`route ${match.route.template} has no decoder`);
        const message = await rpc.decode(request(verb, url, body), match.params);
        if (!isMessage(message, match.route.method.input)) {
          throw new Error(
            `decoded a ${String((message as { $typeName?: string })?.$typeName)}, not ${match.route.method.input.typeName}`,
          );
        }
        toBinary(match.route.method.input, message);
        return message;
      },
    };
  },
};
