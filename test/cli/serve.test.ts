// `mlops serve` on a data directory that already holds a model, with a --model-name that names
// none: no bootstrap, and a 503 that names the models that exist.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../bench/lib/net.js";
import { type ServerProcess, spawnServer } from "../helpers/server-process.js";
import { assertBuilt, BIN, json, mlops, tempDataDir } from "./helpers.js";

let data: { dir: string; cleanup: () => Promise<void> };
let server: ServerProcess | undefined;

beforeAll(async () => {
  assertBuilt();
  data = await tempDataDir();
  const trained = await mlops(["train", "--model", "logreg", "--promote", "Production"], {
    dataDir: data.dir,
  });
  expect(trained.code, trained.stderr).toBe(0);
});

afterAll(async () => {
  server?.kill();
  await data?.cleanup();
});

describe("mlops serve --model-name <a name that is not registered>", () => {
  it("does not bootstrap beside existing models; /predict is 503 naming them", async () => {
    const httpPort = await freePort();
    server = spawnServer(
      [
        BIN,
        "serve",
        "--workers",
        "1",
        "--host",
        "127.0.0.1",
        "--http-port",
        String(httpPort),
        "--grpc-port",
        String(await freePort()),
        "--model-name",
        "ml_clasifier",
      ],
      { MLOPS_DATA_DIR: data.dir, MLOPS_LOG_LEVEL: "info" },
      httpPort,
    );
    await server.logged(/"msg":"listening/);
    expect(server.logs()).not.toMatch(/bootstrap/);
    const res = await fetch(`http://127.0.0.1:${httpPort}/predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ features: Array(20).fill(0) }),
    });
    expect(res.status).toBe(503);
    const body = (await res.json()) as { code: string; message: string };
    expect(body.code).toBe("unavailable");
    expect(body.message).toContain('"ml_classifier"');
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    const models = await mlops(["models", "list", "--json"], { dataDir: data.dir });
    const listed = json<{ registered_models: { name: string }[] }>(models).registered_models;
    expect(listed.map((m) => m.name)).toEqual(["ml_classifier"]);
  });
});
