// The real `mlops` binary with --artifact-url / MLOPS_ARTIFACT_URL on a real s3rver: train, export,
// import and gc read and write the bucket, and a store that is not there fails with UNAVAILABLE.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createArtifactStore } from "../../src/store/index.js";
import { S3RVER_CREDENTIALS, startS3Server, type TestS3Server } from "../kit/s3-server.js";
import { assertBuilt, errorCode, json, mlops, tempDataDir } from "./helpers.js";

let s3: TestS3Server;
const cleanups: (() => Promise<void>)[] = [];
beforeAll(async () => {
  assertBuilt();
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.close();
});
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function dataDir(): Promise<string> {
  const { dir, cleanup } = await tempDataDir();
  cleanups.push(cleanup);
  return dir;
}

/** The bucket seen through mlops's own S3 store, for checks behind the CLI's back. */
function bucket(prefix: string) {
  const store = createArtifactStore({
    dataDir: "/nonexistent",
    url: s3.url(prefix),
    s3: { endpoint: s3.endpoint, credentials: S3RVER_CREDENTIALS },
  });
  cleanups.push(async () => store.close());
  return store;
}

describe("mlops with an S3 artifact store", () => {
  it("trains into the bucket, exports from it, imports into it, and gc removes from it", async () => {
    const dir = await dataDir();
    const url = s3.url("cli/a");
    const cli = (...args: string[]) => mlops(["--artifact-url", url, ...args], { dataDir: dir, env: s3.env });
    const store = bucket("cli/a");

    const trained = await cli("train", "--n-estimators", "5", "--promote", "production", "--json");
    expect(trained.code, trained.stderr).toBe(0);
    const t = json<{ version: number; artifact_sha256?: string; sha256?: string }>(trained);
    expect(t.version).toBe(1);
    const stored = (await store.list()).map((a) => a.sha256);
    expect(stored).toHaveLength(1);
    expect(existsSync(join(dir, "artifacts"))).toBe(false);

    const onnx = join(dir, "v1.onnx");
    const exported = await cli("models", "export", "ml_classifier", "1", "--output", onnx);
    expect(exported.code, exported.stderr).toBe(0);
    expect((await readFile(onnx)).byteLength).toBeGreaterThan(100);

    // The env variable works as well as the flag.
    const imported = await mlops(["models", "import", onnx, "--name", "reimported", "--json"], {
      dataDir: dir,
      env: { ...s3.env, MLOPS_ARTIFACT_URL: url },
    });
    expect(imported.code, imported.stderr).toBe(0);
    // The converted model and the original file, both in the bucket.
    expect((await store.list()).length).toBeGreaterThanOrEqual(2);

    const orphan = await store.put(new TextEncoder().encode("nobody uses me"));
    const gc = json<{ removed_artifacts: { sha256: string }[]; referenced_artifacts: number }>(
      await cli("gc", "--grace", "0", "--json"),
    );
    expect(gc.removed_artifacts.map((a) => a.sha256)).toEqual([orphan.sha256]);
    expect(await store.has(orphan.sha256)).toBe(false);
    for (const sha of stored) expect(await store.has(sha)).toBe(true);
  });

  it("fails with UNAVAILABLE when the store cannot be reached", async () => {
    const dir = await dataDir();
    const r = await mlops(["--artifact-url", s3.url("cli/b"), "train", "--n-estimators", "2"], {
      dataDir: dir,
      env: { ...s3.env, AWS_ENDPOINT_URL: "http://127.0.0.1:1" },
    });
    expect(r.code).toBe(1);
    expect(errorCode(r.stderr)).toBe("UNAVAILABLE");
  });

  it("rejects an artifact URL it does not understand with INVALID_ARGUMENT", async () => {
    const r = await mlops(["--artifact-url", "ftp://x/y", "models", "list"], { dataDir: await dataDir() });
    expect(errorCode(r.stderr)).toBe("INVALID_ARGUMENT");
  });
});
