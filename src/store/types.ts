// Plain domain types of the registry and tracking store. They are deliberately
// independent of the generated protos: the service layer maps them.
import type { RunOrderKey } from "./run-filter.js";

export type { RunOrderKey } from "./run-filter.js";

export type LifecycleStage = "active" | "deleted";

/** Which lifecycle stages a listing returns (MLflow's ViewType). Default everywhere: "active". */
export type LifecycleView = "active" | "deleted" | "all";
export const LIFECYCLE_VIEWS: readonly LifecycleView[] = ["active", "deleted", "all"];

export interface Experiment {
  /** Decimal string, like MLflow's SQL store; "0" is the built-in "Default" experiment. */
  id: string;
  name: string;
  lifecycleStage: LifecycleStage;
  tags: Record<string, string>;
  createdAtMs: number;
  /** When it was deleted; set only while `lifecycleStage` is "deleted". */
  deletedAtMs?: number;
  /** Its active runs (listExperiments and getExperiment count them). */
  runCount?: number;
  /** The latest start or end time of any of its runs, or its creation time when it has none. */
  lastActivityMs?: number;
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
  /** "deleted" once soft-deleted (deleteRun, or its experiment's deletion); restorable until purged. */
  lifecycleStage: LifecycleStage;
  /** When it was deleted; set only while `lifecycleStage` is "deleted". */
  deletedAtMs?: number;
  /** The model versions registered from this run, by name then version. */
  modelVersions: RunModelVersion[];
  /** Datasets the run read (logInputs), by name then digest. */
  inputs: DatasetInput[];
  /** Logged models the run produced (logOutputs), by step then id. */
  outputs: ModelOutput[];
}

/** A model version as a run lists it. */
export interface RunModelVersion {
  name: string;
  version: number;
  stage: Stage;
}

/** A dataset a run read, as MLflow's DatasetInput (the client describes it; the server keeps it). */
export interface DatasetInput {
  name: string;
  digest: string;
  sourceType: string;
  source: string;
  schema: string;
  profile: string;
  /** Tags of this use of the dataset, e.g. `mlflow.data.context`. */
  tags: Record<string, string>;
}

export interface ModelOutput {
  modelId: string;
  step: number;
}

export const LOGGED_MODEL_STATUSES = ["PENDING", "READY", "FAILED"] as const;
export type LoggedModelStatus = (typeof LOGGED_MODEL_STATUSES)[number];

/** MLflow 3's LoggedModel: a model's params and tags apart from runs; its files are in the artifact tree. */
export interface LoggedModel {
  /** "m-" and 32 lowercase hex digits. */
  id: string;
  experimentId: string;
  name: string;
  sourceRunId: string | null;
  status: LoggedModelStatus;
  statusMessage: string;
  modelType: string;
  params: Record<string, string>;
  tags: Record<string, string>;
  createdAtMs: number;
  updatedAtMs: number;
}

export interface CreateLoggedModelInput {
  experimentId: string;
  /** Default: "model". */
  name?: string;
  sourceRunId?: string | null;
  modelType?: string;
  params?: Record<string, string>;
  tags?: Record<string, string>;
}

export interface SearchLoggedModelsQuery extends ListQuery {
  experimentIds: string[];
}

/** One file of the artifact tree: its bytes are in the artifact store under `sha256`. */
export interface ArtifactFileEntry {
  path: string;
  sha256: string;
  size: number;
  updatedAtMs: number;
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
  /** "" when the version cannot be served (`unservableReason` says why). */
  artifactSha256: string;
  stage: Stage;
  /** Aliases pointing at this version, sorted. */
  aliases: string[];
  tags: Record<string, string>;
  description: string;
  status: ModelVersionStatus;
  createdAtMs: number;
  updatedAtMs: number;
  /** The MLflow 3 logged model it was registered from. */
  modelId?: string;
  /** Why it cannot be served; such a version cannot go to Production. */
  unservableReason?: string;
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

export type AuditEntity = "model_version" | "alias" | "registered_model" | "run" | "experiment";
/**
 * `delete` on a model version or a registered model removes it; on a run or an experiment it is the
 * soft delete (`restore` undoes it); `purge` is gc's permanent removal of a soft-deleted one.
 */
export type AuditAction = "stage" | "alias_set" | "alias_delete" | "delete" | "restore" | "purge";

export interface AuditEvent {
  /** Increases with every event in the database. */
  id: number;
  /** When it happened, ms since the epoch. */
  at: number;
  actor: string;
  entity: AuditEntity;
  /** Registered model name; "" for run and experiment events. */
  name: string;
  /**
   * The version concerned: the one moved (stage), pointed at (alias set), released (alias delete) or
   * deleted; for a registered model's deletion, its highest version; 0 for run and experiment events.
   */
  version: number;
  action: AuditAction;
  /** Set for alias events only. */
  alias?: string;
  /**
   * stage: the previous stage; alias_set: the previous version (decimal) or null; alias_delete: the
   * version; model version delete: its stage; run and experiment events: the lifecycle stage before.
   */
  from: string | null;
  /**
   * stage: the new stage; alias_set: the new version (decimal); alias_delete and registry deletes:
   * null; run and experiment events: the lifecycle stage after ("deleted", "active"; purge: null).
   */
  to: string | null;
  comment?: string;
  /** Run events. */
  runId?: string;
  /** Experiment events, and run events (the run's experiment). */
  experimentId?: string;
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
  /** Default "active": soft-deleted runs are left out unless asked for. */
  view?: LifecycleView;
  status?: RunStatus | RunStatus[];
  /**
   * MLflow's filter syntax (`metrics.roc_auc > 0.99 and params.model = 'gbdt'`, src/store/run-filter.ts).
   * A filter that does not parse is a RunFilterError (INVALID_ARGUMENT) naming the bad token.
   */
  filter?: string;
  /**
   * Sort keys, most significant first; runs without a key's value sort last in either direction,
   * ties break by run id in the first key's direction. Overrides `order`.
   */
  orderBy?: RunOrderKey[];
  /** By start time, then id. Default "desc" (newest first), as MLflow. Ignored with `orderBy`. */
  order?: "asc" | "desc";
  /** Default 100, at most 1000. */
  limit?: number;
  pageToken?: string;
}

/** A page of runs, with how many match in all. */
export interface RunsPage extends Page<Run> {
  totalSize: number;
}

/** The param, metric and tag keys that some run of the experiments has, sorted. */
export interface RunKeys {
  metrics: string[];
  params: string[];
  tags: string[];
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
  /** "" only together with `unservableReason`. */
  artifactSha256: string;
  /** Registers a version that cannot be served, saying why (an MLflow flavor the importers do not read). */
  unservableReason?: string;
  /** The MLflow 3 logged model it comes from. */
  modelId?: string;
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
  /** Only events about this run. */
  runId?: string;
  /** Only events about this experiment or its runs. */
  experimentId?: string;
  /** Default 100, at most 1000. Newest first. */
  limit?: number;
}

export interface ListExperimentsQuery {
  /** Default "active". */
  view?: LifecycleView;
}

export interface PurgeOptions extends AuditOptions {
  /** Only runs and experiments deleted before this time (ms since the epoch). Default: now. */
  deletedBeforeMs?: number;
  /** Report what would be purged, change nothing. */
  dryRun?: boolean;
}

/** What `purgeDeleted` removed (or, dry, would remove). */
export interface PurgeResult {
  runs: string[];
  experiments: string[];
  /** Deleted runs kept because a model version names them (its metrics are read from the run). */
  keptRuns: string[];
}
