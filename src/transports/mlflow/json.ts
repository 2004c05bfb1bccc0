// The house's messages as MLflow's JSON: snake_case, int64 as JSON numbers, enums by MLflow's names,
// tags and params as `[{key, value}]`, times in epoch milliseconds.
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Stage } from "../../gen/mlops/v1/model_pb.js";
import type { ModelVersionSchema, RegisteredModelSchema } from "../../gen/mlops/v1/registry_pb.js";
import {
  type ExperimentSchema,
  LifecycleStage,
  type LoggedModelSchema,
  LoggedModelStatus,
  type MetricSchema,
  type RunSchema,
  RunStatus,
} from "../../gen/mlops/v1/tracking_pb.js";
import { artifactUri } from "../../services/mapping/artifact-paths.js";

// The services answer with init shapes: every field may be left out.
type Experiment = MessageInitShape<typeof ExperimentSchema>;
type Run = MessageInitShape<typeof RunSchema>;
type Metric = MessageInitShape<typeof MetricSchema>;
type RegisteredModel = MessageInitShape<typeof RegisteredModelSchema>;
type ModelVersion = MessageInitShape<typeof ModelVersionSchema>;
type LoggedModel = MessageInitShape<typeof LoggedModelSchema>;

/** int64 → a JSON number (ms times and steps fit a double exactly). */
const n = (v: bigint | number | undefined): number => Number(v ?? 0);

/** JSON has no NaN or infinities: MLflow (protobuf's JSON) writes them as strings. */
export const metricValue = (v: number | undefined): number | string =>
  v === undefined
    ? 0
    : Number.isNaN(v)
      ? "NaN"
      : v === Infinity
        ? "Infinity"
        : v === -Infinity
          ? "-Infinity"
          : v;

export const keyValueList = (map: Record<string, string> | undefined) =>
  Object.entries(map ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => ({ key, value }));

const LIFECYCLE: Record<number, string> = {
  [LifecycleStage.ACTIVE]: "active",
  [LifecycleStage.DELETED]: "deleted",
};
const lifecycle = (v: LifecycleStage | undefined) => LIFECYCLE[v ?? 0] ?? "active";

export function experimentJson(e: Experiment | undefined) {
  const id = e?.experimentId ?? "";
  return {
    experiment_id: id,
    name: e?.name ?? "",
    artifact_location: artifactUri(id),
    lifecycle_stage: lifecycle(e?.lifecycleStage),
    last_update_time: n(e?.updatedAtMs),
    creation_time: n(e?.createdAtMs),
    tags: keyValueList(e?.tags),
  };
}

const RUN_STATUS: Record<number, string> = {
  [RunStatus.RUNNING]: "RUNNING",
  [RunStatus.FINISHED]: "FINISHED",
  [RunStatus.FAILED]: "FAILED",
  [RunStatus.KILLED]: "KILLED",
};

/** MLflow's status names (and SCHEDULED, which mlops has no state for: RUNNING). */
export function runStatusOf(name: string): RunStatus | undefined {
  if (name === "SCHEDULED") return RunStatus.RUNNING;
  const found = Object.entries(RUN_STATUS).find(([, v]) => v === name);
  return found ? (Number(found[0]) as RunStatus) : undefined;
}

export function metricJson(m: Metric) {
  return { key: m.key ?? "", value: metricValue(m.value), timestamp: n(m.timestampMs), step: n(m.step) };
}

export function runInfoJson(r: Run | undefined) {
  const info: Record<string, unknown> = {
    run_id: r?.runId ?? "",
    run_uuid: r?.runId ?? "",
    run_name: r?.runName ?? "",
    experiment_id: r?.experimentId ?? "",
    user_id: r?.tags?.["mlflow.user"] ?? "",
    status: RUN_STATUS[r?.status ?? 0] ?? "RUNNING",
    start_time: n(r?.startTimeMs),
    artifact_uri: artifactUri(r?.artifactRoot ?? ""),
    lifecycle_stage: lifecycle(r?.lifecycleStage),
  };
  if (n(r?.endTimeMs) > 0) info.end_time = n(r?.endTimeMs);
  return info;
}

