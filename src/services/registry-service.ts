// The transport-free RegistryService: request checks, store calls, proto mapping.
import type { RegistryService } from "../gen/mlops/v1/registry_pb.js";
import { AuditEventType } from "../gen/mlops/v1/registry_pb.js";
import { readArtifact } from "../models/artifact/read.js";
import { IMPORT_FORMATS, type ImportFormatOption } from "../models/import/formats.js";
import type { ServiceImpl } from "../rpc/context.js";
import { invalidArgument, ServiceError } from "../rpc/service-error.js";
import type { ArtifactStore, ModelVersion, Run, Store } from "../store/index.js";
import { isStoreError } from "../store/index.js";
import { actorOf } from "./mapping/actor.js";
import { artifactUri } from "./mapping/artifact-paths.js";
import { checkAuditTypeFilter, stageToStore } from "./mapping/enums.js";
import { pageByKey, pageSize, tokenIn, tokenOut } from "./mapping/page.js";
import { type RunMetrics, toAuditEvent, toModelVersion, toRegisteredModel } from "./mapping/registry.js";
import {
  optional,
  parseExperimentId,
  parseRunId,
  parseSha256,
  parseVersion,
  required,
} from "./mapping/request.js";
import { withServiceErrors } from "./mapping/store-errors.js";
import { latestMetricValues } from "./mapping/tracking.js";
import { convertMlflowModel, mlflowFolder } from "./mlflow-source.js";
import { importAndRegister, parseClasses } from "./model-import.js";
import { loadOnnxExport } from "./on-demand.js";

export interface RegistryServiceOptions {
  /** Where registered models, versions, aliases and audit events live. Required. */
  store: Store;
  /**
   * The content-addressed artifact store; CreateModelVersion refuses a digest it does not hold
   * (NOT_FOUND on `artifact_sha256`). Required: registering an artifact nobody can load would
   * only fail later, at serving time.
   */
  artifacts: Pick<ArtifactStore, "has" | "put" | "get">;
  /**
   * Called with the model name after every successful stage transition and alias set or delete,
   * so the model manager can reload what it serves. Default: none. The change is already
   * committed when it runs, so a throw does not fail the call; it is reported as a process warning.
   */
  onServingChange?: (name: string) => void;
}

/** The store keeps the newest this many audit events per query; ListAuditEvents pages within them. */
const AUDIT_WINDOW = 1000;

export { ANONYMOUS_ACTOR } from "./mapping/actor.js";

/** The latest metrics of the runs behind `versions`; ModelVersion.metrics is read from them. */
async function loadRunMetrics(store: Store, versions: readonly ModelVersion[]): Promise<RunMetrics> {
  const runIds = [...new Set(versions.flatMap((v) => (v.runId === null ? [] : [v.runId])))];
  const entries = await Promise.all(
    runIds.map(async (id): Promise<[string, Record<string, number>]> => {
      try {
        return [id, latestMetricValues(await store.getRun(id))];
      } catch (error) {
        if (isStoreError(error, "NOT_FOUND")) return [id, {}];
        throw error;
      }
    }),
  );
  return new Map(entries);
}

