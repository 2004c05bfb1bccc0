// bySegment: a request scans only the templates that can match its first segment, in their order.
import { describe, expect, it } from "vitest";
import { bySegment } from "../../src/transports/http/rest-routes.js";

const t = (template: string) => ({ template });
const routes = [
  t("/v2/models/{name}/versions/{version}/infer"),
  t("/api/2.0/mlflow/runs/get"),
  t("/{anything=**}/meta"),
  t("/v2/models/{name}/infer"),
  t("/v2"),
  t("/"),
];

describe("bySegment", () => {
  const candidates = bySegment(routes);
  const names = (path: string) => candidates(path).map((r) => r.template);

  it("keeps a segment's templates and the open ones, in the original order", () => {
    expect(names("/v2/models/m/infer")).toEqual([
      "/v2/models/{name}/versions/{version}/infer",
      "/{anything=**}/meta",
      "/v2/models/{name}/infer",
      "/v2",
    ]);
    expect(names("/v2")).toEqual(names("/v2/"));
    expect(names("/api/2.0/mlflow/runs/get")).toEqual(["/api/2.0/mlflow/runs/get", "/{anything=**}/meta"]);
  });

  it("gives a path of any other segment the open templates only; `/` is the empty segment", () => {
    expect(names("/nope/x")).toEqual(["/{anything=**}/meta"]);
    expect(names("/")).toEqual(["/{anything=**}/meta", "/"]);
  });
});
