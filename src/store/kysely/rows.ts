// Row → domain mapping and the batch loaders that attach tags, params,
// metrics and aliases to a page of rows with a bounded number of queries.
import type { Selectable } from "kysely";
import type {
  DatasetInput,
  Experiment,
  LifecycleStage,
  Metric,
  ModelOutput,
  ModelVersion,
  Run,
  RunStatus,
  Stage,
} from "../types.js";
import type { Database, Db } from "./schema.js";

/** SQLite has a bound-parameter limit and PostgreSQL a practical one: keep IN lists short. */
export const CHUNK = 500;

export function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export const num = (v: number | string | bigint): number => Number(v);
export const numOrNull = (v: number | string | bigint | null): number | null =>
  v === null ? null : Number(v);

type MetricRow = Pick<
  Selectable<Database["run_metrics"]>,
  "key" | "value" | "is_nan" | "timestamp_ms" | "step"
>;

export function toMetric(r: MetricRow): Metric {
  return {
    key: r.key,
    value: num(r.is_nan) ? Number.NaN : Number(r.value),
    timestampMs: num(r.timestamp_ms),
    step: num(r.step),
  };
}

function group<T>(rows: T[], by: (r: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const k = by(r);
    const list = out.get(k);
    if (list) list.push(r);
    else out.set(k, [r]);
  }
  return out;
}

const toRecord = (rows: { key: string; value: string }[] | undefined): Record<string, string> =>
  Object.fromEntries((rows ?? []).map((r) => [r.key, r.value]));

export async function loadExperiments(
  db: Db,
  rows: Selectable<Database["experiments"]>[],
): Promise<Experiment[]> {
  const tags: { experiment_id: number | string | bigint; key: string; value: string }[] = [];
  for (const ids of chunks(rows.map((r) => num(r.experiment_id)))) {
    tags.push(
      ...(await db.selectFrom("experiment_tags").selectAll().where("experiment_id", "in", ids).execute()),
    );
  }
  const byId = group(tags, (t) => String(num(t.experiment_id)));
  // Run counts and last activity, of the runs in the experiment's own lifecycle stage.
  const stats = new Map<string, { n: number; last: number }>();
  for (const ids of chunks(rows.map((r) => num(r.experiment_id)))) {
    const counted = await db
      .selectFrom("runs")
      .select((eb) => [
        "experiment_id",
        "lifecycle_stage",
        eb.fn.countAll().as("n"),
        eb.fn.max("start_time_ms").as("last_start"),
        eb.fn.max("end_time_ms").as("last_end"),
      ])
      .where("experiment_id", "in", ids)
      .groupBy(["experiment_id", "lifecycle_stage"])
      .execute();
    for (const c of counted) {
      stats.set(`${num(c.experiment_id)}:${c.lifecycle_stage}`, {
        n: num(c.n as number),
        last: Math.max(num(c.last_start as number), c.last_end === null ? 0 : num(c.last_end as number)),
      });
    }
  }
  return rows.map((r) => {
    const stat = stats.get(`${num(r.experiment_id)}:${r.lifecycle_stage}`);
    const experiment: Experiment = {
      id: String(num(r.experiment_id)),
      name: r.name,
      lifecycleStage: r.lifecycle_stage as LifecycleStage,
      tags: toRecord(byId.get(String(num(r.experiment_id)))),
      createdAtMs: num(r.created_at_ms),
      runCount: stat?.n ?? 0,
      lastActivityMs: Math.max(num(r.created_at_ms), stat?.last ?? 0),
    };
    const deletedAt = numOrNull(r.deleted_at_ms);
    if (deletedAt !== null) experiment.deletedAtMs = deletedAt;
    return experiment;
  });
}

