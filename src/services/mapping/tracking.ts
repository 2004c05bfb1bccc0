// Store tracking records ⇄ proto messages.
import { create } from "@bufbuild/protobuf";
import {
  type ArtifactFile,
  ArtifactFileSchema,
  type DatasetInput,
  type Experiment,
  ExperimentSchema,
  type LoggedModel,
  LoggedModelSchema,
  LoggedModelStatus,
  type Metric,
  MetricSchema,
  type Run,
  RunSchema,
} from "../../gen/mlops/v1/tracking_pb.js";
import { invalidArgument } from "../../rpc/service-error.js";
import type {
  MetricInput,
  DatasetInput as StoreDatasetInput,
  Experiment as StoreExperiment,
  LoggedModel as StoreLoggedModel,
  LoggedModelStatus as StoreLoggedModelStatus,
  Metric as StoreMetric,
  Run as StoreRun,
} from "../../store/index.js";
import { loggedModelArtifactRoot, runArtifactRoot } from "./artifact-paths.js";
import { lifecycleFromStore, runStatusFromStore, stageFromStore } from "./enums.js";
import { optionalMs, required, safeInt } from "./request.js";

export function toExperiment(e: StoreExperiment): Experiment {
  return create(ExperimentSchema, {
    experimentId: e.id,
    name: e.name,
    tags: { ...e.tags },
    createdAtMs: BigInt(e.createdAtMs),
    // The store keeps no separate change time for experiments; creation is the last change it knows.
    updatedAtMs: BigInt(e.createdAtMs),
    lifecycleStage: lifecycleFromStore(e.lifecycleStage),
    deletedAtMs: BigInt(e.deletedAtMs ?? 0),
    runCount: e.runCount ?? 0,
    lastActivityMs: BigInt(e.lastActivityMs ?? e.createdAtMs),
  });
}

export function toMetric(m: StoreMetric): Metric {
  return create(MetricSchema, {
    key: m.key,
    value: m.value,
    timestampMs: BigInt(m.timestampMs),
    step: BigInt(m.step),
  });
}

export function toRun(r: StoreRun): Run {
  return create(RunSchema, {
    runId: r.id,
    runName: r.name,
    experimentId: r.experimentId,
    status: runStatusFromStore(r.status),
    startTimeMs: BigInt(r.startTimeMs),
    endTimeMs: BigInt(r.endTimeMs ?? 0),
    params: { ...r.params },
    metrics: [...r.metrics].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map(toMetric),
    tags: { ...r.tags },
    lifecycleStage: lifecycleFromStore(r.lifecycleStage),
    deletedAtMs: BigInt(r.deletedAtMs ?? 0),
    artifactSha256: r.artifactSha256 ?? "",
    modelVersions: r.modelVersions.map((v) => ({
      name: v.name,
      version: String(v.version),
      stage: stageFromStore(v.stage),
    })),
    inputs: r.inputs.map((d) => ({ ...d, tags: { ...d.tags } })),
    outputs: r.outputs.map((o) => ({ modelId: o.modelId, step: BigInt(o.step) })),
    artifactRoot: runArtifactRoot(r.experimentId, r.id),
  });
}

/** A request's dataset → the store's (the store checks lengths). */
export function datasetInput(d: DatasetInput): StoreDatasetInput {
  return {
    name: d.name,
    digest: d.digest,
    sourceType: d.sourceType,
    source: d.source,
    schema: d.schema,
    profile: d.profile,
    tags: { ...d.tags },
  };
}

const LOGGED_STATUS: ReadonlyMap<StoreLoggedModelStatus, LoggedModelStatus> = new Map([
  ["PENDING", LoggedModelStatus.PENDING],
  ["READY", LoggedModelStatus.READY],
  ["FAILED", LoggedModelStatus.FAILED],
]);

export function loggedStatusToStore(status: LoggedModelStatus, field = "status"): StoreLoggedModelStatus {
  for (const [name, value] of LOGGED_STATUS) if (value === status && name !== "PENDING") return name;
  throw invalidArgument(field, "LOGGED_MODEL_STATUS_READY or LOGGED_MODEL_STATUS_FAILED", String(status));
}

export function toLoggedModel(m: StoreLoggedModel): LoggedModel {
  return create(LoggedModelSchema, {
    modelId: m.id,
    experimentId: m.experimentId,
    name: m.name,
    sourceRunId: m.sourceRunId ?? "",
    status: LOGGED_STATUS.get(m.status) ?? LoggedModelStatus.UNSPECIFIED,
    statusMessage: m.statusMessage,
    modelType: m.modelType,
    params: { ...m.params },
    tags: { ...m.tags },
    createdAtMs: BigInt(m.createdAtMs),
    updatedAtMs: BigInt(m.updatedAtMs),
    artifactRoot: loggedModelArtifactRoot(m.experimentId, m.id),
  });
}

export function toArtifactFile(f: {
  path: string;
  isDir?: boolean;
  size: number;
  sha256?: string;
}): ArtifactFile {
  return create(ArtifactFileSchema, {
    path: f.path,
    isDir: f.isDir ?? false,
    size: BigInt(f.size),
    sha256: f.sha256 ?? "",
  });
}

/**
 * A request's metric point → store input; timestamp 0 means "now" (the store's clock).
 * `prefix` locates the point in the request for error fields ("metrics[2].").
 */
export function metricInput(
  m: Pick<Metric, "key" | "value" | "timestampMs" | "step">,
  prefix = "",
): MetricInput {
  const input: MetricInput = {
    key: required(m.key, `${prefix}key`),
    value: m.value,
    step: safeInt(m.step, `${prefix}step`),
  };
  const ts = optionalMs(m.timestampMs, `${prefix}timestamp_ms`);
  if (ts !== undefined) input.timestampMs = ts;
  return input;
}

/** The latest value of each metric, key → value, as copied onto model versions. */
export function latestMetricValues(r: StoreRun): Record<string, number> {
  return Object.fromEntries(r.metrics.map((m) => [m.key, m.value]));
}
