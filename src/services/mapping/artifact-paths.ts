// Where runs' and logged models' files live in the artifact tree, and how an MLflow model URI names
// a folder of it. MLflow's own layout, so a client that builds paths itself lands in the same place.
import { invalidArgument } from "../../rpc/service-error.js";

/** A run's folder: `<experiment_id>/<run_id>/artifacts`. */
export const runArtifactRoot = (experimentId: string, runId: string): string =>
  `${experimentId}/${runId}/artifacts`;

/** A logged model's folder: `<experiment_id>/models/<model_id>/artifacts`. */
export const loggedModelArtifactRoot = (experimentId: string, modelId: string): string =>
  `${experimentId}/models/${modelId}/artifacts`;

/** The URI scheme of the artifact tree, as MLflow's artifact proxy names it. */
export const ARTIFACT_SCHEME = "mlflow-artifacts:";

/** `mlflow-artifacts:/<path>` for a folder or file of the tree. */
export const artifactUri = (path: string): string => `${ARTIFACT_SCHEME}/${path}`;

/** What an MLflow model URI points at, before it is resolved against the store. */
export type SourceRef =
  | { kind: "tree"; path: string }
  | { kind: "run"; runId: string; path: string }
  | { kind: "logged-model"; modelId: string };

const trim = (p: string): string => p.replace(/^\/+/, "").replace(/\/+$/, "");

/**
 * Reads `mlflow-artifacts:/<path>` (or `mlflow-artifacts://host[:port]/<path>`), `runs:/<run_id>/<path>`
 * and `models:/<model_id>` (MLflow 3's `m-…` ids); undefined for anything else (a local path, `sha256:`).
 */
export function parseSource(source: string): SourceRef | undefined {
  if (source.startsWith(ARTIFACT_SCHEME)) {
    let rest = source.slice(ARTIFACT_SCHEME.length);
    if (rest.startsWith("//")) rest = rest.slice(2).replace(/^[^/]*/, "");
    const path = trim(decodeURIComponent(rest));
    if (path === "") throw invalidArgument("source", "an mlflow-artifacts:/ URI naming a folder", source);
    return { kind: "tree", path };
  }
  const run = /^runs:\/+([0-9a-f]{32})(?:\/(.*))?$/.exec(source);
  if (run) return { kind: "run", runId: run[1] as string, path: trim(run[2] ?? "") };
  const model = /^models:\/+(m-[0-9a-f]{32})\/*$/.exec(source);
  if (model) return { kind: "logged-model", modelId: model[1] as string };
  return undefined;
}
