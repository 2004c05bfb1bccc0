// The Open Inference Protocol's REST face (`/v2/...`) as template routes of the HTTP port: JSON in,
// JSON written by hand out, `{"error": "…"}` with Triton's statuses, recorded as "oip-rest".
import type { IncomingMessage } from "node:http";
import type { DescMethodUnary } from "@bufbuild/protobuf";
import { GRPCInferenceService } from "../../gen/inference/open_inference_grpc_pb.js";
import { oipHttpStatusOf } from "../../rpc/code.js";
import type { CallContext } from "../../rpc/context.js";
import { invalidArgument, type ServiceError } from "../../rpc/service-error.js";
import { parseJsonObject, readBody } from "../http/body.js";
import type { ErrorWriter, OwnRoute, Params, Reply, TemplateRoute } from "../http/routes.js";
import { rpcRoute } from "../http/routes.js";
import { jsonString } from "../json-string.js";
import { type Inference, type InferRequest, type InferResult, JsonInput } from "./inference.js";

export interface OipRestOptions {
  inference: Inference;
  maxBodyBytes: number;
}

/** `{"error": "<message>"}` with the status Triton gives the same kind of failure. */
export const OIP_ERRORS: ErrorWriter = {
  status: (error: ServiceError) => oipHttpStatusOf(error.code),
  body: (error: ServiceError) => JSON.stringify({ error: error.message }),
};

const method = (name: string): DescMethodUnary => {
  const m = GRPCInferenceService.methods.find((x) => x.name === name);
  if (m?.methodKind !== "unary") throw new Error(`inference.GRPCInferenceService has no unary ${name}`);
  return m as DescMethodUnary;
};

const MODEL = "/v2/models/{name}";
const VERSIONED = "/v2/models/{name}/versions/{version}";
const INFER_SHAPE = '{"inputs": [{"name": …, "shape": [N, n_features], "datatype": "FP64", "data": […]}]}';

/** The request body of `POST …/infer`, checked field by field (the OIP's JSON names), in one pass. */
function inferRequest(body: Record<string, unknown>, params: Params): InferRequest {
  const { inputs, outputs, id, parameters } = body;
  if (!Array.isArray(inputs)) throw invalidArgument("inputs", "an array of input tensors", kind(inputs));
  if (id !== undefined && typeof id !== "string") throw invalidArgument("id", "a string", kind(id));
  let names: string[] = NO_OUTPUTS;
  if (outputs !== undefined) {
    if (!Array.isArray(outputs)) throw invalidArgument("outputs", "an array of {name}", kind(outputs));
    names = [];
    for (let i = 0; i < outputs.length; i++) {
      const name = (outputs[i] as { name?: unknown } | null)?.name;
      if (typeof name !== "string") throw invalidArgument(`outputs[${i}].name`, "a string", kind(name));
      names.push(name);
    }
  }
  const tensors: JsonInput[] = [];
  for (let i = 0; i < inputs.length; i++) tensors.push(inputTensor(inputs[i], i));
  return {
    modelName: params.name ?? "",
    modelVersion: params.version ?? "",
    id: id ?? "",
    parameters: object(parameters, "parameters"),
    outputs: names,
    inputs: tensors,
  };
}

const NO_OUTPUTS: string[] = [];

function inputTensor(t: unknown, i: number): JsonInput {
  const tensor = object(t, `inputs[${i}]`) ?? {};
  const { name, datatype, shape, data } = tensor;
  if (typeof name !== "string") throw invalidArgument(`inputs[${i}].name`, "a string", kind(name));
  if (typeof datatype !== "string")
    throw invalidArgument(`inputs[${i}].datatype`, "a string", kind(datatype));
  if (!Array.isArray(shape) || !allNumbers(shape)) {
    throw invalidArgument(`inputs[${i}].shape`, "an array of integers", kind(shape));
  }
  if (tensor.parameters !== undefined) object(tensor.parameters, `inputs[${i}].parameters`);
  return new JsonInput(name, datatype, shape, data);
}

function allNumbers(values: readonly unknown[]): boolean {
  for (let i = 0; i < values.length; i++) if (typeof values[i] !== "number") return false;
  return true;
}

function object(value: unknown, field: string): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidArgument(field, "an object", kind(value));
  }
  return value as Record<string, unknown>;
}

