// MLflow's error JSON, mapped once from the house's one error type: `{"error_code", "message"}` with
// the names MLflow clients branch on (mlflow/protos/databricks.proto) and the statuses MLflow's
// server gives them (mlflow/exceptions.py).
import type { CodeName } from "../../rpc/code.js";
import type { ServiceError } from "../../rpc/service-error.js";
import type { ErrorWriter } from "../http/routes.js";

export interface MlflowError {
  errorCode: string;
  status: number;
}

const MAPPING: Record<CodeName, MlflowError> = {
  OK: { errorCode: "OK", status: 200 },
  INVALID_ARGUMENT: { errorCode: "INVALID_PARAMETER_VALUE", status: 400 },
  OUT_OF_RANGE: { errorCode: "INVALID_PARAMETER_VALUE", status: 400 },
  NOT_FOUND: { errorCode: "RESOURCE_DOES_NOT_EXIST", status: 404 },
  ALREADY_EXISTS: { errorCode: "RESOURCE_ALREADY_EXISTS", status: 400 },
  // databricks.proto documents BAD_REQUEST as google.rpc FAILED_PRECONDITION (400); MLflow's own
  // INVALID_STATE answers 500, which its client retries.
  FAILED_PRECONDITION: { errorCode: "BAD_REQUEST", status: 400 },
  UNAUTHENTICATED: { errorCode: "UNAUTHENTICATED", status: 401 },
  PERMISSION_DENIED: { errorCode: "PERMISSION_DENIED", status: 403 },
  RESOURCE_EXHAUSTED: { errorCode: "RESOURCE_EXHAUSTED", status: 429 },
  ABORTED: { errorCode: "ABORTED", status: 409 },
  CANCELLED: { errorCode: "CANCELLED", status: 499 },
  DEADLINE_EXCEEDED: { errorCode: "DEADLINE_EXCEEDED", status: 504 },
  UNIMPLEMENTED: { errorCode: "NOT_IMPLEMENTED", status: 501 },
  UNAVAILABLE: { errorCode: "TEMPORARILY_UNAVAILABLE", status: 503 },
  DATA_LOSS: { errorCode: "DATA_LOSS", status: 500 },
  INTERNAL: { errorCode: "INTERNAL_ERROR", status: 500 },
  UNKNOWN: { errorCode: "INTERNAL_ERROR", status: 500 },
};

/** A malformed body (not JSON, not an object) is MLflow's BAD_REQUEST rather than a bad value. */
const MALFORMED: MlflowError = { errorCode: "BAD_REQUEST", status: 400 };

export function mlflowErrorOf(error: Pick<ServiceError, "code" | "violation">): MlflowError {
  if (error.code === "INVALID_ARGUMENT" && error.violation?.field === "body") return MALFORMED;
  return MAPPING[error.code];
}

/** The status MLflow gives a code (the pipeline's `status` label for the "mlflow" transport). */
export const mlflowStatusOf = (code: CodeName): number => MAPPING[code].status;

const body = (errorCode: string, message: string) => JSON.stringify({ error_code: errorCode, message });

/** Every MLflow route's failures. */
export const MLFLOW_ERRORS: ErrorWriter = {
  status: (error) => mlflowErrorOf(error).status,
  body: (error) => body(mlflowErrorOf(error).errorCode, error.message),
};

/** A path under MLflow's prefixes that no route serves: MLflow's ENDPOINT_NOT_FOUND. */
export const ENDPOINT_NOT_FOUND: ErrorWriter = {
  status: (error) => (error.code === "NOT_FOUND" ? 404 : mlflowErrorOf(error).status),
  body: (error) =>
    error.code === "NOT_FOUND" ? body("ENDPOINT_NOT_FOUND", error.message) : MLFLOW_ERRORS.body(error),
};
