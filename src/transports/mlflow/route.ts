// One MLflow endpoint as a route of the HTTP port: its fields read (request.ts), a handler that
// calls the house's services, its answer written as MLflow's JSON, its failures as MLflow's errors.
// Each route names the RPC it stands for, so the pipeline authorizes and records it as that RPC.
import type { DescMethodUnary, DescService } from "@bufbuild/protobuf";
import type { RegistryService } from "../../gen/mlops/v1/registry_pb.js";
import type { TrackingService } from "../../gen/mlops/v1/tracking_pb.js";
import type { CallContext, ServiceImpl } from "../../rpc/context.js";
import type { Params, Reply, RpcRoute } from "../http/routes.js";
import { rpcRoute } from "../http/routes.js";
import { MLFLOW_ERRORS } from "./errors.js";
import { type Fields, readFields } from "./request.js";

export interface MlflowServices {
  tracking: ServiceImpl<typeof TrackingService>;
  registry: ServiceImpl<typeof RegistryService>;
}

/** An endpoint: verbs, a path under the MLflow prefix, the RPC it stands for, and its handler. */
export interface MlflowEndpoint {
  verbs: readonly ("GET" | "POST" | "PATCH" | "DELETE" | "PUT")[];
  /** Relative to the prefix: "runs/create", "logged-models/{model_id}". */
  path: string;
  service: DescService;
  method: string;
  /** The answer: an object written as JSON, or a whole reply (a file). */
  handle(fields: Fields, ctx: CallContext, params: Params): Promise<object | Reply>;
  /** Reads the request itself instead of as fields (an upload's raw bytes). */
  decode?: RpcRoute["decode"];
}

export function methodOf(service: DescService, name: string): DescMethodUnary {
  const m = service.methods.find((x) => x.name === name);
  if (m?.methodKind !== "unary") throw new Error(`${service.typeName} has no unary ${name}`);
  return m as DescMethodUnary;
}

const isReply = (v: object | Reply): v is Reply => "status" in v && "body" in v;

/** The route of `endpoint` for one verb under `prefix` ("/api/2.0/mlflow/"). */
export function toRoute(
  prefix: string,
  endpoint: MlflowEndpoint,
  verb: string,
  maxBodyBytes: number,
): RpcRoute {
  const template = `${prefix}${endpoint.path}`;
  return rpcRoute<{ fields: Fields; params: Params }>(
    {
      verb,
      endpoint: template,
      transport: "mlflow",
      errors: MLFLOW_ERRORS,
      service: endpoint.service,
      method: methodOf(endpoint.service, endpoint.method),
    },
    async (req, params) =>
      endpoint.decode
        ? ((await endpoint.decode(req, params)) as { fields: Fields; params: Params })
        : { fields: await readFields(req, maxBodyBytes), params },
    async ({ fields, params }, ctx) => {
      const out = await endpoint.handle(fields, ctx, params);
      return isReply(out) ? out : JSON.stringify(out);
    },
  );
}
