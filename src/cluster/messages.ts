// The IPC messages between the cluster primary and its workers.

/** Worker → primary: "send me the cluster's /metrics text" (answered with METRICS_RES). */
export const MSG_METRICS_REQ = "mlops:metrics-req";
/** Primary → worker: the aggregated text, or an error. */
export const MSG_METRICS_RES = "mlops:metrics-res";
/** Worker → primary: a promotion or alias change went through this worker's API. */
export const MSG_SERVING_CHANGED = "mlops:serving-changed";
/** Primary → every worker: re-read the registry now. */
export const MSG_REFRESH = "mlops:refresh";
/** Worker → primary: this worker listens. */
export const MSG_READY = "mlops:ready";
/** Primary → worker: "send me your registry as JSON" (answered with METRICS_JSON). */
export const MSG_METRICS_JSON_REQ = "mlops:metrics-json-req";
/** Worker → primary: its registry's metrics as JSON. */
export const MSG_METRICS_JSON = "mlops:metrics-json";

/** The fields any of these messages may carry. */
export interface ClusterMessage {
  type?: string;
  id?: number;
  text?: string;
  error?: string;
  metrics?: unknown[];
}

/** The environment variable that gives a worker its slot (1..N), inherited by a replacement. */
export const WORKER_SLOT_ENV = "MLOPS_WORKER_ID";
