// MLflow's registered-models/* and model-versions/* endpoints on RegistryService.
import { create } from "@bufbuild/protobuf";
import {
  CreateModelVersionRequestSchema,
  CreateRegisteredModelRequestSchema,
  DeleteModelAliasRequestSchema,
  DeleteModelVersionRequestSchema,
  DeleteModelVersionTagRequestSchema,
  DeleteRegisteredModelRequestSchema,
  DeleteRegisteredModelTagRequestSchema,
  GetModelVersionByAliasRequestSchema,
  GetModelVersionDownloadUriRequestSchema,
  GetModelVersionRequestSchema,
  GetRegisteredModelRequestSchema,
  ListRegisteredModelsRequestSchema,
  RegistryService,
  RenameRegisteredModelRequestSchema,
  SearchModelVersionsRequestSchema,
  SetModelAliasRequestSchema,
  SetModelVersionTagRequestSchema,
  SetRegisteredModelTagRequestSchema,
  TransitionModelVersionStageRequestSchema,
  UpdateModelVersionRequestSchema,
  UpdateRegisteredModelRequestSchema,
} from "../../gen/mlops/v1/registry_pb.js";
import type { CallContext } from "../../rpc/context.js";
import { invalidArgument, ServiceError } from "../../rpc/service-error.js";
import { modelVersionJson, registeredModelJson, stageName, stageOf } from "./json.js";
import { bool, type Fields, int, keyValues, str, strings } from "./request.js";
import type { MlflowEndpoint, MlflowServices } from "./route.js";
import { equalityFilter, pageSizeOf } from "./search.js";

const R = RegistryService;

const page = (key: string, items: unknown[], next: string | undefined) => {
  const out: Record<string, unknown> = { [key]: items };
  if (next) out.next_page_token = next;
  return out;
};

