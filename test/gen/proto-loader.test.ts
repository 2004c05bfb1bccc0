// The proto contract, checked three ways: the .proto files load at run time with @grpc/proto-loader,
// the generated descriptors carry the same methods and REST rules, and docs/api.md lists exactly
// those routes. Also: buf lint and buf format are clean.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import type { DescService } from "@bufbuild/protobuf";
import { create, getOption, toJsonString } from "@bufbuild/protobuf";
import { loadSync } from "@grpc/proto-loader";
import { describe, expect, it } from "vitest";
import { http } from "../../src/gen/google/api/annotations_pb.js";
import { PredictResponseSchema, PredictService } from "../../src/gen/mlops/v1/predict_pb.js";
import { RegistryService } from "../../src/gen/mlops/v1/registry_pb.js";
import { TrackingService } from "../../src/gen/mlops/v1/tracking_pb.js";

const ROOT = resolve(import.meta.dirname, "../..");
const BUF = join(ROOT, "node_modules/.bin/buf");

/** Method name → [verb, path]; request and response types follow the `<Method>Request/Response` rule. */
type Routes = Record<string, [string, string]>;

const EXPECTED: Record<string, Routes> = {
  PredictService: {
    Predict: ["post", "/predict"],
    PredictBatch: ["post", "/v1/predict:batch"],
    GetModelInfo: ["get", "/v1/model-info"],
  },
  RegistryService: {
    CreateRegisteredModel: ["post", "/v1/models"],
    GetRegisteredModel: ["get", "/v1/models/{name}"],
    ListRegisteredModels: ["get", "/v1/models"],
    UpdateRegisteredModel: ["patch", "/v1/models/{name}"],
    SetRegisteredModelTag: ["put", "/v1/models/{name}/tags/{key}"],
    DeleteRegisteredModelTag: ["delete", "/v1/models/{name}/tags/{key}"],
    CreateModelVersion: ["post", "/v1/models/{name}/versions"],
    GetModelVersion: ["get", "/v1/models/{name}/versions/{version}"],
    ListModelVersions: ["get", "/v1/models/{name}/versions"],
    SearchModelVersions: ["get", "/v1/model-versions"],
    UpdateModelVersion: ["patch", "/v1/models/{name}/versions/{version}"],
    SetModelVersionTag: ["put", "/v1/models/{name}/versions/{version}/tags/{key}"],
    DeleteModelVersionTag: ["delete", "/v1/models/{name}/versions/{version}/tags/{key}"],
    TransitionModelVersionStage: ["post", "/v1/models/{name}/versions/{version}:transition"],
    SetModelAlias: ["put", "/v1/models/{name}/aliases/{alias}"],
    DeleteModelAlias: ["delete", "/v1/models/{name}/aliases/{alias}"],
    GetModelVersionByAlias: ["get", "/v1/models/{name}/aliases/{alias}"],
    ImportModelVersion: ["post", "/v1/models/{name}/versions:import"],
    ExportModelVersion: ["get", "/v1/models/{name}/versions/{version}:export"],
    ListAuditEvents: ["get", "/v1/audit-events"],
    DeleteModelVersion: ["delete", "/v1/models/{name}/versions/{version}"],
    DeleteRegisteredModel: ["delete", "/v1/models/{name}"],
    RenameRegisteredModel: ["post", "/v1/models/{name}:rename"],
    GetModelVersionDownloadUri: ["get", "/v1/models/{name}/versions/{version}:download-uri"],
  },
  TrackingService: {
    CreateExperiment: ["post", "/v1/experiments"],
    GetExperiment: ["get", "/v1/experiments/{experiment_id}"],
    GetExperimentByName: ["get", "/v1/experiments:by-name"],
    ListExperiments: ["get", "/v1/experiments"],
    DeleteExperiment: ["delete", "/v1/experiments/{experiment_id}"],
    RestoreExperiment: ["post", "/v1/experiments/{experiment_id}:restore"],
    UpdateExperiment: ["patch", "/v1/experiments/{experiment_id}"],
    CreateRun: ["post", "/v1/runs"],
    UpdateRun: ["patch", "/v1/runs/{run_id}"],
    GetRun: ["get", "/v1/runs/{run_id}"],
    SearchRuns: ["post", "/v1/runs:search"],
    ListRunKeys: ["post", "/v1/runs:keys"],
    LogParam: ["post", "/v1/runs/{run_id}/params"],
    LogMetric: ["post", "/v1/runs/{run_id}/metrics"],
    GetMetricHistory: ["get", "/v1/runs/{run_id}/metrics/{key}/history"],
    SetRunTag: ["put", "/v1/runs/{run_id}/tags/{key}"],
    LogBatch: ["post", "/v1/runs/{run_id}:log-batch"],
    DeleteRun: ["delete", "/v1/runs/{run_id}"],
    RestoreRun: ["post", "/v1/runs/{run_id}:restore"],
    SetExperimentTag: ["put", "/v1/experiments/{experiment_id}/tags/{key}"],
    DeleteExperimentTag: ["delete", "/v1/experiments/{experiment_id}/tags/{key}"],
    DeleteRunTag: ["delete", "/v1/runs/{run_id}/tags/{key}"],
    LogInputs: ["post", "/v1/runs/{run_id}:log-inputs"],
    LogOutputs: ["post", "/v1/runs/{run_id}:log-outputs"],
    CreateLoggedModel: ["post", "/v1/logged-models"],
    GetLoggedModel: ["get", "/v1/logged-models/{model_id}"],
    SearchLoggedModels: ["post", "/v1/logged-models:search"],
    FinalizeLoggedModel: ["post", "/v1/logged-models/{model_id}:finalize"],
    SetLoggedModelTags: ["patch", "/v1/logged-models/{model_id}/tags"],
    DeleteLoggedModelTag: ["delete", "/v1/logged-models/{model_id}/tags/{key}"],
    LogLoggedModelParams: ["post", "/v1/logged-models/{model_id}/params"],
    DeleteLoggedModel: ["delete", "/v1/logged-models/{model_id}"],
    PutArtifact: ["post", "/v1/artifacts"],
    GetArtifact: ["get", "/v1/artifacts:download"],
    ListArtifacts: ["get", "/v1/artifacts"],
    DeleteArtifact: ["delete", "/v1/artifacts"],
  },
};