export async function loadRuns(db: Db, rows: Selectable<Database["runs"]>[]): Promise<Run[]> {
  const params: { run_id: string; key: string; value: string }[] = [];
  const tags: { run_id: string; key: string; value: string }[] = [];
  const metrics: (MetricRow & { run_id: string })[] = [];
  const versions: {
    run_id: string | null;
    name: string;
    version: number | string | bigint;
    stage: string;
  }[] = [];
  const inputs: Selectable<Database["run_inputs"]>[] = [];
  const outputs: Selectable<Database["run_outputs"]>[] = [];
  for (const ids of chunks(rows.map((r) => r.run_id))) {
    versions.push(
      ...(await db
        .selectFrom("model_versions")
        .select(["run_id", "name", "version", "stage"])
        .where("run_id", "in", ids)
        .orderBy("name")
        .orderBy("version")
        .execute()),
    );
    inputs.push(
      ...(await db
        .selectFrom("run_inputs")
        .selectAll()
        .where("run_id", "in", ids)
        .orderBy("name")
        .orderBy("digest")
        .execute()),
    );
    outputs.push(
      ...(await db
        .selectFrom("run_outputs")
        .selectAll()
        .where("run_id", "in", ids)
        .orderBy("step")
        .orderBy("model_id")
        .execute()),
    );
    params.push(...(await db.selectFrom("run_params").selectAll().where("run_id", "in", ids).execute()));
    tags.push(...(await db.selectFrom("run_tags").selectAll().where("run_id", "in", ids).execute()));
    metrics.push(
      ...(await db
        .selectFrom("run_latest_metrics")
        .select(["run_id", "key", "value", "is_nan", "timestamp_ms", "step"])
        .where("run_id", "in", ids)
        .orderBy("key")
        .execute()),
    );
  }
  const p = group(params, (r) => r.run_id);
  const t = group(tags, (r) => r.run_id);
  const m = group(metrics, (r) => r.run_id);
  const v = group(versions, (r) => r.run_id ?? "");
  const ins = group(inputs, (r) => r.run_id);
  const outs = group(outputs, (r) => r.run_id);
  return rows.map((r) => {
    const run: Run = {
      id: r.run_id,
      experimentId: String(num(r.experiment_id)),
      name: r.name,
      status: r.status as RunStatus,
      startTimeMs: num(r.start_time_ms),
      endTimeMs: numOrNull(r.end_time_ms),
      params: toRecord(p.get(r.run_id)),
      metrics: (m.get(r.run_id) ?? []).map(toMetric),
      tags: toRecord(t.get(r.run_id)),
      lifecycleStage: r.lifecycle_stage as LifecycleStage,
      modelVersions: (v.get(r.run_id) ?? []).map((x) => ({
        name: x.name,
        version: num(x.version),
        stage: x.stage as Stage,
      })),
      inputs: (ins.get(r.run_id) ?? []).map(toDatasetInput),
      outputs: (outs.get(r.run_id) ?? []).map(
        (o): ModelOutput => ({ modelId: o.model_id, step: num(o.step) }),
      ),
    };
    if (r.artifact_sha256 !== null) run.artifactSha256 = r.artifact_sha256;
    const deletedAt = numOrNull(r.deleted_at_ms);
    if (deletedAt !== null) run.deletedAtMs = deletedAt;
    return run;
  });
}

function toDatasetInput(r: Selectable<Database["run_inputs"]>): DatasetInput {
  return {
    name: r.name,
    digest: r.digest,
    sourceType: r.source_type,
    source: r.source,
    schema: r.schema,
    profile: r.profile,
    tags: JSON.parse(r.tags_json) as Record<string, string>,
  };
}

const versionKey = (name: string, version: number | string | bigint): string =>
  `${name}\u0000${num(version)}`;

export async function loadVersions(
  db: Db,
  rows: Selectable<Database["model_versions"]>[],
): Promise<ModelVersion[]> {
  const tags: { name: string; version: number | string | bigint; key: string; value: string }[] = [];
  const aliases: { name: string; version: number | string | bigint; alias: string }[] = [];
  for (const part of chunks(rows, 200)) {
    const pairs = part.map((r) => ({ name: r.name, version: num(r.version) }));
    tags.push(
      ...(await db
        .selectFrom("model_version_tags")
        .selectAll()
        .where((eb) =>
          eb.or(pairs.map((p) => eb.and([eb("name", "=", p.name), eb("version", "=", p.version)]))),
        )
        .execute()),
    );
    aliases.push(
      ...(await db
        .selectFrom("model_aliases")
        .selectAll()
        .where((eb) =>
          eb.or(pairs.map((p) => eb.and([eb("name", "=", p.name), eb("version", "=", p.version)]))),
        )
        .orderBy("alias")
        .execute()),
    );
  }
  const t = group(tags, (r) => versionKey(r.name, r.version));
  const a = group(aliases, (r) => versionKey(r.name, r.version));
  return rows.map((r) => {
    const k = versionKey(r.name, r.version);
    const version: ModelVersion = {
      name: r.name,
      version: num(r.version),
      runId: r.run_id,
      source: r.source,
      artifactSha256: r.artifact_sha256,
      stage: r.stage as Stage,
      aliases: (a.get(k) ?? []).map((x) => x.alias),
      tags: toRecord(t.get(k)),
      description: r.description,
      status: "READY",
      createdAtMs: num(r.created_at_ms),
      updatedAtMs: num(r.updated_at_ms),
    };
    if (r.model_id !== null && r.model_id !== undefined) version.modelId = r.model_id;
    if (r.unservable_reason !== null && r.unservable_reason !== undefined) {
      version.unservableReason = r.unservable_reason;
    }
    return version;
  });
}
