// How REST and Connect JSON read what a user types: stage names spelled as the CLI takes them
// (`Production`, `production`, `STAGE_PRODUCTION`), errors that list only accepted values, and field
// paths named as REST names them (`features[1]`).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app/create-app.js";
import { stage as parseStage } from "../../src/cli/parse.js";
import { MODEL, row, seedModel, startTestApp, tempDataDir } from "../helpers/app.js";
import { getJson, postJson } from "../helpers/clients.js";

let app: App;
let cleanup: () => void;

beforeAll(async () => {
  const tmp = tempDataDir();
  cleanup = tmp.cleanup;
  await seedModel(tmp.dir, { stage: "Production" });
  await seedModel(tmp.dir, { seed: 8 }); // v2, moved over REST
  await seedModel(tmp.dir, { seed: 9 }); // v3, moved over Connect
  app = await startTestApp(tmp.dir);
});

afterAll(async () => {
  await app?.close();
  cleanup?.();
});

/** A Connect unary call with a JSON body, as curl would send it. */
async function connectJson(procedure: string, body: unknown) {
  const res = await fetch(`http://127.0.0.1:${app.httpPort}/${procedure}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const TRANSITION = "mlops.v1.RegistryService/TransitionModelVersionStage";
const transitionPath = `/v1/models/${MODEL}/versions/2:transition`;
const ACCEPTED = ["None", "Staging", "Production", "Archived"];

/** The error lists every stage a caller may name and not the zero value, which is no stage. */
function expectAcceptedList(text: string): void {
  for (const name of ACCEPTED) expect(text).toContain(name);
  expect(text).not.toContain("UNSPECIFIED");
}

describe("stage names: the spellings the CLI takes, over REST and Connect JSON", () => {
  // Each target differs from the one before: a move to the stage a version is in is refused.
  const spellings: Array<[string, string]> = [
    ["Staging", "STAGE_STAGING"],
    ["Production", "STAGE_PRODUCTION"],
    ["staging", "STAGE_STAGING"],
    ["production", "STAGE_PRODUCTION"],
    ["STAGE_STAGING", "STAGE_STAGING"],
    ["STAGE_PRODUCTION", "STAGE_PRODUCTION"],
    ["Archived", "STAGE_ARCHIVED"],
    ["none", "STAGE_NONE"],
  ];

  it("the CLI's parser takes each of them", () => {
    for (const [spelling, proto] of spellings)
      expect(`STAGE_${parseStage(spelling).toUpperCase()}`).toBe(proto);
  });

  for (const [spelling, proto] of spellings) {
    it(`REST transition to ${JSON.stringify(spelling)} → ${proto}`, async () => {
      const res = await postJson(app.httpPort, transitionPath, {
        stage: spelling,
        archive_existing_versions: false,
      });
      expect(res.status).toBe(200);
      expect((res.body.model_version as { stage: string }).stage).toBe(proto);
    });

    it(`Connect JSON transition to ${JSON.stringify(spelling)} → ${proto}`, async () => {
      const res = await connectJson(TRANSITION, { name: MODEL, version: "3", stage: spelling });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect((res.body.model_version as { stage: string }).stage).toBe(proto);
    });
  }

  it("REST query strings take them too", async () => {
    const byName = await getJson(app.httpPort, "/v1/model-versions?stage=production");
    const byProto = await getJson(app.httpPort, "/v1/model-versions?stage=STAGE_PRODUCTION");
    expect(byName.status, byName.text).toBe(200);
    expect(byName.body).toEqual(byProto.body);
    expect((byName.body.model_versions as unknown[]).length).toBeGreaterThan(0);
  });

  it("REST: an unknown stage → INVALID_ARGUMENT naming the field and listing the accepted values", async () => {
    const res = await postJson(app.httpPort, transitionPath, { stage: "live" });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("invalid_argument");
    expect(res.body.field).toBe("stage");
    expectAcceptedList(res.body.expected as string);
    expectAcceptedList(res.body.message as string);
  });

  it("Connect JSON: an unknown stage → invalid_argument listing the accepted values", async () => {
    const res = await connectJson(TRANSITION, { name: MODEL, version: "2", stage: "live" });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("invalid_argument");
    expect(res.body.message).toMatch(/^stage: /);
    expectAcceptedList(res.body.message as string);
  });

  it("the CLI's error lists the same values", () => {
    let message = "";
    try {
      parseStage("live");
    } catch (e) {
      message = (e as Error).message;
    }
    expectAcceptedList(message);
  });
});

describe("Connect names fields as REST does", () => {
  it("a non-number feature: Connect and REST's proto3 JSON path both name features[1]", async () => {
    const features = [1, "x", ...row(0).slice(2)];
    const connect = await connectJson("mlops.v1.PredictService/Predict", { features });
    expect(connect.status).toBe(400);
    expect(connect.body.code).toBe("invalid_argument");
    expect(connect.body.message).toMatch(/^features\[1\]: /);
    expect(connect.body.message).not.toContain("list item");
    // A model selector sends /predict's body through the proto3 JSON decoder, as Connect's is.
    const rest = await postJson(app.httpPort, "/predict", { features, model_name: MODEL });
    expect(rest.status).toBe(422); // the seed's status for /predict (docs/decisions/0015)
    expect(rest.body.field).toBe("features[1]");
    expect(rest.body.message).toBe(connect.body.message);
  });

  it("a wrongly typed scalar names the field (model_version)", async () => {
    const connect = await connectJson("mlops.v1.PredictService/Predict", {
      features: row(0),
      model_version: 1,
    });
    expect(connect.status).toBe(400);
    expect(connect.body.message).toMatch(/^model_version: /);
  });
});