const GENERATED: Record<string, DescService> = { PredictService, RegistryService, TrackingService };

/** The shape of a method in @grpc/proto-loader's package definition that this test reads. */
interface LoadedMethod {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestType: { type: { name: string } };
  responseType: { type: { name: string } };
}

const run = promisify(execFile);

describe("proto/mlops/v1 loaded with @grpc/proto-loader", () => {
  const pkg = loadSync(["mlops/v1/predict.proto", "mlops/v1/registry.proto", "mlops/v1/tracking.proto"], {
    includeDirs: [join(ROOT, "proto"), join(ROOT, "proto/third_party")],
    keepCase: true,
  });

  for (const [service, routes] of Object.entries(EXPECTED)) {
    it(`has ${service} with exactly the expected unary methods and types`, () => {
      const def = pkg[`mlops.v1.${service}`] as unknown as Record<string, LoadedMethod> | undefined;
      expect(def).toBeDefined();
      expect(Object.keys(def!).sort()).toEqual(Object.keys(routes).sort());
      for (const [name, method] of Object.entries(def!)) {
        expect(method.path).toBe(`/mlops.v1.${service}/${name}`);
        expect(method.requestType.type.name).toBe(`${name}Request`);
        expect(method.responseType.type.name).toBe(`${name}Response`);
        expect([method.requestStream, method.responseStream]).toEqual([false, false]);
      }
    });
  }

  it("defines no health service of its own (grpc.health.v1 comes from grpc-health-check)", () => {
    expect(Object.keys(pkg).filter((k) => /health/i.test(k))).toEqual([]);
  });
});

describe("generated descriptors (src/gen)", () => {
  it("carry the same methods and a google.api.http rule per RPC", () => {
    for (const [service, routes] of Object.entries(EXPECTED)) {
      const desc = GENERATED[service];
      if (!desc) throw new Error(`no generated descriptor for ${service}`);
      expect(desc.typeName).toBe(`mlops.v1.${service}`);
      const actual: Routes = {};
      for (const method of desc.methods) {
        const rule = getOption(method, http);
        actual[method.name] = [rule.pattern.case ?? "none", String(rule.pattern.value)];
        // Bodies: "*" for verbs that carry one, none for GET and DELETE.
        const hasBody =
          rule.pattern.case === "post" || rule.pattern.case === "put" || rule.pattern.case === "patch";
        expect(rule.body, `${service}.${method.name} body`).toBe(hasBody ? "*" : "");
      }
      expect(actual).toEqual(routes);
    }
  });

  it("keep the seed's /predict JSON, with class 0 still written", () => {
    const response = create(PredictResponseSchema, {
      prediction: 0,
      probability: [0.75, 0.25],
      modelVersion: "1",
      timestamp: "2025-01-31T12:00:00.000Z",
      modelName: "ml_classifier",
    });
    expect(toJsonString(PredictResponseSchema, response)).toBe(
      '{"prediction":0,"probability":[0.75,0.25],"model_version":"1",' +
        '"timestamp":"2025-01-31T12:00:00.000Z","model_name":"ml_classifier"}',
    );
  });
});

describe("docs/api.md", () => {
  it("lists exactly the REST routes the protos declare", async () => {
    const text = await readFile(join(ROOT, "docs/api.md"), "utf8");
    const rows = [
      ...text.matchAll(
        /^\|\s*(GET|POST|PUT|PATCH|DELETE)\s*\|\s*`([^`]+)`\s*\|[^|]*\|\s*`(\w+)\.(\w+)`\s*\|$/gm,
      ),
    ];
    // Cells may be padded: biome aligns markdown tables.
    const documented: Record<string, Routes> = {};
    // Every group of the pattern is required, so each match has all four.
    for (const [verb, path, service, method] of rows.map(
      (m) => m.slice(1) as [string, string, string, string],
    )) {
      documented[service] = { ...documented[service], [method]: [verb.toLowerCase(), path] };
    }
    expect(documented).toEqual(EXPECTED);
  });
});

describe("buf", () => {
  it("lint passes (STANDARD + COMMENTS)", async () => {
    await expect(run(BUF, ["lint"], { cwd: ROOT })).resolves.toBeDefined();
  });

  it("format has nothing to change (the vendored Open Inference Protocol and onnx-ml protos stay as upstream wrote them)", async () => {
    await expect(
      run(
        BUF,
        [
          "format",
          "--diff",
          "--exit-code",
          "--exclude-path",
          "proto/third_party/inference",
          "--exclude-path",
          "proto/third_party/onnx",
        ],
        {
          cwd: ROOT,
        },
      ),
    ).resolves.toBeDefined();
  });
});