export function createRegistryService(options: RegistryServiceOptions): ServiceImpl<typeof RegistryService> {
  const { store, artifacts, onServingChange } = options;

  const notify = (name: string): void => {
    if (!onServingChange) return;
    try {
      onServingChange(name);
    } catch (error) {
      process.emitWarning(`onServingChange("${name}") threw: ${String(error)}`, "RegistryServiceWarning");
    }
  };

  const mapVersions = async (versions: readonly ModelVersion[]) => {
    const metrics = await loadRunMetrics(store, versions);
    return versions.map((v) => toModelVersion(v, metrics));
  };
  const mapVersion = async (version: ModelVersion) => (await mapVersions([version]))[0];

  /**
   * Picks the artifact: the request's digest; else the MLflow model the source names in the artifact
   * tree (converted, or unservable); else the one the run recorded.
   */
  const resolveVersionArtifact = async (
    requested: string,
    source: string,
    modelId: string,
    run: Run | undefined,
  ): Promise<{ sha: string; unservableReason?: string; tags: Record<string, string> }> => {
    if (requested !== "") {
      const sha = parseSha256(requested);
      if (!(await artifacts.has(sha))) {
        throw new ServiceError("NOT_FOUND", `artifact_sha256: no artifact ${sha} in the artifact store`, {
          violation: {
            field: "artifact_sha256",
            expected: "the SHA-256 of an artifact in the artifact store",
          },
        });
      }
      return { sha, tags: {} };
    }
    const folder = await mlflowFolder(store, source, optional(modelId));
    const converted = folder === undefined ? undefined : await convertMlflowModel(store, artifacts, folder);
    if (converted) {
      return {
        sha: converted.artifactSha256,
        unservableReason: converted.unservableReason,
        tags: converted.tags,
      };
    }
    if (run?.artifactSha256 !== undefined) return { sha: run.artifactSha256, tags: {} };
    throw invalidArgument(
      "artifact_sha256",
      folder !== undefined
        ? `64 hex digits (SHA-256), or a source whose folder holds an MLflow model: ${folder} has no MLmodel file`
        : run === undefined
          ? "64 hex digits (SHA-256), a run_id whose run recorded an artifact, or an MLflow model source"
          : `64 hex digits (SHA-256): run ${run.id} recorded no artifact`,
    );
  };

  return withServiceErrors({
    async createRegisteredModel(req) {
      const model = await store.createRegisteredModel({
        name: required(req.name, "name"),
        description: req.description,
        tags: req.tags,
      });
      return { registeredModel: toRegisteredModel(model) };
    },

    async getRegisteredModel(req) {
      const model = await store.getRegisteredModel(required(req.name, "name"));
      return {
        registeredModel: toRegisteredModel(model, await loadRunMetrics(store, model.latestVersions ?? [])),
      };
    },

    async listRegisteredModels(req) {
      const page = await store.listRegisteredModels({
        limit: pageSize(req.pageSize),
        pageToken: tokenIn(req.pageToken),
      });
      const metrics = await loadRunMetrics(
        store,
        page.items.flatMap((m) => m.latestVersions ?? []),
      );
      return {
        registeredModels: page.items.map((m) => toRegisteredModel(m, metrics)),
        nextPageToken: tokenOut(page.nextPageToken),
      };
    },

    async updateRegisteredModel(req) {
      const model = await store.updateRegisteredModel(required(req.name, "name"), {
        description: req.description,
      });
      return {
        registeredModel: toRegisteredModel(model, await loadRunMetrics(store, model.latestVersions ?? [])),
      };
    },

    async setRegisteredModelTag(req) {
      await store.setRegisteredModelTag(required(req.name, "name"), required(req.key, "key"), req.value);
      return {};
    },

    async deleteRegisteredModelTag(req) {
      await store.deleteRegisteredModelTag(required(req.name, "name"), required(req.key, "key"));
      return {};
    },

    async createModelVersion(req) {
      const name = required(req.name, "name");
      const runId = optional(req.runId);
      const run = runId === undefined ? undefined : await store.getRun(runId);
      const { sha, unservableReason, tags } = await resolveVersionArtifact(
        req.artifactSha256,
        req.source,
        req.modelId,
        run,
      );
      const version = await store.createModelVersion({
        name,
        artifactSha256: sha,
        unservableReason,
        modelId: optional(req.modelId),
        source: optional(req.source),
        runId: runId ?? null,
        description: req.description,
        tags: { ...tags, ...req.tags },
      });
      const metrics: RunMetrics = new Map(run ? [[run.id, latestMetricValues(run)]] : []);
      return { modelVersion: toModelVersion(version, metrics) };
    },

    async getModelVersion(req) {
      const version = await store.getModelVersion(required(req.name, "name"), parseVersion(req.version));
      return { modelVersion: await mapVersion(version) };
    },

    async listModelVersions(req) {
      const size = pageSize(req.pageSize);
      const all = await store.listModelVersions(required(req.name, "name"));
      const page = pageByKey(all, (v) => v.version, {
        kind: `versions:${req.name}`,
        keyType: "number",
        size,
        token: req.pageToken,
      });
      return { modelVersions: await mapVersions(page.items), nextPageToken: page.nextPageToken };
    },

    async searchModelVersions(req) {
      const page = await store.searchModelVersions({
        name: optional(req.name),
        stage: req.stage === 0 ? undefined : stageToStore(req.stage),
        alias: optional(req.alias),
        runId: optional(req.runId),
        limit: pageSize(req.pageSize),
        pageToken: tokenIn(req.pageToken),
      });
      return { modelVersions: await mapVersions(page.items), nextPageToken: tokenOut(page.nextPageToken) };
    },

    async updateModelVersion(req) {
      const version = await store.updateModelVersion(required(req.name, "name"), parseVersion(req.version), {
        description: req.description,
      });
      return { modelVersion: await mapVersion(version) };
    },

    async setModelVersionTag(req) {
      await store.setModelVersionTag(
        required(req.name, "name"),
        parseVersion(req.version),
        required(req.key, "key"),
        req.value,
      );
      return {};
    },

    async deleteModelVersionTag(req) {
      await store.deleteModelVersionTag(
        required(req.name, "name"),
        parseVersion(req.version),
        required(req.key, "key"),
      );
      return {};
    },

    async transitionModelVersionStage(req, ctx) {
      const name = required(req.name, "name");
      const version = parseVersion(req.version);
      const stage = stageToStore(req.stage);
      // The proto ignores archive_existing_versions for None/Archived; the store rejects it there.
      const archive = req.archiveExistingVersions && (stage === "Staging" || stage === "Production");
      // Which versions the store will archive: the others in the target stage right now.
      const others = archive
        ? (await store.listModelVersions(name)).filter((v) => v.stage === stage && v.version !== version)
        : [];
      const moved = await store.transitionStage(name, version, stage, {
        archiveExisting: archive,
        actor: actorOf(ctx),
        comment: optional(req.comment),
      });
      notify(name);
      const after = await Promise.all(others.map((v) => store.getModelVersion(name, v.version)));
      const [modelVersion, ...archivedVersions] = await mapVersions([
        moved,
        ...after.filter((v) => v.stage === "Archived"),
      ]);
      return { modelVersion, archivedVersions };
    },

    async setModelAlias(req, ctx) {
      const name = required(req.name, "name");
      const alias = required(req.alias, "alias");
      const version = parseVersion(req.version);
      await store.setAlias(name, alias, version, { actor: actorOf(ctx) });
      notify(name);
      return { modelVersion: await mapVersion(await store.getModelVersion(name, version)) };
    },

    async deleteModelAlias(req, ctx) {
      const name = required(req.name, "name");
      await store.deleteAlias(name, required(req.alias, "alias"), { actor: actorOf(ctx) });
      notify(name);
      return {};
    },

    async getModelVersionByAlias(req) {
      const version = await store.resolveAlias(required(req.name, "name"), required(req.alias, "alias"));
      return { modelVersion: await mapVersion(version) };
    },

    async importModelVersion(req) {
      const name = required(req.name, "name");
      if (req.content.length === 0) throw invalidArgument("content", "the model file's bytes", "nothing");
      const format = req.format === "" ? "auto" : req.format;
      if (format !== "auto" && !(IMPORT_FORMATS as readonly string[]).includes(format)) {
        throw invalidArgument(
          "format",
          `one of auto, ${IMPORT_FORMATS.join(", ")}`,
          JSON.stringify(req.format),
        );
      }
      const result = await importAndRegister(store, artifacts, {
        name,
        content: req.content,
        format: format as ImportFormatOption,
        featureNames: req.featureNames.length > 0 ? req.featureNames : undefined,
        classes: parseClasses(req.classes),
        description: optional(req.description),
        source: optional(req.source),
        experiment: optional(req.experiment),
      });
      result.imported.model.dispose();
      return {
        modelVersion: await mapVersion(result.version),
        format: result.imported.format,
        formatVersion: result.imported.formatVersion,
        objective: result.imported.objective,
        nTrees: result.imported.nTrees,
        nFeatures: result.imported.nFeatures,
        classes: result.imported.classes.map(String),
        runId: result.runId,
        originSha256: result.originSha256,
      };
    },

    async exportModelVersion(req) {
      const name = required(req.name, "name");
      const version = await store.getModelVersion(name, parseVersion(req.version));
      if (req.format !== "" && req.format !== "onnx") {
        throw invalidArgument("format", '"onnx"', JSON.stringify(req.format));
      }
      const spec = readArtifact(await artifacts.get(version.artifactSha256));
      const { exportOnnxModel } = await loadOnnxExport();
      return {
        // float32 equality splits (imported float ONNX models) only exist in a float graph.
        content: exportOnnxModel(spec, { precision: spec.kind.includes(5) ? "float" : "double" }),
        format: "onnx",
        fileName: `${name.replace(/[^A-Za-z0-9._-]/g, "_")}-v${version.version}.onnx`,
      };
    },

    async deleteModelVersion(req, ctx) {
      const name = required(req.name, "name");
      await store.deleteModelVersion(name, parseVersion(req.version), { actor: actorOf(ctx) });
      // Aliases on it are gone: a server that served one must look again.
      notify(name);
      return {};
    },

    async deleteRegisteredModel(req, ctx) {
      const name = required(req.name, "name");
      await store.deleteRegisteredModel(name, { actor: actorOf(ctx) });
      notify(name);
      return {};
    },

    async listAuditEvents(req) {
      const name = optional(req.name);
      const runId = req.runId === "" ? undefined : parseRunId(req.runId);
      const experimentId = req.experimentId === "" ? undefined : parseExperimentId(req.experimentId);
      const version = req.version === "" ? undefined : parseVersion(req.version);
      if (version !== undefined && name === undefined) {
        throw invalidArgument("name", "a registered model name when version is set", "an empty value");
      }
      const type = checkAuditTypeFilter(req.type);
      const size = pageSize(req.pageSize);
      const newest = await store.listAuditEvents({ name, runId, experimentId, limit: AUDIT_WINDOW });
      const matching = newest
        .filter((e) => version === undefined || e.version === version)
        .map(toAuditEvent)
        .filter((e) => type === AuditEventType.UNSPECIFIED || e.type === type)
        .sort((a, b) => Number(a.id) - Number(b.id));
      const page = pageByKey(matching, (e) => Number(e.id), {
        kind: "audit",
        keyType: "number",
        size,
        token: req.pageToken,
      });
      return { events: page.items, nextPageToken: page.nextPageToken };
    },

    async renameRegisteredModel(req) {
      const name = required(req.name, "name");
      const model = await store.renameRegisteredModel(name, required(req.newName, "new_name"));
      notify(name);
      notify(model.name);
      return {
        registeredModel: toRegisteredModel(model, await loadRunMetrics(store, model.latestVersions ?? [])),
      };
    },

    async getModelVersionDownloadUri(req) {
      const version = await store.getModelVersion(required(req.name, "name"), parseVersion(req.version));
      const folder = await mlflowFolder(store, version.source, version.modelId).catch((error) => {
        // The run or logged model behind the source is gone: the source is all there is.
        if (isStoreError(error, "NOT_FOUND")) return undefined;
        throw error;
      });
      return { artifactUri: folder === undefined ? version.source : artifactUri(folder) };
    },
  });
}
