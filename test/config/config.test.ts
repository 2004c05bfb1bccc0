import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { describeDatabase, loadConfig, storeOptionsOf } from "../../src/config/config.js";

describe("loadConfig", () => {
  it("has the documented defaults", () => {
    const c = loadConfig({}, {});
    expect(c).toEqual({
      dataDir: resolve(".mlops"),
      databaseUrl: undefined,
      databasePoolSize: 10,
      host: "0.0.0.0",
      httpPort: 8000,
      grpcPort: 50051,
      modelName: "ml_classifier",
      apiToken: undefined,
      logLevel: "info",
      workers: 1,
      maxBodyBytes: 8 * 1024 * 1024,
      maxMessageBytes: 4 * 1024 * 1024,
      maxImportBytes: 512 * 1024 * 1024,
      asyncRowThreshold: 256,
      workerSemiSpaceMiB: 4,
      scoringThreads: availableParallelism(),
      allowMissing: false,
      shutdownTimeoutS: 30,
      drainGraceS: 5,
      batching: {
        enabled: true,
        maxBatchSize: 64,
        maxDelayUs: 0,
        maxQueue: 4096,
        maxInFlight: 1,
        syncMaxRows: 8,
        syncMaxUs: 200,
      },
    });
  });

  it("reads the environment, and flags override it", () => {
    const env = {
      MLOPS_DATA_DIR: "/tmp/x",
      MLOPS_HTTP_PORT: "9000",
      MLOPS_API_TOKEN: "tok",
      MLOPS_BATCHING: "off",
      MLOPS_BATCH_MAX_SIZE: "16",
      MLOPS_ARTIFACT_URL: "s3://bucket/prefix",
    };
    const c = loadConfig({ httpPort: 9100, batching: { maxQueue: 10 } }, env);
    expect(c.artifactUrl).toBe("s3://bucket/prefix");
    expect(loadConfig({ artifactUrl: "file:///srv/a" }, env).artifactUrl).toBe("file:///srv/a");
    expect(loadConfig({}, {}).artifactUrl).toBeUndefined();
    expect(c.dataDir).toBe("/tmp/x");
    expect(c.httpPort).toBe(9100);
    expect(c.apiToken).toBe("tok");
    expect(c.batching).toMatchObject({ enabled: false, maxBatchSize: 16, maxQueue: 10 });
  });

  it("an empty token means no token; undefined flags do not erase env values", () => {
    const c = loadConfig({ grpcPort: undefined }, { MLOPS_API_TOKEN: "", MLOPS_GRPC_PORT: "6000" });
    expect(c.apiToken).toBeUndefined();
    expect(c.grpcPort).toBe(6000);
  });

  it("selects PostgreSQL by URL (flag over env) and never shows its password", () => {
    const env = { MLOPS_DATABASE_URL: "postgres://u:secret@db:5432/mlops", MLOPS_DATABASE_POOL_SIZE: "4" };
    const c = loadConfig({}, env);
    expect(storeOptionsOf(c)).toEqual({ dataDir: c.dataDir, url: env.MLOPS_DATABASE_URL, poolSize: 4 });
    expect(describeDatabase(c)).toBe("postgres://u:***@db:5432/mlops");
    expect(loadConfig({ databaseUrl: "postgresql://other/x" }, env).databaseUrl).toBe("postgresql://other/x");
    expect(describeDatabase(loadConfig({}, {}))).toMatch(/^sqlite:/);
    expect(storeOptionsOf(loadConfig({}, { MLOPS_DATABASE_URL: "" })).url).toBeUndefined();
    let message = "";
    try {
      loadConfig({}, { MLOPS_DATABASE_URL: "mysql://u:secret@h/db" });
    } catch (e) {
      message = String(e);
    }
    expect(message).not.toContain("secret");
  });

  it.each([
    ["MLOPS_HTTP_PORT", "http"],
    ["MLOPS_HTTP_PORT", "70000"],
    ["MLOPS_WORKERS", "0"],
    ["MLOPS_BATCHING", "maybe"],
    ["MLOPS_MAX_BODY_BYTES", "1.5"],
    ["MLOPS_DRAIN_GRACE_S", "-1"],
    ["MLOPS_DATABASE_URL", "mysql://h/db"],
    ["MLOPS_DATABASE_POOL_SIZE", "0"],
  ])("rejects %s=%s with ERR_CONFIG", (name, value) => {
    expect(() => loadConfig({}, { [name]: value })).toThrow(expect.objectContaining({ code: "ERR_CONFIG" }));
  });
});
