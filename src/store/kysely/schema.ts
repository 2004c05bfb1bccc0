// Table types for Kysely. Integers that can exceed 2^31 are BIGINT; PostgreSQL
// drivers return those as strings, so reads accept string | bigint too and the
// row mappers convert with Number().
import type { ColumnType, Kysely, Transaction } from "kysely";

export type Int8 = ColumnType<number | string | bigint, number, number>;
export type NullableInt8 = ColumnType<number | string | bigint | null, number | null, number | null>;

export interface Database {
  schema_migrations: { id: string; applied_at_ms: Int8 };
  experiments: {
    experiment_id: Int8;
    name: string;
    lifecycle_stage: string;
    created_at_ms: Int8;
    /** Set while lifecycle_stage is "deleted" (migration 0002). */
    deleted_at_ms: ColumnType<number | string | bigint | null, number | null | undefined, number | null>;
  };
  experiment_tags: { experiment_id: Int8; key: string; value: string };
  runs: {
    run_id: string;
    experiment_id: Int8;
    name: string;
    status: string;
    start_time_ms: Int8;
    end_time_ms: NullableInt8;
    artifact_sha256: string | null;
    /** "active" or "deleted" (migration 0002; MLflow's lifecycle_stage). */
    lifecycle_stage: ColumnType<string, string | undefined, string>;
    deleted_at_ms: ColumnType<number | string | bigint | null, number | null | undefined, number | null>;
  };
  run_params: { run_id: string; key: string; value: string };
  run_tags: { run_id: string; key: string; value: string };
  /** Full history; `seq` numbers a run's points in log order. NaN is stored as is_nan = 1, value 0. */
  run_metrics: {
    run_id: string;
    key: string;
    seq: Int8;
    value: number;
    is_nan: number;
    timestamp_ms: Int8;
    step: Int8;
  };
  run_latest_metrics: {
    run_id: string;
    key: string;
    seq: Int8;
    value: number;
    is_nan: number;
    timestamp_ms: Int8;
    step: Int8;
  };
  registered_models: {
    name: string;
    description: string;
    created_at_ms: Int8;
    updated_at_ms: Int8;
    /** The highest version number ever given, deleted ones included (migration 0002). */
    highest_version: ColumnType<number | string | bigint, number | undefined, number>;
  };
  registered_model_tags: { name: string; key: string; value: string };
  model_versions: {
    name: string;
    version: Int8;
    run_id: string | null;
    source: string;
    artifact_sha256: string;
    stage: string;
    description: string;
    status: string;
    created_at_ms: Int8;
    updated_at_ms: Int8;
    /** The MLflow 3 logged model it was registered from (migration 0004). */
    model_id: ColumnType<string | null, string | null | undefined, string | null>;
    /** Set when the version cannot be served; artifact_sha256 is then "" (migration 0004). */
    unservable_reason: ColumnType<string | null, string | null | undefined, string | null>;
  };
  model_version_tags: { name: string; version: Int8; key: string; value: string };
  model_aliases: { name: string; alias: string; version: Int8 };
  audit_events: {
    id: Int8;
    at_ms: Int8;
    actor: string;
    entity: string;
    name: string;
    version: Int8;
    action: string;
    alias: string | null;
    from_value: string | null;
    to_value: string | null;
    comment: string | null;
    /** Events about runs and experiments (migration 0002); null on registry events. */
    run_id: ColumnType<string | null, string | null | undefined, string | null>;
    experiment_id: ColumnType<string | null, string | null | undefined, string | null>;
  };
  /** The artifact tree (migration 0004): a path's bytes live in the artifact store under `sha256`. */
  artifact_files: { path: string; sha256: string; size: Int8; updated_at_ms: Int8 };
  /** MLflow 3's logged models (migration 0004). */
  logged_models: {
    model_id: string;
    experiment_id: Int8;
    name: string;
    source_run_id: string | null;
    status: string;
    status_message: string;
    model_type: string;
    created_at_ms: Int8;
    updated_at_ms: Int8;
  };
  logged_model_params: { model_id: string; key: string; value: string };
  logged_model_tags: { model_id: string; key: string; value: string };
  /** Datasets a run read (migration 0004); `tags_json` is a JSON object of the input's tags. */
  run_inputs: {
    run_id: string;
    name: string;
    digest: string;
    source_type: string;
    source: string;
    schema: string;
    profile: string;
    tags_json: string;
  };
  /** Logged models a run produced (migration 0004). */
  run_outputs: { run_id: string; model_id: string; step: Int8 };
}

/** A connection or an open transaction: query helpers accept either. */
export type Db = Kysely<Database> | Transaction<Database>;