export function registryEndpoints({ registry }: MlflowServices): MlflowEndpoint[] {
  const name = (f: Fields) => str(f, "name");
  const version = (f: Fields) => str(f, "version");
  const getModel = async (f: Fields, ctx: CallContext) =>
    (await registry.getRegisteredModel(create(GetRegisteredModelRequestSchema, { name: name(f) }), ctx))
      .registeredModel;

  const latestVersions: MlflowEndpoint["handle"] = async (f, ctx) => {
    const wanted = strings(f, "stages").map((s) => {
      const stage = stageOf(s);
      if (stage === undefined) throw invalidArgument("stages", "None, Staging, Production or Archived", s);
      return stageName(stage);
    });
    const model = await getModel(f, ctx);
    const versions = (model?.latestVersions ?? []).filter(
      (v) => wanted.length === 0 || wanted.includes(stageName(v.stage)),
    );
    return { model_versions: versions.map(modelVersionJson) };
  };

  return [
    {
      verbs: ["POST"],
      path: "registered-models/create",
      service: R,
      method: "CreateRegisteredModel",
      async handle(f, ctx) {
        const req = create(CreateRegisteredModelRequestSchema, {
          name: name(f),
          description: str(f, "description"),
          tags: keyValues(f, "tags"),
        });
        return {
          registered_model: registeredModelJson(
            (await registry.createRegisteredModel(req, ctx)).registeredModel,
          ),
        };
      },
    },
    {
      verbs: ["GET"],
      path: "registered-models/get",
      service: R,
      method: "GetRegisteredModel",
      handle: async (f, ctx) => ({ registered_model: registeredModelJson(await getModel(f, ctx)) }),
    },
    {
      verbs: ["GET", "POST"],
      path: "registered-models/search",
      service: R,
      method: "ListRegisteredModels",
      async handle(f, ctx) {
        const filter = equalityFilter(str(f, "filter"), ["name"]);
        if (filter.name !== undefined) {
          try {
            const model = await getModel({ name: filter.name }, ctx);
            return page("registered_models", [registeredModelJson(model)], undefined);
          } catch (error) {
            if (error instanceof ServiceError && error.code === "NOT_FOUND") return {};
            throw error;
          }
        }
        const req = create(ListRegisteredModelsRequestSchema, {
          pageSize: pageSizeOf(int(f, "max_results")),
          pageToken: str(f, "page_token"),
        });
        const res = await registry.listRegisteredModels(req, ctx);
        return page(
          "registered_models",
          (res.registeredModels ?? []).map(registeredModelJson),
          res.nextPageToken,
        );
      },
    },
    {
      verbs: ["POST"],
      path: "registered-models/rename",
      service: R,
      method: "RenameRegisteredModel",
      async handle(f, ctx) {
        const req = create(RenameRegisteredModelRequestSchema, {
          name: name(f),
          newName: str(f, "new_name"),
        });
        return {
          registered_model: registeredModelJson(
            (await registry.renameRegisteredModel(req, ctx)).registeredModel,
          ),
        };
      },
    },
    {
      verbs: ["PATCH"],
      path: "registered-models/update",
      service: R,
      method: "UpdateRegisteredModel",
      async handle(f, ctx) {
        const req = create(UpdateRegisteredModelRequestSchema, {
          name: name(f),
          description: str(f, "description"),
        });
        return {
          registered_model: registeredModelJson(
            (await registry.updateRegisteredModel(req, ctx)).registeredModel,
          ),
        };
      },
    },
    {
      verbs: ["DELETE"],
      path: "registered-models/delete",
      service: R,
      method: "DeleteRegisteredModel",
      async handle(f, ctx) {
        await registry.deleteRegisteredModel(
          create(DeleteRegisteredModelRequestSchema, { name: name(f) }),
          ctx,
        );
        return {};
      },
    },
    {
      verbs: ["POST", "GET"],
      path: "registered-models/get-latest-versions",
      service: R,
      method: "GetRegisteredModel",
      handle: latestVersions,
    },
    {
      verbs: ["POST"],
      path: "registered-models/set-tag",
      service: R,
      method: "SetRegisteredModelTag",
      async handle(f, ctx) {
        const req = create(SetRegisteredModelTagRequestSchema, {
          name: name(f),
          key: str(f, "key"),
          value: str(f, "value"),
        });
        await registry.setRegisteredModelTag(req, ctx);
        return {};
      },
    },
    {
      verbs: ["DELETE"],
      path: "registered-models/delete-tag",
      service: R,
      method: "DeleteRegisteredModelTag",
      async handle(f, ctx) {
        await registry.deleteRegisteredModelTag(
          create(DeleteRegisteredModelTagRequestSchema, { name: name(f), key: str(f, "key") }),
          ctx,
        );
        return {};
      },
    },
    {
      verbs: ["POST"],
      path: "registered-models/alias",
      service: R,
      method: "SetModelAlias",
      async handle(f, ctx) {
        const req = create(SetModelAliasRequestSchema, {
          name: name(f),
          alias: str(f, "alias"),
          version: version(f),
        });
        await registry.setModelAlias(req, ctx);
        return {};
      },
    },
    {
      verbs: ["DELETE"],
      path: "registered-models/alias",
      service: R,
      method: "DeleteModelAlias",
      async handle(f, ctx) {
        await registry.deleteModelAlias(
          create(DeleteModelAliasRequestSchema, { name: name(f), alias: str(f, "alias") }),
          ctx,
        );
        return {};
      },
    },
    {
      verbs: ["GET"],
      path: "registered-models/alias",
      service: R,
      method: "GetModelVersionByAlias",
      async handle(f, ctx) {
        const req = create(GetModelVersionByAliasRequestSchema, { name: name(f), alias: str(f, "alias") });
        return {
          model_version: modelVersionJson((await registry.getModelVersionByAlias(req, ctx)).modelVersion),
        };
      },
    },
    {
      verbs: ["POST"],
      path: "model-versions/create",
      service: R,
      method: "CreateModelVersion",
      async handle(f, ctx) {
        const req = create(CreateModelVersionRequestSchema, {
          name: name(f),
          source: str(f, "source"),
          runId: str(f, "run_id"),
          description: str(f, "description"),
          tags: keyValues(f, "tags"),
          modelId: str(f, "model_id"),
        });
        return {
          model_version: modelVersionJson((await registry.createModelVersion(req, ctx)).modelVersion),
        };
      },
    },
    {
      verbs: ["GET"],
      path: "model-versions/get",
      service: R,
      method: "GetModelVersion",
      async handle(f, ctx) {
        const req = create(GetModelVersionRequestSchema, { name: name(f), version: version(f) });
        return { model_version: modelVersionJson((await registry.getModelVersion(req, ctx)).modelVersion) };
      },
    },
    {
      verbs: ["GET", "POST"],
      path: "model-versions/search",
      service: R,
      method: "SearchModelVersions",
      async handle(f, ctx) {
        const filter = equalityFilter(str(f, "filter"), ["name", "run_id"]);
        const req = create(SearchModelVersionsRequestSchema, {
          name: filter.name ?? "",
          runId: filter.run_id ?? "",
          pageSize: pageSizeOf(int(f, "max_results")),
          pageToken: str(f, "page_token"),
        });
        const res = await registry.searchModelVersions(req, ctx);
        return page("model_versions", (res.modelVersions ?? []).map(modelVersionJson), res.nextPageToken);
      },
    },
    {
      verbs: ["PATCH"],
      path: "model-versions/update",
      service: R,
      method: "UpdateModelVersion",
      async handle(f, ctx) {
        const req = create(UpdateModelVersionRequestSchema, {
          name: name(f),
          version: version(f),
          description: str(f, "description"),
        });
        return {
          model_version: modelVersionJson((await registry.updateModelVersion(req, ctx)).modelVersion),
        };
      },
    },
    {
      verbs: ["DELETE"],
      path: "model-versions/delete",
      service: R,
      method: "DeleteModelVersion",
      async handle(f, ctx) {
        await registry.deleteModelVersion(
          create(DeleteModelVersionRequestSchema, { name: name(f), version: version(f) }),
          ctx,
        );
        return {};
      },
    },
    {
      verbs: ["POST"],
      path: "model-versions/transition-stage",
      service: R,
      method: "TransitionModelVersionStage",
      async handle(f, ctx) {
        const stage = stageOf(str(f, "stage"));
        if (stage === undefined) {
          throw invalidArgument(
            "stage",
            "None, Staging, Production or Archived",
            JSON.stringify(str(f, "stage")),
          );
        }
        const req = create(TransitionModelVersionStageRequestSchema, {
          name: name(f),
          version: version(f),
          stage,
          archiveExistingVersions: bool(f, "archive_existing_versions"),
          comment: str(f, "comment"),
        });
        return {
          model_version: modelVersionJson(
            (await registry.transitionModelVersionStage(req, ctx)).modelVersion,
          ),
        };
      },
    },
    {
      verbs: ["POST"],
      path: "model-versions/set-tag",
      service: R,
      method: "SetModelVersionTag",
      async handle(f, ctx) {
        const req = create(SetModelVersionTagRequestSchema, {
          name: name(f),
          version: version(f),
          key: str(f, "key"),
          value: str(f, "value"),
        });
        await registry.setModelVersionTag(req, ctx);
        return {};
      },
    },
    {
      verbs: ["DELETE"],
      path: "model-versions/delete-tag",
      service: R,
      method: "DeleteModelVersionTag",
      async handle(f, ctx) {
        const req = create(DeleteModelVersionTagRequestSchema, {
          name: name(f),
          version: version(f),
          key: str(f, "key"),
        });
        await registry.deleteModelVersionTag(req, ctx);
        return {};
      },
    },
    {
      verbs: ["GET"],
      path: "model-versions/get-download-uri",
      service: R,
      method: "GetModelVersionDownloadUri",
      async handle(f, ctx) {
        const req = create(GetModelVersionDownloadUriRequestSchema, { name: name(f), version: version(f) });
        return { artifact_uri: (await registry.getModelVersionDownloadUri(req, ctx)).artifactUri ?? "" };
      },
    },
  ];
}
