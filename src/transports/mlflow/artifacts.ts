// MLflow's artifact proxy (`mlflow server --serve-artifacts`): files of the artifact tree under
// /api/2.0/mlflow-artifacts/artifacts/<path>, uploaded by PUT with the raw bytes, read by GET,
// listed by GET ?path=<folder>, removed by DELETE. Runs' artifact_uri points here.
import { create } from "@bufbuild/protobuf";
import {
  DeleteArtifactRequestSchema,
  GetArtifactRequestSchema,
  ListArtifactsRequestSchema,
  PutArtifactRequestSchema,
  TrackingService,
} from "../../gen/mlops/v1/tracking_pb.js";
import { readBodyBytes } from "../http/body.js";
import { str } from "./request.js";
import type { MlflowEndpoint, MlflowServices } from "./route.js";

const T = TrackingService;

export function artifactEndpoints({ tracking }: MlflowServices, maxArtifactBytes: number): MlflowEndpoint[] {
  const path = (p: Record<string, string>) => p.path ?? "";
  return [
    {
      verbs: ["PUT"],
      path: "artifacts/{path=**}",
      service: T,
      method: "PutArtifact",
      async decode(req, params) {
        const content = await readBodyBytes(req, maxArtifactBytes, "MLOPS_MAX_IMPORT_BYTES");
        return { fields: { content }, params };
      },
      async handle(f, ctx, p) {
        const content = f.content as Uint8Array;
        await tracking.putArtifact(create(PutArtifactRequestSchema, { path: path(p), content }), ctx);
        return {};
      },
    },
    {
      verbs: ["GET"],
      path: "artifacts/{path=**}",
      service: T,
      method: "GetArtifact",
      async handle(_f, ctx, p) {
        const res = await tracking.getArtifact(create(GetArtifactRequestSchema, { path: path(p) }), ctx);
        return {
          status: 200,
          body: res.content ?? new Uint8Array(),
          contentType: "application/octet-stream",
        };
      },
    },
    {
      verbs: ["DELETE"],
      path: "artifacts/{path=**}",
      service: T,
      method: "DeleteArtifact",
      async handle(_f, ctx, p) {
        await tracking.deleteArtifact(create(DeleteArtifactRequestSchema, { path: path(p) }), ctx);
        return {};
      },
    },
    {
      verbs: ["GET"],
      path: "artifacts",
      service: T,
      method: "ListArtifacts",
      async handle(f, ctx) {
        const folder = str(f, "path").replace(/^\/+|\/+$/g, "");
        const res = await tracking.listArtifacts(create(ListArtifactsRequestSchema, { path: folder }), ctx);
        const files = (res.files ?? []).map((file) => ({
          path: (file.path ?? "").split("/").at(-1) ?? "",
          is_dir: file.isDir ?? false,
          ...(file.isDir ? {} : { file_size: Number(file.size ?? 0) }),
        }));
        return files.length > 0 ? { files } : {};
      },
    },
  ];
}
