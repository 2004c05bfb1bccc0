// Proto enums ⇄ the store's strings. The store speaks MLflow's title-case stage names
// ("Production") and upper-case run statuses; the protos speak enums.
import { Stage } from "../../gen/mlops/v1/model_pb.js";
import { AuditEventType, ModelVersionStatus } from "../../gen/mlops/v1/registry_pb.js";
import { LifecycleStage, RunStatus, ViewType } from "../../gen/mlops/v1/tracking_pb.js";
import { invalidArgument } from "../../rpc/service-error.js";
import type {
  AuditAction,
  AuditEntity,
  LifecycleView,
  LifecycleStage as StoreLifecycleStage,
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

/** By `entity action`: "delete" means a different event for each entity. */
const AUDIT_TYPES: ReadonlyMap<string, AuditEventType> = new Map([
  ["model_version stage", AuditEventType.STAGE_TRANSITION],
  ["alias alias_set", AuditEventType.ALIAS_SET],
  ["alias alias_delete", AuditEventType.ALIAS_DELETED],
  ["model_version delete", AuditEventType.MODEL_VERSION_DELETED],
  ["registered_model delete", AuditEventType.REGISTERED_MODEL_DELETED],
  ["run delete", AuditEventType.RUN_DELETED],
  ["run restore", AuditEventType.RUN_RESTORED],
  ["run purge", AuditEventType.RUN_PURGED],
  ["experiment delete", AuditEventType.EXPERIMENT_DELETED],
  ["experiment restore", AuditEventType.EXPERIMENT_RESTORED],
  ["experiment purge", AuditEventType.EXPERIMENT_PURGED],
]);

export function auditTypeFromStore(
  entity: AuditEntity | string,
  action: AuditAction | string,
): AuditEventType {
  return AUDIT_TYPES.get(`${entity} ${action}`) ?? AuditEventType.UNSPECIFIED;
}

export function lifecycleFromStore(stage: StoreLifecycleStage | string): LifecycleStage {
  return stage === "active"
    ? LifecycleStage.ACTIVE
    : stage === "deleted"
      ? LifecycleStage.DELETED
      : LifecycleStage.UNSPECIFIED;
}

const VIEWS: ReadonlyMap<ViewType, LifecycleView> = new Map([
  [ViewType.UNSPECIFIED, "active"],
  [ViewType.ACTIVE_ONLY, "active"],
  [ViewType.DELETED_ONLY, "deleted"],
  [ViewType.ALL, "all"],
]);

/** A listing's view_type; unknown numbers are INVALID_ARGUMENT on `field`. */
export function viewToStore(view: ViewType, field = "view_type"): LifecycleView {
  const v = VIEWS.get(view);
  if (v === undefined) {
    throw invalidArgument(
      field,
      "VIEW_TYPE_ACTIVE_ONLY, VIEW_TYPE_DELETED_ONLY or VIEW_TYPE_ALL",
      String(view),
    );
  }
  return v;
}

/** Validates a filter value: UNSPECIFIED (every type) or a known type. */
export function checkAuditTypeFilter(type: AuditEventType, field = "type"): AuditEventType {
  if (type === AuditEventType.UNSPECIFIED || [...AUDIT_TYPES.values()].includes(type)) return type;
  throw invalidArgument(field, "an AuditEventType", String(type));
}
