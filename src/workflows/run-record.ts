// How a training run is written down: metric keys and the params' flat string form.
import { snakeCase } from "./data-source.js";

/** The held-out metrics every training run logs, under these keys, in this order. */
export const METRIC_KEYS = ["accuracy", "precision", "recall", "f1", "roc_auc", "log_loss"] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];

/** The store's limit on a param value. */
const MAX_PARAM_VALUE = 6000;

function paramValue(value: unknown): string | undefined {
  if (value === undefined || value === null || typeof value === "function") return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return String(value);
  if (Array.isArray(value)) return value.map(String).join(",");
  return JSON.stringify(value);
}

/**
 * Resolved training options as run params: snake_case keys (`nEstimators` → `n_estimators`, as
 * MLflow users expect), string values, unset fields left out; `extra` is added last.
 */
export function toRunParams(resolved: object, extra: Record<string, string> = {}): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(resolved)) {
    const text = paramValue(value);
    if (text !== undefined) params[snakeCase(key)] = text.slice(0, MAX_PARAM_VALUE);
  }
  return { ...params, ...extra };
}
