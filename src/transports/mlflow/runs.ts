// MLflow's runs/*, metrics/get-history and artifacts/list endpoints on TrackingService.
import { create } from "@bufbuild/protobuf";
import {
  CreateRunRequestSchema,
  DeleteRunRequestSchema,
  DeleteRunTagRequestSchema,
  GetMetricHistoryRequestSchema,
  GetRunRequestSchema,
  ListArtifactsRequestSchema,
  LogBatchRequestSchema,
  LogInputsRequestSchema,
  LogMetricRequestSchema,
  LogOutputsRequestSchema,
  LogParamRequestSchema,
  RestoreRunRequestSchema,
  RunStatus,
  SearchRunsRequestSchema,
  SetRunTagRequestSchema,
  TrackingService,
  UpdateRunRequestSchema,
} from "../../gen/mlops/v1/tracking_pb.js";
import type { CallContext } from "../../rpc/context.js";
import { invalidArgument } from "../../rpc/service-error.js";
import { artifactUri } from "../../services/mapping/artifact-paths.js";
import { metricJson, runInfoJson, runJson, runStatusOf } from "./json.js";
import {
  double,
  type Fields,
  int,
  keyValues,
  objects,
  readFields,
  runIdOf,
  str,
  strings,
} from "./request.js";
import type { MlflowEndpoint, MlflowServices } from "./route.js";
import { pageSizeOf, runOrderOf, viewTypeOf } from "./search.js";

const T = TrackingService;

/** MLflow's log-batch limits (mlflow/utils/validation.py). */
export const LOG_BATCH_LIMITS = {
  metrics: 1000,
  params: 100,
  tags: 100,
  entities: 1000,
  bytes: 1024 * 1024,
} as const;

const LOG_MODEL_HISTORY = "mlflow.log-model.history";
const MAX_TAG_VALUE = 8000;

const ms = (v: number | undefined, field: string): bigint => {
  if (v === undefined) return 0n;
  if (v < 0) throw invalidArgument(field, "Unix epoch milliseconds, >= 0", String(v));
  return BigInt(v);
};

function metricOf(m: Fields, field: string) {
  return {
    key: str(m, "key"),
    value: double(m, "value"),
    timestampMs: ms(int(m, "timestamp"), `${field}.timestamp`),
    step: BigInt(int(m, "step") ?? 0),
  };
}

function checkBatchLimits(f: Fields): void {
  const counts = {
    metrics: objects(f, "metrics").length,
    params: objects(f, "params").length,
    tags: objects(f, "tags").length,
  };
  for (const [what, n] of Object.entries(counts) as [keyof typeof counts, number][]) {
    if (n > LOG_BATCH_LIMITS[what]) {
      throw invalidArgument(
        what,
        `at most ${LOG_BATCH_LIMITS[what]} ${what} per log-batch (MLflow's limit)`,
        `${n}`,
      );
    }
  }
  const total = counts.metrics + counts.params + counts.tags;
  if (total > LOG_BATCH_LIMITS.entities) {
    throw invalidArgument(
      "request",
      `at most ${LOG_BATCH_LIMITS.entities} metrics, params and tags together`,
      `${total}`,
    );
  }
}