const kind = (v: unknown) =>
  v === undefined ? "nothing" : v === null ? "null" : Array.isArray(v) ? "an array" : typeof v;

/** The response JSON, written by hand like /predict's: numbers as JS prints them (round-trip exact). */
function inferJson(r: InferResult): string {
  let out = `{"model_name":${jsonString(r.modelName)},"model_version":${jsonString(r.modelVersion)}`;
  if (r.id !== "") out += `,"id":${JSON.stringify(r.id)}`;
  out += ',"outputs":[';
  for (let i = 0; i < r.outputs.length; i++) {
    const o = r.outputs[i];
    if (!o) continue;
    let data = "";
    const values = o.values;
    if (o.datatype === "BYTES") data = (values as readonly string[]).map((s) => JSON.stringify(s)).join(",");
    else for (let k = 0; k < values.length; k++) data += (k ? "," : "") + (values[k] as number);
    out += `${i ? "," : ""}{"name":"${o.name}","datatype":"${o.datatype}","shape":[${o.shape.join(",")}],"data":[${data}]}`;
  }
  return `${out}]}`;
}

const json = (value: unknown): string => JSON.stringify(value);

/** Readiness answers: an empty body, 200 when ready and 400 when not (as MLServer and Triton answer). */
const readiness = (ready: boolean): Reply => ({
  status: ready ? 200 : 400,
  body: "",
  contentType: "text/plain",
});

/** A readiness probe's failures (a malformed path): the status alone, with the empty body probes answer. */
const PROBE_ERRORS: ErrorWriter = { status: (e) => OIP_ERRORS.status(e), body: () => "" };

/** Every route of the Open Inference Protocol's REST API, served from `inference`. */
export function oipRestRoutes(options: OipRestOptions): TemplateRoute[] {
  const { inference, maxBodyBytes } = options;
  // Readiness probes are answered without an RPC route, so without the pipeline's context.
  const ctx = (): CallContext => ({ transport: "oip-rest", actor: "api:oip-rest" });
  const common = { transport: "oip-rest" as const, errors: OIP_ERRORS, service: GRPCInferenceService };

  const probe = (template: string, ready: (params: Params) => Promise<boolean> | boolean): TemplateRoute => {
    const route: OwnRoute = {
      kind: "own",
      verb: "GET",
      endpoint: template,
      transport: "oip-rest",
      errors: PROBE_ERRORS,
      answer: async (params) => readiness(await ready(params)),
    };
    return { template, route };
  };

  const metadata = (template: string): TemplateRoute => ({
    template,
    route: rpcRoute(
      { ...common, verb: "GET", endpoint: template, method: method("ModelMetadata") },
      async (_req: IncomingMessage, params: Params) => params,
      async (params, c) => json(await inference.modelMetadata(params.name ?? "", params.version ?? "", c)),
    ),
  });

  const infer = (template: string): TemplateRoute => ({
    template,
    route: rpcRoute(
      { ...common, verb: "POST", endpoint: template, method: method("ModelInfer") },
      async (req: IncomingMessage, params: Params) =>
        inferRequest(parseJsonObject(await readBody(req, maxBodyBytes), INFER_SHAPE), params),
      (request, c) => inference.infer(request, c).then(inferJson),
    ),
  });

  // `/v2/` is the path the vendored open_inference_rest.yaml names; clients send `/v2`.
  const server = ["/v2", "/v2/"].map(
    (template): TemplateRoute => ({
      template,
      route: rpcRoute(
        { ...common, verb: "GET", endpoint: template, method: method("ServerMetadata") },
        async () => undefined,
        async () => json(inference.serverMetadata()),
      ),
    }),
  );

  return [
    ...server,
    probe("/v2/health/live", () => true),
    probe("/v2/health/ready", () => inference.serverReady(ctx())),
    probe(`${MODEL}/ready`, (p) => inference.modelReady(p.name ?? "", "", ctx())),
    probe(`${VERSIONED}/ready`, (p) => inference.modelReady(p.name ?? "", p.version ?? "", ctx())),
    metadata(MODEL),
    metadata(VERSIONED),
    infer(`${MODEL}/infer`),
    infer(`${VERSIONED}/infer`),
  ];
}