export function runJson(r: Run | undefined) {
  return {
    info: runInfoJson(r),
    data: {
      metrics: (r?.metrics ?? []).map(metricJson),
      params: keyValueList(r?.params),
      tags: keyValueList(r?.tags),
    },
    inputs: {
      dataset_inputs: (r?.inputs ?? []).map((d) => ({
        tags: keyValueList(d.tags),
        dataset: {
          name: d.name ?? "",
          digest: d.digest ?? "",
          source_type: d.sourceType ?? "",
          source: d.source ?? "",
          ...(d.schema ? { schema: d.schema } : {}),
          ...(d.profile ? { profile: d.profile } : {}),
        },
      })),
    },
    outputs: {
      model_outputs: (r?.outputs ?? []).map((o) => ({ model_id: o.modelId ?? "", step: n(o.step) })),
    },
  };
}

const STAGE_NAMES: Record<number, string> = {
  [Stage.NONE]: "None",
  [Stage.STAGING]: "Staging",
  [Stage.PRODUCTION]: "Production",
  [Stage.ARCHIVED]: "Archived",
};

/** MLflow's stage names, any case ("production" too, as MLflow accepts). */
export function stageOf(name: string): Stage | undefined {
  const found = Object.entries(STAGE_NAMES).find(([, v]) => v.toLowerCase() === name.toLowerCase());
  return found ? (Number(found[0]) as Stage) : undefined;
}

export const stageName = (s: Stage | undefined): string => STAGE_NAMES[s ?? 0] ?? "None";

export function modelVersionJson(v: ModelVersion | undefined) {
  const out: Record<string, unknown> = {
    name: v?.name ?? "",
    version: v?.version ?? "",
    creation_timestamp: n(v?.createdAtMs),
    last_updated_timestamp: n(v?.updatedAtMs),
    current_stage: stageName(v?.stage),
    description: v?.description ?? "",
    source: v?.source ?? "",
    run_id: v?.runId ?? "",
    // Registration converts (or refuses) synchronously, so a version is READY when it exists.
    status: "READY",
    tags: keyValueList(v?.tags),
    aliases: [...(v?.aliases ?? [])],
  };
  if (v?.modelId) out.model_id = v.modelId;
  if (v?.unservableReason) out.status_message = `not servable by mlops: ${v.unservableReason}`;
  return out;
}

export function registeredModelJson(m: RegisteredModel | undefined) {
  return {
    name: m?.name ?? "",
    creation_timestamp: n(m?.createdAtMs),
    last_updated_timestamp: n(m?.updatedAtMs),
    description: m?.description ?? "",
    latest_versions: (m?.latestVersions ?? []).map(modelVersionJson),
    tags: keyValueList(m?.tags),
    aliases: Object.entries(m?.aliases ?? {})
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([alias, version]) => ({ alias, version })),
  };
}

const LOGGED_STATUS: Record<number, string> = {
  [LoggedModelStatus.PENDING]: "LOGGED_MODEL_PENDING",
  [LoggedModelStatus.READY]: "LOGGED_MODEL_READY",
  [LoggedModelStatus.FAILED]: "LOGGED_MODEL_UPLOAD_FAILED",
};

export function loggedStatusOf(name: string): LoggedModelStatus | undefined {
  const found = Object.entries(LOGGED_STATUS).find(([, v]) => v === name);
  return found ? (Number(found[0]) as LoggedModelStatus) : undefined;
}

export function loggedModelJson(m: LoggedModel | undefined) {
  return {
    info: {
      model_id: m?.modelId ?? "",
      experiment_id: m?.experimentId ?? "",
      name: m?.name ?? "",
      creation_timestamp_ms: n(m?.createdAtMs),
      last_updated_timestamp_ms: n(m?.updatedAtMs),
      artifact_uri: artifactUri(m?.artifactRoot ?? ""),
      status: LOGGED_STATUS[m?.status ?? 0] ?? "LOGGED_MODEL_PENDING",
      status_message: m?.statusMessage ?? "",
      model_type: m?.modelType ?? "",
      source_run_id: m?.sourceRunId ?? "",
      tags: keyValueList(m?.tags),
    },
    data: { params: keyValueList(m?.params), metrics: [] },
  };
}
