import type {
  ArtifactFileEntry,
  AuditEvent,
  AuditOptions,
  CreateExperimentInput,
  CreateLoggedModelInput,
  CreateModelVersionInput,
  CreateRegisteredModelInput,
  CreateRunInput,
  DatasetInput,
  Experiment,
  LifecycleView,
  ListAuditEventsQuery,
  ListExperimentsQuery,
  ListQuery,
  LogBatchInput,
  LoggedModel,
  LoggedModelStatus,
  Metric,
  MetricInput,
  ModelOutput,
  ModelVersion,
  Page,
  PurgeOptions,
  PurgeResult,
  RegisteredModel,
  Run,
  RunKeys,
  RunsPage,
  SearchLoggedModelsQuery,
  SearchModelVersionsQuery,
  SearchRunsQuery,
  TransitionStageOptions,
  UpdateRunInput,
} from "./types.js";

/**
 * The registry + tracking store. Every failure the caller can act on is a
 * StoreError with a stable code; anything else is a bug or an I/O fault.
 * Writes are atomic: a method either fully applies or changes nothing.
 */
export interface Store {
  // --- experiments ---
  /** ALREADY_EXISTS when the name is taken. */
  createExperiment(input: CreateExperimentInput): Promise<Experiment>;
  getExperiment(id: string): Promise<Experiment>;
  getExperimentByName(name: string): Promise<Experiment>;
  /** Experiments by id: the active ones unless `view` says otherwise. */
  listExperiments(query?: ListExperimentsQuery): Promise<Experiment[]>;
  setExperimentTag(id: string, key: string, value: string): Promise<void>;
  /** NOT_FOUND when the tag is absent. */
  deleteExperimentTag(id: string, key: string): Promise<void>;
  /** Renames it. ALREADY_EXISTS when the name is taken; FAILED_PRECONDITION when it is deleted. */
  renameExperiment(id: string, name: string): Promise<Experiment>;
  /**
   * Soft delete, as MLflow: the experiment and its active runs go to the "deleted" stage (audited),
   * hidden from default listings and restorable until gc purges them. The name stays taken.
   * FAILED_PRECONDITION for the Default experiment "0" and for one already deleted.
   */
  deleteExperiment(id: string, options: AuditOptions): Promise<Experiment>;
  /** Undoes deleteExperiment, with the runs it deleted. FAILED_PRECONDITION when it is active. */
  restoreExperiment(id: string, options: AuditOptions): Promise<Experiment>;

  // --- runs ---
  /** NOT_FOUND when the experiment does not exist; FAILED_PRECONDITION when it is deleted. */
  createRun(input: CreateRunInput): Promise<Run>;
  getRun(runId: string): Promise<Run>;
  /** Status, end time, name, artifact; returns the updated run. */
  updateRun(runId: string, patch: UpdateRunInput): Promise<Run>;
  searchRuns(query: SearchRunsQuery): Promise<RunsPage>;
  /** Every param, metric and tag key the runs of the experiments (in the view) have. */
  listRunKeys(experimentIds: string[], view?: LifecycleView): Promise<RunKeys>;
  /** Params are immutable: the same value again is a no-op, a different one INVALID_ARGUMENT. */
  logParam(runId: string, key: string, value: string): Promise<void>;
  logParams(runId: string, params: Record<string, string>): Promise<void>;
  logMetric(runId: string, metric: MetricInput): Promise<void>;
  logMetrics(runId: string, metrics: MetricInput[]): Promise<void>;
  /** Params, metrics and tags in one transaction. */
  logBatch(runId: string, batch: LogBatchInput): Promise<void>;
  /** Every logged point of `key`, by step, then timestamp, then log order. */
  getMetricHistory(runId: string, key: string): Promise<Metric[]>;
  setRunTag(runId: string, key: string, value: string): Promise<void>;
  /** NOT_FOUND when the tag is absent. */
  deleteRunTag(runId: string, key: string): Promise<void>;
  /**
   * Soft delete (audited): hidden from searchRuns unless asked for, still readable with getRun,
   * restorable until gc purges it. Writes to a deleted run are FAILED_PRECONDITION, as is deleting
   * it again.
   */
  deleteRun(runId: string, options: AuditOptions): Promise<Run>;
  /** FAILED_PRECONDITION when the run is active or its experiment is deleted. */
  restoreRun(runId: string, options: AuditOptions): Promise<Run>;
  /** Records datasets the run read; the same name and digest again replaces the entry. */
  logInputs(runId: string, datasets: DatasetInput[]): Promise<void>;
  /** Records logged models the run produced (NOT_FOUND for a model that does not exist). */
  logOutputs(runId: string, outputs: ModelOutput[]): Promise<void>;

  // --- logged models (MLflow 3) ---
  /** NOT_FOUND for a missing experiment or run; FAILED_PRECONDITION for a deleted experiment. */
  createLoggedModel(input: CreateLoggedModelInput): Promise<LoggedModel>;
  getLoggedModel(id: string): Promise<LoggedModel>;
  /** Newest first. */
  searchLoggedModels(query: SearchLoggedModelsQuery): Promise<Page<LoggedModel>>;
  finalizeLoggedModel(id: string, status: LoggedModelStatus, message?: string): Promise<LoggedModel>;
  setLoggedModelTags(id: string, tags: Record<string, string>): Promise<void>;
  /** NOT_FOUND when the tag is absent. */
  deleteLoggedModelTag(id: string, key: string): Promise<void>;
  /** Immutable as a run's params. */
  logLoggedModelParams(id: string, params: Record<string, string>): Promise<void>;
  deleteLoggedModel(id: string): Promise<void>;

