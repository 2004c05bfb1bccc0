// MLflow 3's logged-models endpoints on TrackingService (its client calls them in log_model and
// fails on a 404).
import { create } from "@bufbuild/protobuf";
import {
  CreateLoggedModelRequestSchema,
  DeleteLoggedModelRequestSchema,
  DeleteLoggedModelTagRequestSchema,
  FinalizeLoggedModelRequestSchema,
  GetArtifactRequestSchema,
  GetLoggedModelRequestSchema,
  LogLoggedModelParamsRequestSchema,
  SearchLoggedModelsRequestSchema,
  SetLoggedModelTagsRequestSchema,
  TrackingService,
} from "../../gen/mlops/v1/tracking_pb.js";
import { invalidArgument } from "../../rpc/service-error.js";
import { loggedModelJson, loggedStatusOf } from "./json.js";
import { type Fields, int, keyValues, str, strings } from "./request.js";
import type { MlflowEndpoint, MlflowServices } from "./route.js";
import { pageSizeOf } from "./search.js";

const T = TrackingService;

export function loggedModelEndpoints({ tracking }: MlflowServices): MlflowEndpoint[] {
  const id = (f: Fields, p: Record<string, string>) => p.model_id ?? str(f, "model_id");
  return [
    {
      verbs: ["POST"],
      path: "logged-models",
      service: T,
      method: "CreateLoggedModel",
      async handle(f, ctx) {
        const req = create(CreateLoggedModelRequestSchema, {
          experimentId: str(f, "experiment_id"),
          name: str(f, "name"),
          sourceRunId: str(f, "source_run_id"),
          modelType: str(f, "model_type"),
          params: keyValues(f, "params"),
          tags: keyValues(f, "tags"),
        });
        return { model: loggedModelJson((await tracking.createLoggedModel(req, ctx)).model) };
      },
    },
    {
      verbs: ["GET"],
      path: "logged-models/{model_id}",
      service: T,
      method: "GetLoggedModel",
      async handle(f, ctx, p) {
        const req = create(GetLoggedModelRequestSchema, { modelId: id(f, p) });
        return { model: loggedModelJson((await tracking.getLoggedModel(req, ctx)).model) };
      },
    },
    {
      verbs: ["PATCH"],
      path: "logged-models/{model_id}",
      service: T,
      method: "FinalizeLoggedModel",
      async handle(f, ctx, p) {
        const name = str(f, "status");
        const status = loggedStatusOf(name);
        if (status === undefined) {
          throw invalidArgument(
            "status",
            "LOGGED_MODEL_READY or LOGGED_MODEL_UPLOAD_FAILED",
            JSON.stringify(name),
          );
        }
        const req = create(FinalizeLoggedModelRequestSchema, {
          modelId: id(f, p),
          status,
          statusMessage: str(f, "status_message"),
        });
        return { model: loggedModelJson((await tracking.finalizeLoggedModel(req, ctx)).model) };
      },
    },
    {
      verbs: ["DELETE"],
      path: "logged-models/{model_id}",
      service: T,
      method: "DeleteLoggedModel",
      async handle(f, ctx, p) {
        await tracking.deleteLoggedModel(create(DeleteLoggedModelRequestSchema, { modelId: id(f, p) }), ctx);
        return {};
      },
    },
    {
      verbs: ["PATCH"],
      path: "logged-models/{model_id}/tags",
      service: T,
      method: "SetLoggedModelTags",
      async handle(f, ctx, p) {
        const req = create(SetLoggedModelTagsRequestSchema, {
          modelId: id(f, p),
          tags: keyValues(f, "tags"),
        });
        await tracking.setLoggedModelTags(req, ctx);
        return {};
      },
    },
    {
      verbs: ["DELETE"],
      path: "logged-models/{model_id}/tags/{tag_key}",
      service: T,
      method: "DeleteLoggedModelTag",
      async handle(f, ctx, p) {
        const req = create(DeleteLoggedModelTagRequestSchema, { modelId: id(f, p), key: p.tag_key ?? "" });
        await tracking.deleteLoggedModelTag(req, ctx);
        return {};
      },
    },
    {
      verbs: ["POST"],
      path: "logged-models/{model_id}/params",
      service: T,
      method: "LogLoggedModelParams",
      async handle(f, ctx, p) {
        const req = create(LogLoggedModelParamsRequestSchema, {
          modelId: id(f, p),
          params: keyValues(f, "params"),
        });
        await tracking.logLoggedModelParams(req, ctx);
        return {};
      },
    },
    {
      verbs: ["POST"],
      path: "logged-models/search",
      service: T,
      method: "SearchLoggedModels",
      async handle(f, ctx) {
        if (str(f, "filter").trim() !== "") {
          throw invalidArgument(
            "filter",
            "no filter: mlops searches logged models by experiment_ids and pages only",
          );
        }
        const req = create(SearchLoggedModelsRequestSchema, {
          experimentIds: strings(f, "experiment_ids"),
          pageSize: pageSizeOf(int(f, "max_results")),
          pageToken: str(f, "page_token"),
        });
        const res = await tracking.searchLoggedModels(req, ctx);
        const out: Record<string, unknown> = { models: (res.models ?? []).map(loggedModelJson) };
        if (res.nextPageToken) out.next_page_token = res.nextPageToken;
        return out;
      },
    },
    {
      // MLflow 3's UI reads a logged model's files here.
      verbs: ["GET"],
      path: "logged-models/{model_id}/artifacts/files",
      service: T,
      method: "GetArtifact",
      async handle(f, ctx, p) {
        const model = (
          await tracking.getLoggedModel(create(GetLoggedModelRequestSchema, { modelId: id(f, p) }), ctx)
        ).model;
        const file = str(f, "artifact_file_path").replace(/^\/+/, "");
        const req = create(GetArtifactRequestSchema, { path: `${model?.artifactRoot ?? ""}/${file}` });
        const res = await tracking.getArtifact(req, ctx);
        return {
          status: 200,
          body: res.content ?? new Uint8Array(),
          contentType: "application/octet-stream",
        };
      },
    },
  ];
}
