// The transport-free TrackingService: request checks, store calls, proto mapping.
import { RunStatus, type TrackingService } from "../gen/mlops/v1/tracking_pb.js";
import type { ServiceImpl } from "../rpc/context.js";
import { invalidArgument, ServiceError } from "../rpc/service-error.js";
import {
  type ArtifactStore,
  PageTokenError,
  RunFilterError,
  type RunsPage,
  type Store,
} from "../store/index.js";
import { actorOf } from "./mapping/actor.js";
import { runStatusToStore, viewToStore } from "./mapping/enums.js";
import { pageByKey, pageByOffset, pageSize, tokenIn, tokenOut } from "./mapping/page.js";
import { optional, optionalMs, required, safeInt } from "./mapping/request.js";
import { describeArtifact } from "./mapping/run-artifact.js";
import { parseRunOrder } from "./mapping/run-order.js";
import { withServiceErrors } from "./mapping/store-errors.js";
import {
  datasetInput,
  loggedStatusToStore,
  metricInput,
  toArtifactFile,
  toExperiment,
  toLoggedModel,
  toMetric,
  toRun,
} from "./mapping/tracking.js";

export interface TrackingServiceOptions {
  /** Where experiments, runs, params, metrics and tags live. Required. */
  store: Store;
  /**
   * Where artifacts live: GetRun describes a run's artifact from it, and the artifact tree's bytes
   * (PutArtifact, GetArtifact) go there. Default: none; runs are then not described and those calls
   * answer FAILED_PRECONDITION.
   */
  artifacts?: ArtifactStore;
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function createTrackingService(options: TrackingServiceOptions): ServiceImpl<typeof TrackingService> {
  const { store, artifacts } = options;
  const artifactStore = (): ArtifactStore => {
    if (artifacts) return artifacts;
    throw new ServiceError("FAILED_PRECONDITION", "this TrackingService has no artifact store");
  };

  return withServiceErrors({
    async createExperiment(req) {
      const experiment = await store.createExperiment({ name: required(req.name, "name"), tags: req.tags });
      return { experiment: toExperiment(experiment) };
    },

    async getExperiment(req) {
      return {
        experiment: toExperiment(await store.getExperiment(required(req.experimentId, "experiment_id"))),
      };
    },

    async getExperimentByName(req) {
      return { experiment: toExperiment(await store.getExperimentByName(required(req.name, "name"))) };
    },

    async listExperiments(req) {
      const size = pageSize(req.pageSize);
      const view = viewToStore(req.viewType);
      const all = (await store.listExperiments({ view })).sort((a, b) => byString(a.name, b.name));
      const page = pageByKey(all, (e) => e.name, {
        kind: `experiments:${view}`,
        keyType: "string",
        size,
        token: req.pageToken,
      });
      return { experiments: page.items.map(toExperiment), nextPageToken: page.nextPageToken };
    },

    async deleteExperiment(req, ctx) {
      const id = required(req.experimentId, "experiment_id");
      return { experiment: toExperiment(await store.deleteExperiment(id, { actor: actorOf(ctx) })) };
    },

    async updateExperiment(req) {
      const id = required(req.experimentId, "experiment_id");
      return { experiment: toExperiment(await store.renameExperiment(id, required(req.name, "name"))) };
    },

    async restoreExperiment(req, ctx) {
      const id = required(req.experimentId, "experiment_id");
      return { experiment: toExperiment(await store.restoreExperiment(id, { actor: actorOf(ctx) })) };
    },

    async deleteRun(req, ctx) {
      return { run: toRun(await store.deleteRun(required(req.runId, "run_id"), { actor: actorOf(ctx) })) };
    },

    async restoreRun(req, ctx) {
      return { run: toRun(await store.restoreRun(required(req.runId, "run_id"), { actor: actorOf(ctx) })) };
    },

    async createRun(req) {
      const run = await store.createRun({
        experimentId: required(req.experimentId, "experiment_id"),
        name: optional(req.runName),
        startTimeMs: optionalMs(req.startTimeMs, "start_time_ms"),
        tags: req.tags,
      });
      return { run: toRun(run) };
    },

    async updateRun(req) {
      const runId = required(req.runId, "run_id");
      const run = await store.updateRun(runId, {
        status: req.status === RunStatus.UNSPECIFIED ? undefined : runStatusToStore(req.status),
        endTimeMs: optionalMs(req.endTimeMs, "end_time_ms"),
        name: optional(req.runName),
      });
      return { run: toRun(run) };
    },

    async getRun(req) {
      const run = await store.getRun(required(req.runId, "run_id"));
      const artifact =
        run.artifactSha256 && artifacts ? await describeArtifact(artifacts, run.artifactSha256) : undefined;
      return { run: toRun(run), artifact };
    },

    async searchRuns(req) {
      if (req.experimentIds.length === 0) {
        throw invalidArgument("experiment_ids", "at least one experiment id", "none");
      }
      const experimentIds = req.experimentIds.map((id, i) => required(id, `experiment_ids[${i}]`));
      const statuses = req.statuses.map((s, i) => runStatusToStore(s, `statuses[${i}]`));
      const orderBy = parseRunOrder(req.orderBy);
      let page: RunsPage;
      try {
        page = await store.searchRuns({
          experimentIds,
          status: statuses.length === 0 ? undefined : statuses,
          view: viewToStore(req.viewType),
          filter: req.filter,
          orderBy: orderBy.length === 0 ? undefined : orderBy,
          limit: pageSize(req.pageSize),
          pageToken: tokenIn(req.pageToken),
        });
      } catch (error) {
        if (error instanceof PageTokenError) {
          throw invalidArgument(
            "page_token",
            "the next_page_token of a previous response to the same request",
          );
        }
        if (error instanceof RunFilterError) {
          throw new ServiceError("INVALID_ARGUMENT", `filter: ${error.message}`, {
            violation: { field: "filter", expected: error.expected },
          });
        }
        throw error;
      }
      return {
        runs: page.items.map(toRun),
        nextPageToken: tokenOut(page.nextPageToken),
        totalSize: page.totalSize,
      };
    },

    async listRunKeys(req) {
      if (req.experimentIds.length === 0) {
        throw invalidArgument("experiment_ids", "at least one experiment id", "none");
      }
      const ids = req.experimentIds.map((id, i) => required(id, `experiment_ids[${i}]`));
      const keys = await store.listRunKeys(ids, viewToStore(req.viewType));
      return { metricKeys: keys.metrics, paramKeys: keys.params, tagKeys: keys.tags };
    },

    async logParam(req) {
      await store.logParam(required(req.runId, "run_id"), required(req.key, "key"), req.value);
      return {};
    },

    async logMetric(req) {
      await store.logMetric(required(req.runId, "run_id"), metricInput(req));
      return {};
    },

    async getMetricHistory(req) {
      const runId = required(req.runId, "run_id");
      const key = required(req.key, "key");
      const size = pageSize(req.pageSize);
      const points = await store.getMetricHistory(runId, key);
      const page = pageByOffset(points, { kind: `history:${runId}:${key}`, size, token: req.pageToken });
      return { metrics: page.items.map(toMetric), nextPageToken: page.nextPageToken };
    },

    async setRunTag(req) {
      await store.setRunTag(required(req.runId, "run_id"), required(req.key, "key"), req.value);
      return {};
    },

    async logBatch(req) {
      await store.logBatch(required(req.runId, "run_id"), {
        metrics: req.metrics.map((m, i) => metricInput(m, `metrics[${i}].`)),
        params: req.params,
        tags: req.tags,
      });
      return {};
    },

    async setExperimentTag(req) {
      await store.setExperimentTag(
        required(req.experimentId, "experiment_id"),
        required(req.key, "key"),
        req.value,
      );
      return {};
    },

    async deleteExperimentTag(req) {
      await store.deleteExperimentTag(required(req.experimentId, "experiment_id"), required(req.key, "key"));
      return {};
    },

    async deleteRunTag(req) {
      await store.deleteRunTag(required(req.runId, "run_id"), required(req.key, "key"));
      return {};
    },

    async logInputs(req) {
      await store.logInputs(required(req.runId, "run_id"), req.datasets.map(datasetInput));
      return {};
    },

    async logOutputs(req) {
      await store.logOutputs(
        required(req.runId, "run_id"),
        req.models.map((m, i) => ({
          modelId: required(m.modelId, `models[${i}].model_id`),
          step: safeInt(m.step, `models[${i}].step`),
        })),
      );
      return {};
    },

    async createLoggedModel(req) {
      const model = await store.createLoggedModel({
        experimentId: required(req.experimentId, "experiment_id"),
        name: optional(req.name),
        sourceRunId: optional(req.sourceRunId) ?? null,
        modelType: req.modelType,
        params: req.params,
        tags: req.tags,
      });
      return { model: toLoggedModel(model) };
    },

    async getLoggedModel(req) {
      return { model: toLoggedModel(await store.getLoggedModel(required(req.modelId, "model_id"))) };
    },

    async searchLoggedModels(req) {
      if (req.experimentIds.length === 0) {
        throw invalidArgument("experiment_ids", "at least one experiment id", "none");
      }
      const page = await store.searchLoggedModels({
        experimentIds: req.experimentIds.map((id, i) => required(id, `experiment_ids[${i}]`)),
        limit: pageSize(req.pageSize),
        pageToken: tokenIn(req.pageToken),
      });
      return { models: page.items.map(toLoggedModel), nextPageToken: tokenOut(page.nextPageToken) };
    },

    async finalizeLoggedModel(req) {
      const model = await store.finalizeLoggedModel(
        required(req.modelId, "model_id"),
        loggedStatusToStore(req.status),
        optional(req.statusMessage),
      );
      return { model: toLoggedModel(model) };
    },

    async setLoggedModelTags(req) {
      await store.setLoggedModelTags(required(req.modelId, "model_id"), req.tags);
      return {};
    },

    async deleteLoggedModelTag(req) {
      await store.deleteLoggedModelTag(required(req.modelId, "model_id"), required(req.key, "key"));
      return {};
    },

    async logLoggedModelParams(req) {
      await store.logLoggedModelParams(required(req.modelId, "model_id"), req.params);
      return {};
    },

    async deleteLoggedModel(req) {
      await store.deleteLoggedModel(required(req.modelId, "model_id"));
      return {};
    },

    async putArtifact(req) {
      const path = required(req.path, "path");
      const ref = await artifactStore().put(req.content);
      const entry = await store.putArtifactFile({ path, sha256: ref.sha256, size: ref.size });
      return { file: toArtifactFile(entry) };
    },

    async getArtifact(req) {
      const entry = await store.getArtifactFile(required(req.path, "path"));
      return { content: await artifactStore().get(entry.sha256), file: toArtifactFile(entry) };
    },

    async listArtifacts(req) {
      const folder = req.path.replace(/\/+$/, "");
      const children = new Map<string, { path: string; isDir: boolean; size: number; sha256?: string }>();
      for (const f of await store.listArtifactFiles(folder)) {
        const rest = folder === "" ? f.path : f.path.slice(folder.length + 1);
        const slash = rest.indexOf("/");
        const path = folder === "" ? rest.split("/")[0]! : `${folder}/${rest.split("/")[0]}`; // split has one part
        if (slash < 0) children.set(path, { path, isDir: false, size: f.size, sha256: f.sha256 });
        else if (!children.has(path)) children.set(path, { path, isDir: true, size: 0 });
      }
      return { files: [...children.values()].sort((a, b) => byString(a.path, b.path)).map(toArtifactFile) };
    },

    async deleteArtifact(req) {
      const path = required(req.path, "path");
      if ((await store.deleteArtifactFiles(path)) === 0) {
        throw new ServiceError("NOT_FOUND", `no artifact file or folder at "${path}"`);
      }
      return {};
    },
  });
}
