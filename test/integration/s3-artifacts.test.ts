// The server with its artifacts in an S3-compatible bucket (a real s3rver in a child process): the
// Production model loads from the bucket, a damaged object is refused while the old model keeps
// serving, and an outage of the store stops nothing but the next swap, which happens once it is back.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app/create-app.js";
import { Stage } from "../../src/gen/mlops/v1/model_pb.js";
import { RegistryService } from "../../src/gen/mlops/v1/registry_pb.js";
import { MODEL, row, seedModel, startTestApp, tempDataDir } from "../helpers/app.js";
import { connectClient, getJson, postJson } from "../helpers/clients.js";
import { startS3Server, type TestS3Server } from "../kit/s3-server.js";

let s3: TestS3Server;
let prefixes = 0;
const saved: Record<string, string | undefined> = {};
const apps: App[] = [];
const cleanups: (() => void)[] = [];

beforeAll(async () => {
  s3 = await startS3Server();
  // The S3 store reads its endpoint and credentials from the standard AWS variables, as in production.
  for (const [k, v] of Object.entries(s3.env)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
});
afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await s3?.close();
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
  for (const c of cleanups.splice(0)) c();
});

async function setup() {
  const { dir, cleanup } = tempDataDir();
  cleanups.push(cleanup);
  const prefix = `serve/t${++prefixes}`;
  return { dir, prefix, artifactUrl: s3.url(prefix) };
}

async function start(dir: string, artifactUrl: string): Promise<App> {
  const app = await startTestApp(dir, { artifactUrl });
  apps.push(app);
  return app;
}

const promote = (app: App, version: number) =>
  connectClient(RegistryService, app.httpPort).transitionModelVersionStage({
    name: MODEL,
    version: String(version),
    stage: Stage.PRODUCTION,
    archiveExistingVersions: true,
  });

describe("serving from an S3 artifact store", () => {
  it("loads the Production model from the bucket; nothing is written to the data directory", async () => {
    const { dir, artifactUrl } = await setup();
    const v1 = await seedModel(dir, { stage: "Production", artifactUrl });
    const app = await start(dir, artifactUrl);
    expect(app.artifacts.kind).toBe("s3");
    expect(app.models.current()?.version).toBe(v1.version);
    const p = await postJson(app.httpPort, "/predict", { features: row(1) });
    expect(p.status).toBe(200);
    expect(p.body.model_version).toBe(String(v1.version));
    expect(p.body.probability).toEqual(Array.from(v1.model.predictProba(Float64Array.from(row(1)), 1)));
    expect(existsSync(join(dir, "artifacts"))).toBe(false);
  });

  it("refuses a corrupted object: the old model keeps serving", async () => {
    const { dir, prefix, artifactUrl } = await setup();
    const v1 = await seedModel(dir, { stage: "Production", seed: 1, artifactUrl });
    const v2 = await seedModel(dir, { seed: 2, artifactUrl });
    const app = await start(dir, artifactUrl);
    const damaged = new Uint8Array(v2.bytes);
    damaged[Math.floor(damaged.length / 2)]! ^= 0xff;
    await s3.putRaw(`${prefix}/sha256/${v2.sha256.slice(0, 2)}/${v2.sha256}`, damaged);
    await promote(app, v2.version);
    await app.models.refresh();
    expect(app.models.current()?.version).toBe(v1.version);
    expect((app.models.lastError() as { code?: string }).code).toBe("DATA_LOSS");
    const p = await postJson(app.httpPort, "/predict", { features: row(2) });
    expect(p.status).toBe(200);
    expect(p.body.model_version).toBe(String(v1.version));
    const h = await getJson(app.httpPort, "/health");
    expect(h.body.last_load_error).toBeTruthy();
    expect(h.body.serving_stale).toBe(true);

    // Putting the right bytes back repairs it; the next refresh swaps.
    await s3.putRaw(`${prefix}/sha256/${v2.sha256.slice(0, 2)}/${v2.sha256}`, v2.bytes);
    await app.models.refresh();
    expect(app.models.current()?.version).toBe(v2.version);
  });

  it("keeps serving through a store outage and swaps once the store is back", async () => {
    const { dir, artifactUrl } = await setup();
    const v1 = await seedModel(dir, { stage: "Production", seed: 3, artifactUrl });
    const v2 = await seedModel(dir, { seed: 4, artifactUrl });
    const app = await start(dir, artifactUrl);
    await s3.stop();
    try {
      await promote(app, v2.version);
      await app.models.refresh();
      expect((app.models.lastError() as { code?: string }).code).toBe("UNAVAILABLE");
      expect(app.models.current()?.version).toBe(v1.version);
      const p = await postJson(app.httpPort, "/predict", { features: row(3) });
      expect(p.status).toBe(200);
      expect(p.body.model_version).toBe(String(v1.version));
    } finally {
      await s3.start();
    }
    await app.models.refresh();
    expect(app.models.current()?.version).toBe(v2.version);
    expect(app.models.lastError()).toBeUndefined();
  }, 30_000);
});
