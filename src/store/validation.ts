// Argument checks shared by every Store implementation. Each throws
// StoreError("INVALID_ARGUMENT") naming the offending field.
import { invalid } from "./errors.js";
import {
  LIFECYCLE_VIEWS,
  type LifecycleView,
  RUN_STATUSES,
  type RunStatus,
  STAGES,
  type Stage,
} from "./types.js";

/** Registered model and alias names: URL- and file-name-safe. */
export const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;
/** Param, metric and tag keys, as MLflow allows them. */
export const KEY_PATTERN = /^[A-Za-z0-9_\-./ ]{1,250}$/;
const SHA256_PATTERN = /^[0-9a-f]{64}$/;
const RUN_ID_PATTERN = /^[0-9a-f]{32}$/;
const EXPERIMENT_ID_PATTERN = /^(0|[1-9][0-9]{0,14})$/;
// "v3" would be ambiguous wherever a version or an alias is accepted; "latest" is MLflow's reserved word.
const VERSION_LIKE = /^[vV][0-9]+$/;

export const MAX_PARAM_VALUE = 6000;
export const MAX_TAG_VALUE = 8000;
export const MAX_DESCRIPTION = 65536;
export const MAX_PAGE = 1000;
export const DEFAULT_PAGE = 100;

export function checkModelName(name: unknown): string {
  if (typeof name !== "string" || !NAME_PATTERN.test(name)) {
    throw invalid(`invalid model name ${JSON.stringify(name)}: must match ${NAME_PATTERN}`);
  }
  return name;
}

export function checkAlias(alias: unknown): string {
  if (typeof alias !== "string" || !NAME_PATTERN.test(alias)) {
    throw invalid(`invalid alias ${JSON.stringify(alias)}: must match ${NAME_PATTERN}`);
  }
  if (VERSION_LIKE.test(alias) || alias.toLowerCase() === "latest") {
    throw invalid(`invalid alias "${alias}": looks like a version or is reserved`);
  }
  return alias;
}

export function checkVersion(version: unknown): number {
  if (typeof version !== "number" || !Number.isSafeInteger(version) || version < 1) {
    throw invalid(`invalid model version ${JSON.stringify(version)}: must be an integer >= 1`);
  }
  return version;
}

export function parseStage(stage: unknown): Stage {
  if (typeof stage === "string") {
    const found = STAGES.find((s) => s.toLowerCase() === stage.toLowerCase());
    if (found) return found;
  }
  throw invalid(`invalid stage ${JSON.stringify(stage)}: must be one of ${STAGES.join(", ")}`);
}

export function checkRunStatus(status: unknown): RunStatus {
  if (typeof status !== "string" || !(RUN_STATUSES as readonly string[]).includes(status)) {
    throw invalid(`invalid run status ${JSON.stringify(status)}: must be one of ${RUN_STATUSES.join(", ")}`);
  }
  return status as RunStatus;
}

export function checkRunId(runId: unknown): string {
  if (typeof runId !== "string" || !RUN_ID_PATTERN.test(runId)) {
    throw invalid(`invalid run id ${JSON.stringify(runId)}: must be 32 lowercase hex digits`);
  }
  return runId;
}

export function checkExperimentId(id: unknown): string {
  if (typeof id !== "string" || !EXPERIMENT_ID_PATTERN.test(id)) {
    throw invalid(`invalid experiment id ${JSON.stringify(id)}: must be a decimal integer`);
  }
  return id;
}

export function checkExperimentName(name: unknown): string {
  if (typeof name !== "string" || name.trim() === "" || name.length > 500) {
    throw invalid(`invalid experiment name ${JSON.stringify(name)}: must be 1-500 characters, not blank`);
  }
  return name;
}

export function checkSha256(sha: unknown, field = "artifact sha256"): string {
  if (typeof sha !== "string" || !SHA256_PATTERN.test(sha)) {
    throw invalid(`invalid ${field} ${JSON.stringify(sha)}: must be 64 lowercase hex digits`);
  }
  return sha;
}

export function checkKey(key: unknown, what: string): string {
  if (typeof key !== "string" || !KEY_PATTERN.test(key) || key.split("/").includes("..")) {
    throw invalid(`invalid ${what} key ${JSON.stringify(key)}: must match ${KEY_PATTERN}`);
  }
  return key;
}

export function checkText(value: unknown, what: string, max: number): string {
  if (typeof value !== "string" || value.length > max) {
    throw invalid(`invalid ${what}: must be a string of at most ${max} characters`);
  }
  return value;
}

export function checkActor(actor: unknown): string {
  if (typeof actor !== "string" || actor.trim() === "" || actor.length > 256) {
    throw invalid(`invalid actor ${JSON.stringify(actor)}: must be 1-256 characters, not blank`);
  }
  return actor;
}

export function checkTimestamp(ms: unknown, what: string): number {
  if (typeof ms !== "number" || !Number.isSafeInteger(ms) || ms < 0) {
    throw invalid(`invalid ${what} ${JSON.stringify(ms)}: must be a non-negative integer (ms)`);
  }
  return ms;
}

export function checkStep(step: unknown): number {
  if (typeof step !== "number" || !Number.isSafeInteger(step)) {
    throw invalid(`invalid metric step ${JSON.stringify(step)}: must be an integer`);
  }
  return step;
}

export function checkMetricValue(value: unknown, key: string): number {
  if (typeof value !== "number") throw invalid(`invalid value for metric "${key}": must be a number`);
  return value;
}

/** Default "active". */
export function checkLifecycleView(view: unknown): LifecycleView {
  if (view === undefined) return "active";
  if (typeof view !== "string" || !(LIFECYCLE_VIEWS as readonly string[]).includes(view)) {
    throw invalid(`invalid view ${JSON.stringify(view)}: must be one of ${LIFECYCLE_VIEWS.join(", ")}`);
  }
  return view as LifecycleView;
}

export function checkLimit(limit: unknown): number {
  if (limit === undefined) return DEFAULT_PAGE;
  if (typeof limit !== "number" || !Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw invalid(`invalid limit ${JSON.stringify(limit)}: must be an integer in 1..${MAX_PAGE}`);
  }
  return limit;
}

/** Validates a key → value map (params or tags) and returns its entries. */
export function checkEntries(map: unknown, what: string, maxValue: number): [string, string][] {
  if (map === undefined) return [];
  if (map === null || typeof map !== "object" || Array.isArray(map)) {
    throw invalid(`invalid ${what}s: must be an object of string values`);
  }
  return Object.entries(map).map(([k, v]) => [
    checkKey(k, what),
    checkText(v, `${what} "${k}" value`, maxValue),
  ]);
}
