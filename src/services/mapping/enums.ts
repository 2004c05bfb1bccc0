// Proto enums ⇄ the store's strings. The store speaks MLflow's title-case stage names
// ("Production") and upper-case run statuses; the protos speak enums.
import { Stage } from "../../gen/mlops/v1/model_pb.js";
import { AuditEventType, ModelVersionStatus } from "../../gen/mlops/v1/registry_pb.js";
import { RunStatus } from "../../gen/mlops/v1/tracking_pb.js";
import { invalidArgument } from "../../rpc/service-error.js";
import type {
  AuditAction,
  ModelVersionStatus as StoreModelVersionStatus,
  RunStatus as StoreRunStatus,
  Stage as StoreStage,
} from "../../store/index.js";

const STAGE_NAMES: ReadonlyMap<Stage, StoreStage> = new Map([
  [Stage.NONE, "None"],
  [Stage.STAGING, "Staging"],
  [Stage.PRODUCTION, "Production"],
  [Stage.ARCHIVED, "Archived"],
]);

const STAGE_EXPECTED = "STAGE_NONE, STAGE_STAGING, STAGE_PRODUCTION or STAGE_ARCHIVED";

/** A concrete stage for the store; STAGE_UNSPECIFIED and unknown numbers are INVALID_ARGUMENT on `field`. */
export function stageToStore(stage: Stage, field = "stage"): StoreStage {
  const name = STAGE_NAMES.get(stage);
  if (name === undefined) throw invalidArgument(field, STAGE_EXPECTED, String(stage));
  return name;
}

/** A store stage name (any case) as the enum; unknown names map to STAGE_UNSPECIFIED. */
export function stageFromStore(name: string | null | undefined): Stage {
  const lower = name?.toLowerCase();
  for (const [stage, n] of STAGE_NAMES) if (n.toLowerCase() === lower) return stage;
  return Stage.UNSPECIFIED;
}

const RUN_STATUS_NAMES: ReadonlyMap<RunStatus, StoreRunStatus> = new Map([
  [RunStatus.RUNNING, "RUNNING"],
  [RunStatus.FINISHED, "FINISHED"],
  [RunStatus.FAILED, "FAILED"],
  [RunStatus.KILLED, "KILLED"],
]);

const RUN_STATUS_EXPECTED = "RUN_STATUS_RUNNING, RUN_STATUS_FINISHED, RUN_STATUS_FAILED or RUN_STATUS_KILLED";

export function runStatusToStore(status: RunStatus, field = "status"): StoreRunStatus {
  const name = RUN_STATUS_NAMES.get(status);
  if (name === undefined) throw invalidArgument(field, RUN_STATUS_EXPECTED, String(status));
  return name;
}

export function runStatusFromStore(name: string): RunStatus {
  for (const [status, n] of RUN_STATUS_NAMES) if (n === name) return status;
  return RunStatus.UNSPECIFIED;
}

export function versionStatusFromStore(status: StoreModelVersionStatus | string): ModelVersionStatus {
  switch (status) {
    case "READY":
      return ModelVersionStatus.READY;
    case "PENDING_REGISTRATION":
      return ModelVersionStatus.PENDING_REGISTRATION;
    case "FAILED_REGISTRATION":
      return ModelVersionStatus.FAILED_REGISTRATION;
    default:
      return ModelVersionStatus.UNSPECIFIED;
  }
}

const AUDIT_TYPES: ReadonlyMap<AuditAction, AuditEventType> = new Map([
  ["stage", AuditEventType.STAGE_TRANSITION],
  ["alias_set", AuditEventType.ALIAS_SET],
  ["alias_delete", AuditEventType.ALIAS_DELETED],
]);

export function auditTypeFromStore(action: AuditAction | string): AuditEventType {
  return AUDIT_TYPES.get(action as AuditAction) ?? AuditEventType.UNSPECIFIED;
}

/** Validates a filter value: UNSPECIFIED (every type) or a known type. */
export function checkAuditTypeFilter(type: AuditEventType, field = "type"): AuditEventType {
  if (type === AuditEventType.UNSPECIFIED || [...AUDIT_TYPES.values()].includes(type)) return type;
  throw invalidArgument(field, "an AuditEventType", String(type));
}
