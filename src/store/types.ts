// Plain domain types of the registry and tracking store. They are deliberately
// independent of the generated protos: the service layer maps them.

export type LifecycleStage = "active" | "deleted";

export interface Experiment {
  /** Decimal string, like MLflow's SQL store; "0" is the built-in "Default" experiment. */
  id: string;
  name: string;
  lifecycleStage: LifecycleStage;
  tags: Record<string, string>;
  createdAtMs: number;
}

export const RUN_STATUSES = ["RUNNING", "FINISHED", "FAILED", "KILLED"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export interface Metric {
  key: string;
  /** May be NaN or ±Infinity (training curves do diverge); stored faithfully. */
  value: number;
  timestampMs: number;
  step: number;
}

/** One logged point of a metric; `getMetricHistory` returns them in (step, timestamp, log order). */
export type MetricHistoryEntry = Metric;

export interface Run {
  /** 32 lowercase hex digits (a UUID without dashes). */
  id: string;
  experimentId: string;
  name: string;
  status: RunStatus;
  startTimeMs: number;
  endTimeMs: number | null;
  params: Record<string, string>;
  /** The latest value per key: greatest step, then greatest timestamp, then last logged. Sorted by key. */
  metrics: Metric[];
  tags: Record<string, string>;
  artifactSha256?: string;
}

export const STAGES = ["None", "Staging", "Production", "Archived"] as const;
export type Stage = (typeof STAGES)[number];

export type ModelVersionStatus = "READY";

export interface ModelVersion {
  name: string;
  /** 1, 2, 3… per registered model, without gaps. */
  version: number;
  runId: string | null;
  source: string;
  artifactSha256: string;
  stage: Stage;
  /** Aliases pointing at this version, sorted. */
  aliases: string[];
  tags: Record<string, string>;
  description: string;
  status: ModelVersionStatus;
  createdAtMs: number;
  updatedAtMs: number;
}

export interface RegisteredModel {
  name: string;
  description: string;
  tags: Record<string, string>;
  /** alias → version number. */
  aliases: Record<string, number>;
  createdAtMs: number;
  updatedAtMs: number;
  /** The highest version in each stage that has one, ordered None, Staging, Production, Archived. */
  latestVersions?: ModelVersion[];
}

export type AuditEntity = "model_version" | "alias";
export type AuditAction = "stage" | "alias_set" | "alias_delete";

export interface AuditEvent {
  /** Increases with every event in the database. */
  id: number;
  /** When it happened, ms since the epoch. */
  at: number;
  actor: string;
  entity: AuditEntity;
  /** Registered model name. */
  name: string;
  /** The version concerned: the one moved (stage) or pointed at (alias set) or released (alias delete). */
  version: number;
  action: AuditAction;
  /** Set for alias events only. */
  alias?: string;
  /** stage: the previous stage; alias_set: the previous version (decimal) or null; alias_delete: the version. */
  from: string | null;
  /** stage: the new stage; alias_set: the new version (decimal); alias_delete: null. */
  to: string | null;
  comment?: string;
}

/** One page of a listing; pass `nextPageToken` back as `pageToken` to continue. */
export interface Page<T> {
  items: T[];
  nextPageToken: string | null;
}

export interface CreateExperimentInput {
  name: string;
  tags?: Record<string, string>;
}

export interface CreateRunInput {
  experimentId: string;
  /** Default: "run-" and the first 8 hex digits of the id. */
  name?: string;
  /** Default: the store clock's now. */
  startTimeMs?: number;
  tags?: Record<string, string>;
}

export interface UpdateRunInput {
  status?: RunStatus;
  /** When the status becomes terminal and the run has no end time, it defaults to now. */
  endTimeMs?: number;
  name?: string;
  artifactSha256?: string;
}

export interface SearchRunsQuery {
  experimentIds: string[];
  status?: RunStatus | RunStatus[];
  /** By start time, then id. Default "desc" (newest first), as MLflow. */
  order?: "asc" | "desc";
  /** Default 100, at most 1000. */
  limit?: number;
  pageToken?: string;
}

export interface MetricInput {
  key: string;
  value: number;
  /** Default: the store clock's now. */
  timestampMs?: number;
  /** Default 0. */
  step?: number;
}

export interface LogBatchInput {
  params?: Record<string, string>;
  metrics?: MetricInput[];
  tags?: Record<string, string>;
}

export interface CreateRegisteredModelInput {
  name: string;
  description?: string;
  tags?: Record<string, string>;
}

export interface ListQuery {
  /** Default 100, at most 1000. */
  limit?: number;
  pageToken?: string;
}

export interface CreateModelVersionInput {
  name: string;
  artifactSha256: string;
  /** Default: "sha256:<artifactSha256>". */
  source?: string;
  /** Must name an existing run when given. */
  runId?: string | null;
  description?: string;
  tags?: Record<string, string>;
}

export interface SearchModelVersionsQuery extends ListQuery {
  name?: string;
  /** Case-insensitive stage name. */
  stage?: string;
  alias?: string;
  runId?: string;
}

export interface TransitionStageOptions {
  /** Move every other version that is in the target stage to Archived (target Staging/Production only). */
  archiveExisting?: boolean;
  actor: string;
  comment?: string;
}

export interface AuditOptions {
  actor: string;
  comment?: string;
}

export interface ListAuditEventsQuery {
  name?: string;
  /** Default 100, at most 1000. Newest first. */
  limit?: number;
}
