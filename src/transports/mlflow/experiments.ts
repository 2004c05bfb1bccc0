// MLflow's experiments/* endpoints on TrackingService.
import { create } from "@bufbuild/protobuf";
import {
  CreateExperimentRequestSchema,
  DeleteExperimentRequestSchema,
  DeleteExperimentTagRequestSchema,
  GetExperimentByNameRequestSchema,
  GetExperimentRequestSchema,
  ListExperimentsRequestSchema,
  RestoreExperimentRequestSchema,
  SetExperimentTagRequestSchema,
  TrackingService,
  UpdateExperimentRequestSchema,
} from "../../gen/mlops/v1/tracking_pb.js";
import { invalidArgument } from "../../rpc/service-error.js";
import { experimentJson } from "./json.js";
import { type Fields, int, keyValues, str } from "./request.js";
import type { MlflowEndpoint, MlflowServices } from "./route.js";
import { pageSizeOf, viewTypeOf } from "./search.js";

const T = TrackingService;

export function experimentEndpoints({ tracking }: MlflowServices): MlflowEndpoint[] {
  const experimentId = (f: Fields) => str(f, "experiment_id");
  return [
    {
      verbs: ["POST"],
      path: "experiments/create",
      service: T,
      method: "CreateExperiment",
      async handle(f, ctx) {
        const req = create(CreateExperimentRequestSchema, {
          name: str(f, "name"),
          tags: keyValues(f, "tags"),
        });
        const { experiment } = await tracking.createExperiment(req, ctx);
        return { experiment_id: experiment?.experimentId ?? "" };
      },
    },
    {
      verbs: ["GET"],
      path: "experiments/get",
      service: T,
      method: "GetExperiment",
      async handle(f, ctx) {
        const req = create(GetExperimentRequestSchema, { experimentId: experimentId(f) });
        return { experiment: experimentJson((await tracking.getExperiment(req, ctx)).experiment) };
      },
    },
    {
      verbs: ["GET"],
      path: "experiments/get-by-name",
      service: T,
      method: "GetExperimentByName",
      async handle(f, ctx) {
        const req = create(GetExperimentByNameRequestSchema, { name: str(f, "experiment_name") });
        return { experiment: experimentJson((await tracking.getExperimentByName(req, ctx)).experiment) };
      },
    },
    {
      verbs: ["GET", "POST"],
      path: "experiments/search",
      service: T,
      method: "ListExperiments",
      async handle(f, ctx) {
        if (str(f, "filter").trim() !== "") {
          throw invalidArgument(
            "filter",
            "no filter: mlops searches experiments by view_type and pages only",
          );
        }
        const req = create(ListExperimentsRequestSchema, {
          pageSize: pageSizeOf(int(f, "max_results")),
          pageToken: str(f, "page_token"),
          viewType: viewTypeOf(str(f, "view_type")),
        });
        const res = await tracking.listExperiments(req, ctx);
        const out: Record<string, unknown> = { experiments: (res.experiments ?? []).map(experimentJson) };
        if (res.nextPageToken) out.next_page_token = res.nextPageToken;
        return out;
      },
    },
    {
      verbs: ["POST"],
      path: "experiments/update",
      service: T,
      method: "UpdateExperiment",
      async handle(f, ctx) {
        const req = create(UpdateExperimentRequestSchema, {
          experimentId: experimentId(f),
          name: str(f, "new_name"),
        });
        await tracking.updateExperiment(req, ctx);
        return {};
      },
    },
    {
      verbs: ["POST"],
      path: "experiments/delete",
      service: T,
      method: "DeleteExperiment",
      async handle(f, ctx) {
        await tracking.deleteExperiment(
          create(DeleteExperimentRequestSchema, { experimentId: experimentId(f) }),
          ctx,
        );
        return {};
      },
    },
    {
      verbs: ["POST"],
      path: "experiments/restore",
      service: T,
      method: "RestoreExperiment",
      async handle(f, ctx) {
        await tracking.restoreExperiment(
          create(RestoreExperimentRequestSchema, { experimentId: experimentId(f) }),
          ctx,
        );
        return {};
      },
    },
    {
      verbs: ["POST"],
      path: "experiments/set-experiment-tag",
      service: T,
      method: "SetExperimentTag",
      async handle(f, ctx) {
        const req = create(SetExperimentTagRequestSchema, {
          experimentId: experimentId(f),
          key: str(f, "key"),
          value: str(f, "value"),
        });
        await tracking.setExperimentTag(req, ctx);
        return {};
      },
    },
    {
      verbs: ["POST", "DELETE"],
      path: "experiments/delete-experiment-tag",
      service: T,
      method: "DeleteExperimentTag",
      async handle(f, ctx) {
        const req = create(DeleteExperimentTagRequestSchema, {
          experimentId: experimentId(f),
          key: str(f, "key"),
        });
        await tracking.deleteExperimentTag(req, ctx);
        return {};
      },
    },
  ];
}
