// openapi/openapi.json, written by `npm run gen` (tools/protoc-gen-openapi): a valid OpenAPI 3.1
// document with an operation for every REST route the server has (compiled from google.api.http,
// hand-written, Open Inference Protocol, docs), schemas in proto3 JSON with json_name keys and the
// protos' comments; and the response validator the integration tests use catches drift.
import { readFileSync } from "node:fs";
import { getOption, hasOption } from "@bufbuild/protobuf";
import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { http } from "../../src/gen/google/api/annotations_pb.js";
import { PredictService } from "../../src/gen/mlops/v1/predict_pb.js";
import { RegistryService } from "../../src/gen/mlops/v1/registry_pb.js";
import { TrackingService } from "../../src/gen/mlops/v1/tracking_pb.js";
import { mlopsValidator, OPENAPI_JSON } from "../helpers/openapi.js";

interface Doc {
  openapi: string;
  paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, { properties?: Record<string, { description?: string }> }> };
}

const doc = JSON.parse(readFileSync(OPENAPI_JSON, "utf8")) as Doc;
const ops = (path: string) => Object.keys(doc.paths[path] ?? {}).filter((k) => k !== "parameters");

describe("openapi/openapi.json", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    const validator = new Validator();
    const result = await validator.validate(OPENAPI_JSON);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("has an operation for every google.api.http rule, with the proto's comment", () => {
    let n = 0;
    for (const service of [PredictService, RegistryService, TrackingService]) {
      for (const method of service.methods) {
        if (!hasOption(method, http)) continue;
        const rule = getOption(method, http);
        const path = String(rule.pattern.value);
        expect(ops(path), `${method.name} ${path}`).toContain(rule.pattern.case);
        if (path !== "/predict") {
          expect(doc.paths[path]?.[rule.pattern.case as string]?.operationId).toBe(
            `${service.typeName}.${method.name}`,
          );
        }
        n++;
      }
    }
    expect(n).toBeGreaterThan(30);
    expect(JSON.stringify(doc.paths["/v1/predict:batch"])).toContain("Scores many rows in one call");
  });

  it("has the seed's routes (hand-written, exact JSON), the Open Inference Protocol's and the docs", () => {
    for (const path of ["/", "/health", "/model-info", "/metrics", "/openapi.json", "/docs", "/redoc"]) {
      expect(ops(path), path).toEqual(["get"]);
    }
    for (const path of ["/ui", "/ui/", "/ui/{p0}", "/ui/{p0}/{p1}/{p2}/{p3}", "/ui/assets/{file}"]) {
      expect(ops(path), path).toEqual(["get"]);
    }
    expect(ops("/predict")).toEqual(["post"]);
    expect(doc.paths["/predict"]?.post?.operationId).toBe("predict");
    for (const path of [
      "/v2",
      "/v2/health/live",
      "/v2/health/ready",
      "/v2/models/{name}",
      "/v2/models/{name}/versions/{version}",
      "/v2/models/{name}/ready",
      "/v2/models/{name}/versions/{version}/ready",
    ]) {
      expect(ops(path), path).toEqual(["get"]);
    }
    expect(ops("/v2/models/{name}/infer")).toEqual(["post"]);
    expect(ops("/v2/models/{name}/versions/{version}/infer")).toEqual(["post"]);
  });

  it("message schemas use the json_name keys and carry the field comments", () => {
    const batch = doc.components.schemas["mlops.v1.PredictBatchResponse"];
    expect(Object.keys(batch?.properties ?? {})).toContain("n_classes");
    expect(batch?.properties?.n_classes?.description).toMatch(/stride/);
    expect(Object.keys(doc.components.schemas["mlops.v1.PredictRequest"]?.properties ?? {})).toEqual([
      "features",
      "model_alias",
      "model_name",
      "model_version",
    ]);
  });

  it("the tests' response validator catches a route that drifts from the document", async () => {
    const v = await mlopsValidator();
    const ok =
      '{"prediction":1,"probability":[0.25,0.75],"model_version":"1","timestamp":"2025-01-31T12:00:00.000Z","model_name":"m"}';
    const res = (status: number, text: string, path = "/predict", method = "POST") => ({
      method,
      path,
      status,
      contentType: "application/json",
      text,
    });
    expect(v.problems(res(200, ok))).toEqual([]);
    expect(v.problems(res(200, ok.replace('"model_name":"m"', '"model_name":"m","extra":1')))).not.toEqual(
      [],
    );
    expect(v.problems(res(200, ok.replace('"prediction":1,', "")))).not.toEqual([]);
    expect(v.problems(res(418, '{"code":"internal","message":"x"}'))).not.toEqual([]);
    expect(v.problems({ ...res(200, ok), contentType: "text/plain" })).not.toEqual([]);
    expect(v.problems(res(404, '{"code":"not_found","message":"no route"}', "/nope", "GET"))).toEqual([]);
    expect(v.problems(res(404, '{"error":"no route"}', "/nope", "GET"))).not.toEqual([]);
  });
});
