// Every MLflow endpoint mlops serves, under MLflow's REST prefix and its web UI's (`/ajax-api/`),
// as template routes of the HTTP port. What no route serves there is MLflow's ENDPOINT_NOT_FOUND.
import { ServiceError } from "../../rpc/service-error.js";
import type { OwnRoute, TemplateRoute } from "../http/routes.js";
import { artifactEndpoints } from "./artifacts.js";
import { ENDPOINT_NOT_FOUND } from "./errors.js";
import { experimentEndpoints } from "./experiments.js";
import { loggedModelEndpoints } from "./logged-models.js";
import { registryEndpoints } from "./registry.js";
import { type MlflowEndpoint, type MlflowServices, toRoute } from "./route.js";
import { runEndpoints } from "./runs.js";

export type { MlflowServices } from "./route.js";

export interface MlflowRoutesOptions extends MlflowServices {
  /** Largest JSON body (MLOPS_MAX_BODY_BYTES). */
  maxBodyBytes: number;
  /** Largest uploaded artifact file (MLOPS_MAX_IMPORT_BYTES). */
  maxArtifactBytes: number;
}

export const MLFLOW_PREFIXES = ["/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/"] as const;
export const ARTIFACT_PREFIXES = ["/api/2.0/mlflow-artifacts/", "/ajax-api/2.0/mlflow-artifacts/"] as const;

const VERBS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

function endpointNotFound(prefix: string): TemplateRoute[] {
  return VERBS.map((verb) => {
    const route: OwnRoute = {
      kind: "own",
      verb,
      endpoint: "unmatched",
      transport: "mlflow",
      errors: ENDPOINT_NOT_FOUND,
      answer: () => {
        throw new ServiceError("NOT_FOUND", `no MLflow endpoint ${verb} under ${prefix}: see docs/mlflow.md`);
      },
    };
    return { template: `${prefix}{rest=**}`, route };
  });
}

const routesOf = (prefix: string, endpoints: MlflowEndpoint[], maxBodyBytes: number): TemplateRoute[] =>
  endpoints.flatMap((e) =>
    e.verbs.map((verb) => ({
      template: `${prefix}${e.path}`,
      route: toRoute(prefix, e, verb, maxBodyBytes),
    })),
  );

/** The MLflow REST API and artifact proxy over the house's TrackingService and RegistryService. */
export function mlflowRoutes(options: MlflowRoutesOptions): TemplateRoute[] {
  const api = [
    ...experimentEndpoints(options),
    ...runEndpoints(options, options.maxBodyBytes),
    ...registryEndpoints(options),
    ...loggedModelEndpoints(options),
  ];
  const artifacts = artifactEndpoints(options, options.maxArtifactBytes);
  return [
    ...MLFLOW_PREFIXES.flatMap((p) => [...routesOf(p, api, options.maxBodyBytes), ...endpointNotFound(p)]),
    ...ARTIFACT_PREFIXES.flatMap((p) => [
      ...routesOf(p, artifacts, options.maxBodyBytes),
      ...endpointNotFound(p),
    ]),
  ];
}
