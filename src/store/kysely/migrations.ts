// The ordered schema history. Append only: never edit or reorder a shipped
// migration, add a new one. Written with Kysely's schema builder and portable
// column types so the same list builds the PostgreSQL schema.
import type { Kysely } from "kysely";

// A migration sees the schema as it was when it was written, not today's Database type.
// biome-ignore lint/suspicious/noExplicitAny: Kysely's documented type for migrations
export type MigrationDb = Kysely<any>;

export interface Migration {
  /** Sortable and unique, e.g. "0001_initial". */
  id: string;
  up(db: MigrationDb): Promise<void>;
}

const initial: Migration = {
  id: "0001_initial",
  async up(db) {
    await db.schema
      .createTable("experiments")
      .addColumn("experiment_id", "bigint", (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull().unique())
      .addColumn("lifecycle_stage", "text", (c) => c.notNull())
      .addColumn("created_at_ms", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("experiment_tags")
      .addColumn("experiment_id", "bigint", (c) =>
        c.notNull().references("experiments.experiment_id").onDelete("cascade"),
      )
      .addColumn("key", "text", (c) => c.notNull())
      .addColumn("value", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("experiment_tags_pk", ["experiment_id", "key"])
      .execute();

    await db.schema
      .createTable("runs")
      .addColumn("run_id", "text", (c) => c.primaryKey())
      .addColumn("experiment_id", "bigint", (c) => c.notNull().references("experiments.experiment_id"))
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("start_time_ms", "bigint", (c) => c.notNull())
      .addColumn("end_time_ms", "bigint")
      .addColumn("artifact_sha256", "text")
      .execute();
    // searchRuns: by experiment, ordered by start time then id.
    await db.schema
      .createIndex("runs_experiment_start_idx")
      .on("runs")
      .columns(["experiment_id", "start_time_ms", "run_id"])
      .execute();
    for (const table of ["run_params", "run_tags"]) {
      await db.schema
        .createTable(table)
        .addColumn("run_id", "text", (c) => c.notNull().references("runs.run_id").onDelete("cascade"))
        .addColumn("key", "text", (c) => c.notNull())
        .addColumn("value", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint(`${table}_pk`, ["run_id", "key"])
        .execute();
    }
    for (const [table, pk] of [
      ["run_metrics", ["run_id", "seq"]],
      ["run_latest_metrics", ["run_id", "key"]],
    ] as const) {
      await db.schema
        .createTable(table)
        .addColumn("run_id", "text", (c) => c.notNull().references("runs.run_id").onDelete("cascade"))
        .addColumn("key", "text", (c) => c.notNull())
        .addColumn("seq", "bigint", (c) => c.notNull())
        .addColumn("value", "double precision", (c) => c.notNull())
        .addColumn("is_nan", "integer", (c) => c.notNull())
        .addColumn("timestamp_ms", "bigint", (c) => c.notNull())
        .addColumn("step", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint(`${table}_pk`, [...pk])
        .execute();
    }
    await db.schema
      .createIndex("run_metrics_history_idx")
      .on("run_metrics")
      .columns(["run_id", "key", "step", "timestamp_ms", "seq"])
      .execute();

    await db.schema
      .createTable("registered_models")
      .addColumn("name", "text", (c) => c.primaryKey())
      .addColumn("description", "text", (c) => c.notNull())
      .addColumn("created_at_ms", "bigint", (c) => c.notNull())
      .addColumn("updated_at_ms", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("registered_model_tags")
      .addColumn("name", "text", (c) => c.notNull().references("registered_models.name").onDelete("cascade"))
      .addColumn("key", "text", (c) => c.notNull())
      .addColumn("value", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("registered_model_tags_pk", ["name", "key"])
      .execute();
    // The primary key is the UNIQUE(name, version) that backs gap-free numbering.
    await db.schema
      .createTable("model_versions")
      .addColumn("name", "text", (c) => c.notNull().references("registered_models.name").onDelete("cascade"))
      .addColumn("version", "bigint", (c) => c.notNull())
      .addColumn("run_id", "text")
      .addColumn("source", "text", (c) => c.notNull())
      .addColumn("artifact_sha256", "text", (c) => c.notNull())
      .addColumn("stage", "text", (c) => c.notNull())
      .addColumn("description", "text", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("created_at_ms", "bigint", (c) => c.notNull())
      .addColumn("updated_at_ms", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("model_versions_pk", ["name", "version"])
      .execute();
    await db.schema.createIndex("model_versions_stage_idx").on("model_versions").columns(["stage"]).execute();
    await db.schema.createIndex("model_versions_run_idx").on("model_versions").columns(["run_id"]).execute();
    await db.schema
      .createTable("model_version_tags")
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("version", "bigint", (c) => c.notNull())
      .addColumn("key", "text", (c) => c.notNull())
      .addColumn("value", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("model_version_tags_pk", ["name", "version", "key"])
      .addForeignKeyConstraint(
        "model_version_tags_fk",
        ["name", "version"],
        "model_versions",
        ["name", "version"],
        (c) => c.onDelete("cascade"),
      )
      .execute();
    await db.schema
      .createTable("model_aliases")
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("alias", "text", (c) => c.notNull())
      .addColumn("version", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("model_aliases_pk", ["name", "alias"])
      .addForeignKeyConstraint(
        "model_aliases_fk",
        ["name", "version"],
        "model_versions",
        ["name", "version"],
        (c) => c.onDelete("cascade"),
      )
      .execute();

    // No foreign keys: the history must outlive what it describes.
    await db.schema
      .createTable("audit_events")
      .addColumn("id", "bigint", (c) => c.primaryKey())
      .addColumn("at_ms", "bigint", (c) => c.notNull())
      .addColumn("actor", "text", (c) => c.notNull())
      .addColumn("entity", "text", (c) => c.notNull())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("version", "bigint", (c) => c.notNull())
      .addColumn("action", "text", (c) => c.notNull())
      .addColumn("alias", "text")
      .addColumn("from_value", "text")
      .addColumn("to_value", "text")
      .addColumn("comment", "text")
      .execute();
    await db.schema.createIndex("audit_events_name_idx").on("audit_events").columns(["name", "id"]).execute();

    // MLflow clients create runs in experiment "0" when they name none.
    await db
      .insertInto("experiments")
      .values({ experiment_id: 0, name: "Default", lifecycle_stage: "active", created_at_ms: Date.now() })
      .execute();
  },
};

// Deletes (issue 9): soft-deleted runs and experiments (MLflow's lifecycle_stage), a per-model
// high-water mark so that a deleted version's number is never handed out again, and audit events
// about runs and experiments. Columns only: every existing row reads as active and undeleted.
const deletes: Migration = {
  id: "0002_deletes",
  async up(db) {
    await db.schema
      .alterTable("runs")
      .addColumn("lifecycle_stage", "text", (c) => c.notNull().defaultTo("active"))
      .execute();
    await db.schema.alterTable("runs").addColumn("deleted_at_ms", "bigint").execute();
    await db.schema.alterTable("experiments").addColumn("deleted_at_ms", "bigint").execute();
    await db.schema
      .alterTable("registered_models")
      .addColumn("highest_version", "bigint", (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.alterTable("audit_events").addColumn("run_id", "text").execute();
    await db.schema.alterTable("audit_events").addColumn("experiment_id", "text").execute();
    // gc reads every reference to an artifact.
    await db.schema.createIndex("runs_artifact_idx").on("runs").columns(["artifact_sha256"]).execute();
    await db.schema
      .createIndex("model_versions_artifact_idx")
      .on("model_versions")
      .columns(["artifact_sha256"])
      .execute();
  },
};

// The web UI (issue 12): experiments list their run counts and last activity (an index-only
// aggregate per experiment), and runs are filtered and sorted by a metric, param or tag value on the
// database. Indexes only.
const uiSearch: Migration = {
  id: "0003_ui_search",
  async up(db) {
    await db.schema
      .createIndex("runs_experiment_stage_idx")
      .on("runs")
      .columns(["experiment_id", "lifecycle_stage", "start_time_ms", "end_time_ms", "run_id"])
      .execute();
    // Covering the sort join and the filters' lookups: (key, run) → value without a table read.
    await db.schema
      .createIndex("run_latest_metrics_key_value_idx")
      .on("run_latest_metrics")
      .columns(["key", "run_id", "value", "is_nan"])
      .execute();
    for (const table of ["run_params", "run_tags"]) {
      await db.schema
        .createIndex(`${table}_key_value_idx`)
        .on(table)
        .columns(["key", "run_id", "value"])
        .execute();
    }
  },
};

// MLflow's REST API (issue 14): the artifact tree behind MLflow's artifact proxy (path → digest in
// the content-addressed store), MLflow 3's logged models, the datasets and models a run read and
// produced, and on model versions the logged model they came from and why one cannot be served.
const mlflow: Migration = {
  id: "0004_mlflow",
  async up(db) {
    await db.schema
      .createTable("artifact_files")
      .addColumn("path", "text", (c) => c.primaryKey())
      .addColumn("sha256", "text", (c) => c.notNull())
      .addColumn("size", "bigint", (c) => c.notNull())
      .addColumn("updated_at_ms", "bigint", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("artifact_files_sha_idx").on("artifact_files").columns(["sha256"]).execute();

    await db.schema
      .createTable("logged_models")
      .addColumn("model_id", "text", (c) => c.primaryKey())
      .addColumn("experiment_id", "bigint", (c) => c.notNull().references("experiments.experiment_id"))
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("source_run_id", "text")
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("status_message", "text", (c) => c.notNull())
      .addColumn("model_type", "text", (c) => c.notNull())
      .addColumn("created_at_ms", "bigint", (c) => c.notNull())
      .addColumn("updated_at_ms", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("logged_models_experiment_idx")
      .on("logged_models")
      .columns(["experiment_id", "created_at_ms", "model_id"])
      .execute();
    for (const table of ["logged_model_params", "logged_model_tags"]) {
      await db.schema
        .createTable(table)
        .addColumn("model_id", "text", (c) =>
          c.notNull().references("logged_models.model_id").onDelete("cascade"),
        )
        .addColumn("key", "text", (c) => c.notNull())
        .addColumn("value", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint(`${table}_pk`, ["model_id", "key"])
        .execute();
    }

    await db.schema
      .createTable("run_inputs")
      .addColumn("run_id", "text", (c) => c.notNull().references("runs.run_id").onDelete("cascade"))
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("digest", "text", (c) => c.notNull())
      .addColumn("source_type", "text", (c) => c.notNull())
      .addColumn("source", "text", (c) => c.notNull())
      .addColumn("schema", "text", (c) => c.notNull())
      .addColumn("profile", "text", (c) => c.notNull())
      .addColumn("tags_json", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("run_inputs_pk", ["run_id", "name", "digest"])
      .execute();
    await db.schema
      .createTable("run_outputs")
      .addColumn("run_id", "text", (c) => c.notNull().references("runs.run_id").onDelete("cascade"))
      .addColumn("model_id", "text", (c) => c.notNull())
      .addColumn("step", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("run_outputs_pk", ["run_id", "model_id", "step"])
      .execute();

    await db.schema.alterTable("model_versions").addColumn("model_id", "text").execute();
    await db.schema.alterTable("model_versions").addColumn("unservable_reason", "text").execute();
  },
};

export const MIGRATIONS: readonly Migration[] = [initial, deletes, uiSearch, mlflow];
