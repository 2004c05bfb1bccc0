// Store registry records → proto messages. Versions are numbers in the store and decimal
// strings in the protos; timestamps are ms numbers in the store and int64 (bigint) in the protos.
import { create } from "@bufbuild/protobuf";
import { Stage } from "../../gen/mlops/v1/model_pb.js";
import {
  type AuditEvent,
  AuditEventSchema,
  AuditEventType,
  type ModelVersion,
  ModelVersionSchema,
  type RegisteredModel,
  RegisteredModelSchema,
} from "../../gen/mlops/v1/registry_pb.js";
import type {
  AuditEvent as StoreAuditEvent,
  ModelVersion as StoreModelVersion,
  RegisteredModel as StoreRegisteredModel,
} from "../../store/index.js";
import { auditTypeFromStore, stageFromStore, versionStatusFromStore } from "./enums.js";

/** Latest metric values per run id, for ModelVersion.metrics (the store keeps them on the run). */
export type RunMetrics = ReadonlyMap<string, Record<string, number>>;

const NO_METRICS: RunMetrics = new Map();

export function toModelVersion(v: StoreModelVersion, runMetrics: RunMetrics = NO_METRICS): ModelVersion {
  return create(ModelVersionSchema, {
    name: v.name,
    version: String(v.version),
    runId: v.runId ?? "",
    source: v.source,
    artifactSha256: v.artifactSha256,
    stage: stageFromStore(v.stage),
    aliases: [...v.aliases].sort(),
    tags: { ...v.tags },
    description: v.description,
    status: versionStatusFromStore(v.status),
    statusMessage: "",
    createdAtMs: BigInt(v.createdAtMs),
    updatedAtMs: BigInt(v.updatedAtMs),
    metrics: { ...(v.runId === null ? {} : runMetrics.get(v.runId)) },
    modelId: v.modelId ?? "",
    unservableReason: v.unservableReason ?? "",
  });
}

export function toRegisteredModel(
  m: StoreRegisteredModel,
  runMetrics: RunMetrics = NO_METRICS,
): RegisteredModel {
  return create(RegisteredModelSchema, {
    name: m.name,
    description: m.description,
    tags: { ...m.tags },
    aliases: Object.fromEntries(
      Object.entries(m.aliases).map(([alias, version]) => [alias, String(version)]),
    ),
    latestVersions: (m.latestVersions ?? [])
      .map((v) => toModelVersion(v, runMetrics))
      .sort((a, b) => a.stage - b.stage),
    createdAtMs: BigInt(m.createdAtMs),
    updatedAtMs: BigInt(m.updatedAtMs),
  });
}

export function toAuditEvent(e: StoreAuditEvent): AuditEvent {
  const type = auditTypeFromStore(e.entity, e.action);
  const isStage = type === AuditEventType.STAGE_TRANSITION;
  const isAlias = type === AuditEventType.ALIAS_SET || type === AuditEventType.ALIAS_DELETED;
  const isVersionDelete = type === AuditEventType.MODEL_VERSION_DELETED;
  const isRegistry = e.entity !== "run" && e.entity !== "experiment";
  return create(AuditEventSchema, {
    id: String(e.id),
    type,
    name: e.name,
    version: isRegistry ? String(e.version) : "",
    actor: e.actor,
    createdAtMs: BigInt(e.at),
    fromStage: isStage || isVersionDelete ? stageFromStore(e.from) : Stage.UNSPECIFIED,
    toStage: isStage ? stageFromStore(e.to) : Stage.UNSPECIFIED,
    alias: e.alias ?? "",
    fromVersion: isAlias ? (e.from ?? "") : "",
    toVersion: isAlias ? (e.to ?? "") : "",
    comment: e.comment ?? "",
    runId: e.runId ?? "",
    experimentId: e.experimentId ?? "",
  });
}