export function runEndpoints({ tracking }: MlflowServices, maxBodyBytes: number): MlflowEndpoint[] {
  const getRun = async (runId: string, ctx: CallContext) =>
    (await tracking.getRun(create(GetRunRequestSchema, { runId }), ctx)).run;

  return [
    {
      verbs: ["POST"],
      path: "runs/create",
      service: T,
      method: "CreateRun",
      async handle(f, ctx) {
        const tags = keyValues(f, "tags");
        const user = str(f, "user_id");
        if (user !== "" && tags["mlflow.user"] === undefined) tags["mlflow.user"] = user;
        const runName = str(f, "run_name") || tags["mlflow.runName"] || "";
        if (runName !== "") tags["mlflow.runName"] = runName;
        const req = create(CreateRunRequestSchema, {
          experimentId: str(f, "experiment_id") || "0",
          runName,
          startTimeMs: ms(int(f, "start_time"), "start_time"),
          tags,
        });
        return { run: runJson((await tracking.createRun(req, ctx)).run) };
      },
    },
    {
      verbs: ["GET"],
      path: "runs/get",
      service: T,
      method: "GetRun",
      handle: async (f, ctx) => ({ run: runJson(await getRun(runIdOf(f), ctx)) }),
    },
    {
      verbs: ["POST"],
      path: "runs/update",
      service: T,
      method: "UpdateRun",
      async handle(f, ctx) {
        const name = str(f, "status");
        const status = name === "" ? RunStatus.UNSPECIFIED : runStatusOf(name);
        if (status === undefined) {
          throw invalidArgument(
            "status",
            "RUNNING, SCHEDULED, FINISHED, FAILED or KILLED",
            JSON.stringify(name),
          );
        }
        const req = create(UpdateRunRequestSchema, {
          runId: runIdOf(f),
          status,
          endTimeMs: ms(int(f, "end_time"), "end_time"),
          runName: str(f, "run_name"),
        });
        return { run_info: runInfoJson((await tracking.updateRun(req, ctx)).run) };
      },
    },
    {
      verbs: ["POST"],
      path: "runs/delete",
      service: T,
      method: "DeleteRun",
      async handle(f, ctx) {
        await tracking.deleteRun(create(DeleteRunRequestSchema, { runId: runIdOf(f) }), ctx);
        return {};
      },
    },
    {
      verbs: ["POST"],
      path: "runs/restore",
      service: T,
      method: "RestoreRun",
      async handle(f, ctx) {
        await tracking.restoreRun(create(RestoreRunRequestSchema, { runId: runIdOf(f) }), ctx);
        return {};
      },
    },
    {
      verbs: ["POST", "GET"],
      path: "runs/search",
      service: T,
      method: "SearchRuns",
      async handle(f, ctx) {
        const req = create(SearchRunsRequestSchema, {
          experimentIds: strings(f, "experiment_ids"),
          // MLflow's filter syntax is the API's own (src/store/run-filter.ts).
          filter: str(f, "filter"),
          orderBy: strings(f, "order_by").map(runOrderOf),
          pageSize: pageSizeOf(int(f, "max_results")),
          pageToken: str(f, "page_token"),
          viewType: viewTypeOf(str(f, "run_view_type"), "run_view_type"),
        });
        const res = await tracking.searchRuns(req, ctx);
        const out: Record<string, unknown> = {};
        if ((res.runs ?? []).length > 0) out.runs = (res.runs ?? []).map(runJson);
        if (res.nextPageToken) out.next_page_token = res.nextPageToken;
        return out;
      },
    },
    {
      verbs: ["POST"],
      path: "runs/log-metric",
      service: T,
      method: "LogMetric",
      async handle(f, ctx) {
        await tracking.logMetric(
          create(LogMetricRequestSchema, { runId: runIdOf(f), ...metricOf(f, "metric") }),
          ctx,
        );
        return {};
      },
    },
    {
      verbs: ["POST"],
      path: "runs/log-parameter",
      service: T,
      method: "LogParam",
      async handle(f, ctx) {
        const req = create(LogParamRequestSchema, {
          runId: runIdOf(f),
          key: str(f, "key"),
          value: str(f, "value"),
        });
        await tracking.logParam(req, ctx);
        return {};
      },
    },
    {
      verbs: ["POST"],
      path: "runs/log-batch",
      service: T,
      method: "LogBatch",
      // MLflow refuses a log-batch request over 1 MB as a bad value, not a malformed body.
      async decode(req, params) {
        const length = Number(req.headers["content-length"] ?? -1);
        if (length > LOG_BATCH_LIMITS.bytes) {
          req.resume();
          throw invalidArgument("request", "at most 1 MB per log-batch (MLflow's limit)", `${length} bytes`);
        }
        return { fields: await readFields(req, Math.min(maxBodyBytes, LOG_BATCH_LIMITS.bytes)), params };
      },
      async handle(f, ctx) {
        checkBatchLimits(f);
        const req = create(LogBatchRequestSchema, {
          runId: runIdOf(f),
          metrics: objects(f, "metrics").map((m, i) => metricOf(m, `metrics[${i}]`)),
          params: keyValues(f, "params"),
          tags: keyValues(f, "tags"),
        });
        await tracking.logBatch(req, ctx);
        return {};
      },
    },
    {
      verbs: ["POST"],
      path: "runs/set-tag",
      service: T,
      method: "SetRunTag",
      async handle(f, ctx) {
        const req = create(SetRunTagRequestSchema, {
          runId: runIdOf(f),
          key: str(f, "key"),
          value: str(f, "value"),
        });
        await tracking.setRunTag(req, ctx);
        return {};
      },
    },
    {
      verbs: ["POST"],
      path: "runs/delete-tag",
      service: T,
      method: "DeleteRunTag",
      async handle(f, ctx) {
        await tracking.deleteRunTag(
          create(DeleteRunTagRequestSchema, { runId: runIdOf(f), key: str(f, "key") }),
          ctx,
        );
        return {};
      },
    },
    {
      verbs: ["POST"],
      path: "runs/log-inputs",
      service: T,
      method: "LogInputs",
      async handle(f, ctx) {
        const datasets = objects(f, "datasets").map((input, i) => {
          const [dataset] = objects(input, "dataset");
          if (!dataset) throw invalidArgument(`datasets[${i}].dataset`, "an object", "nothing");
          return {
            name: str(dataset, "name"),
            digest: str(dataset, "digest"),
            sourceType: str(dataset, "source_type"),
            source: str(dataset, "source"),
            schema: str(dataset, "schema"),
            profile: str(dataset, "profile"),
            tags: keyValues(input, "tags"),
          };
        });
        await tracking.logInputs(create(LogInputsRequestSchema, { runId: runIdOf(f), datasets }), ctx);
        return {};
      },
    },
    {
      verbs: ["POST"],
      path: "runs/outputs",
      service: T,
      method: "LogOutputs",
      async handle(f, ctx) {
        const models = objects(f, "models").map((m) => ({
          modelId: str(m, "model_id"),
          step: BigInt(int(m, "step") ?? 0),
        }));
        await tracking.logOutputs(create(LogOutputsRequestSchema, { runId: runIdOf(f), models }), ctx);
        return {};
      },
    },
    {
      // MLflow 2.x's log_model records the model's MLmodel as JSON in this run tag.
      verbs: ["POST"],
      path: "runs/log-model",
      service: T,
      method: "SetRunTag",
      async handle(f, ctx) {
        const runId = runIdOf(f);
        let model: unknown;
        try {
          model = JSON.parse(str(f, "model_json"));
        } catch {
          throw invalidArgument("model_json", "the model's MLmodel as a JSON object");
        }
        const run = await getRun(runId, ctx);
        let history: unknown[] = [];
        try {
          const old = JSON.parse(run?.tags?.[LOG_MODEL_HISTORY] ?? "[]");
          if (Array.isArray(old)) history = old;
        } catch {
          history = [];
        }
        history.push(model);
        let value = JSON.stringify(history);
        while (value.length > MAX_TAG_VALUE && history.length > 1) {
          history.shift();
          value = JSON.stringify(history);
        }
        if (value.length <= MAX_TAG_VALUE) {
          await tracking.setRunTag(
            create(SetRunTagRequestSchema, { runId, key: LOG_MODEL_HISTORY, value }),
            ctx,
          );
        }
        return {};
      },
    },
    {
      verbs: ["GET"],
      path: "metrics/get-history",
      service: T,
      method: "GetMetricHistory",
      async handle(f, ctx) {
        const req = create(GetMetricHistoryRequestSchema, {
          runId: runIdOf(f),
          key: str(f, "metric_key"),
          pageSize: pageSizeOf(int(f, "max_results")),
          pageToken: str(f, "page_token"),
        });
        const res = await tracking.getMetricHistory(req, ctx);
        const out: Record<string, unknown> = { metrics: (res.metrics ?? []).map(metricJson) };
        if (res.nextPageToken) out.next_page_token = res.nextPageToken;
        return out;
      },
    },
    {
      verbs: ["GET"],
      path: "artifacts/list",
      service: T,
      method: "ListArtifacts",
      async handle(f, ctx) {
        const run = await getRun(runIdOf(f), ctx);
        const root = run?.artifactRoot ?? "";
        const sub = str(f, "path").replace(/^\/+|\/+$/g, "");
        const folder = sub === "" ? root : `${root}/${sub}`;
        const res = await tracking.listArtifacts(create(ListArtifactsRequestSchema, { path: folder }), ctx);
        return {
          root_uri: artifactUri(root),
          files: (res.files ?? []).map((file) => ({
            path: (file.path ?? "").slice(root.length + 1),
            is_dir: file.isDir ?? false,
            ...(file.isDir ? {} : { file_size: Number(file.size ?? 0) }),
          })),
        };
      },
    },
  ];
}