  // --- the artifact tree (paths → digests in the artifact store) ---
  /** Points `path` at stored bytes; replaces what was there. A path cannot be both file and folder. */
  putArtifactFile(entry: Omit<ArtifactFileEntry, "updatedAtMs">): Promise<ArtifactFileEntry>;
  /** NOT_FOUND when no file is at `path`. */
  getArtifactFile(path: string): Promise<ArtifactFileEntry>;
  /** Every file at or under the folder `prefix` ("" for all), by path. */
  listArtifactFiles(prefix: string): Promise<ArtifactFileEntry[]>;
  /** Removes the file at `path` or every file under it; the number removed (0: nothing was there). */
  deleteArtifactFiles(path: string): Promise<number>;

  // --- registered models ---
  createRegisteredModel(input: CreateRegisteredModelInput): Promise<RegisteredModel>;
  /** Includes `latestVersions`. */
  getRegisteredModel(name: string): Promise<RegisteredModel>;
  /** By name; includes `latestVersions`. */
  listRegisteredModels(query?: ListQuery): Promise<Page<RegisteredModel>>;
  updateRegisteredModel(name: string, patch: { description: string }): Promise<RegisteredModel>;
  setRegisteredModelTag(name: string, key: string, value: string): Promise<void>;
  deleteRegisteredModelTag(name: string, key: string): Promise<void>;
  /**
   * Renames the model with its versions, tags, aliases and audit events. ALREADY_EXISTS when the new
   * name is taken.
   */
  renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel>;

  // --- model versions ---
  /** Next version number of the model (1, 2, 3…), unique and gap-free under concurrency. */
  createModelVersion(input: CreateModelVersionInput): Promise<ModelVersion>;
  getModelVersion(name: string, version: number): Promise<ModelVersion>;
  /** Every version of the model, ascending. */
  listModelVersions(name: string): Promise<ModelVersion[]>;
  /** By name ascending, then version descending. */
  searchModelVersions(query: SearchModelVersionsQuery): Promise<Page<ModelVersion>>;
  updateModelVersion(name: string, version: number, patch: { description: string }): Promise<ModelVersion>;
  setModelVersionTag(name: string, version: number, key: string, value: string): Promise<void>;
  deleteModelVersionTag(name: string, version: number, key: string): Promise<void>;
  /**
   * Moves a version to `stage` (case-insensitive None/Staging/Production/Archived), audited.
   * FAILED_PRECONDITION when it is already there, and for Production when the version cannot be
   * served (`unservableReason`). With `archiveExisting`, every other version
   * in that stage goes to Archived in the same transaction, each change audited.
   */
  transitionStage(
    name: string,
    version: number,
    stage: string,
    options: TransitionStageOptions,
  ): Promise<ModelVersion>;

  /**
   * Removes the version, its tags and the aliases on it (each audited). FAILED_PRECONDITION while it
   * is in Staging or Production. Its number is never given again.
   */
  deleteModelVersion(name: string, version: number, options: AuditOptions): Promise<void>;
  /**
   * Removes the model with every version, tag and alias (audited). FAILED_PRECONDITION while any
   * version is in Staging or Production. The name can then be registered anew, from version 1.
   */
  deleteRegisteredModel(name: string, options: AuditOptions): Promise<void>;

  // --- aliases ---
  /** Points `alias` at `version`, moving it if it pointed elsewhere; audited unless unchanged. */
  setAlias(name: string, alias: string, version: number, options: AuditOptions): Promise<void>;
  /** NOT_FOUND when the alias is absent; audited. */
  deleteAlias(name: string, alias: string, options: AuditOptions): Promise<void>;
  /** The version the alias points at. */
  resolveAlias(name: string, alias: string): Promise<ModelVersion>;

  // --- garbage collection ---
  /** Permanently removes soft-deleted runs (unless a model version names them) and experiments, audited. */
  purgeDeleted(options: PurgeOptions): Promise<PurgeResult>;
  /**
   * Every artifact digest a model version or a run (of any stage) refers to, leaving out the runs in
   * `exceptRuns` (for a dry run: the ones a purge would remove).
   */
  referencedArtifacts(options?: { exceptRuns?: readonly string[] }): Promise<Set<string>>;

  // --- audit, health, lifecycle ---
  /** Newest first. */
  listAuditEvents(query?: ListAuditEventsQuery): Promise<AuditEvent[]>;
  /**
   * Calls `listener(name)` after a committed change that may alter what model `name` serves or
   * scores: a stage transition, an alias set or deleted, a version or model deleted. It hears the
   * changes made through this store and, on PostgreSQL, those of every process on the same database
   * (LISTEN/NOTIFY), typically within milliseconds. `listener(null)` means changes may have been
   * missed (the notification connection was lost and is back): re-read what you serve. On SQLite
   * other processes' changes are not heard: poll. Returns the function that unsubscribes.
   */
  onServingChange(listener: (name: string | null) => void): () => void;
  /** Resolves when the database answers a query; UNAVAILABLE otherwise (e.g. after close). */
  ping(): Promise<void>;
  /** Idempotent; later calls on the store fail with UNAVAILABLE. */
  close(): Promise<void>;
}
