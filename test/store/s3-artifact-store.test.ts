// What only the S3 backend has: its key layout, paging, configuration from the AWS environment
// variables, and bounded failure when the server is refused, silent, or misconfigured.
import { createServer, type Server, type Socket } from "node:net";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createArtifactStore,
  createS3ArtifactStore,
  parseArtifactUrl,
  resolveS3Options,
  S3_DEFAULTS,
  type S3ArtifactStoreOptions,
} from "../../src/store/index.js";
import { S3RVER_CREDENTIALS, startS3Server, type TestS3Server } from "../kit/s3-server.js";
import { expectCode, tempDir } from "./helpers.js";

const bytesOf = (text: string) => new TextEncoder().encode(text);

let s3: TestS3Server;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.close();
});

const on = (endpoint: string, extra: Partial<S3ArtifactStoreOptions> = {}) =>
  createS3ArtifactStore({ bucket: s3.bucket, endpoint, credentials: S3RVER_CREDENTIALS, ...extra });

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe("S3 artifact store", () => {
  it("names objects <prefix>/sha256/<first 2 hex>/<digest> in the bucket", async () => {
    const store = on(s3.endpoint, { prefix: "team-a/models" });
    const ref = await store.put(bytesOf("layout"));
    const key = `team-a/models/sha256/${ref.sha256.slice(0, 2)}/${ref.sha256}`;
    expect(store.kind).toBe("s3");
    expect(store.location).toBe(`s3://${s3.bucket}/team-a/models/sha256`);
    expect(ref.location).toBe(`s3://${s3.bucket}/${key}`);
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: "team-a/" }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([key]);

    const bare = on(s3.endpoint);
    expect(bare.locationOf(ref.sha256)).toBe(
      `s3://${s3.bucket}/sha256/${ref.sha256.slice(0, 2)}/${ref.sha256}`,
    );
    store.close();
    bare.close();
  });

  it("lists past one page", async () => {
    const store = on(s3.endpoint, { prefix: "paged", listPageSize: 2 });
    const refs = await Promise.all(["1", "2", "3", "4", "5"].map((t) => store.put(bytesOf(t))));
    expect((await store.list()).map((a) => a.sha256)).toEqual(refs.map((r) => r.sha256).sort());
    store.close();
  });

  it("is UNAVAILABLE, not hanging, when nothing listens on the endpoint", async () => {
    const store = on(`http://127.0.0.1:${await closedPort()}`);
    const sha = "a".repeat(64);
    await expectCode(store.get(sha), "UNAVAILABLE");
    await expectCode(store.put(bytesOf("x")), "UNAVAILABLE");
    await expectCode(store.has(sha), "UNAVAILABLE");
    await expectCode(store.list(), "UNAVAILABLE");
    await expectCode(store.remove(sha), "UNAVAILABLE");
    store.close();
  }, 20_000);

  it("is UNAVAILABLE when the server accepts connections and never answers", async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const { port } = silent.address() as { port: number };
    try {
      const store = on(`http://127.0.0.1:${port}`, { idleTimeoutMs: 300, connectTimeoutMs: 300 });
      await expectCode(store.get("b".repeat(64)), "UNAVAILABLE");
      await expectCode(store.put(bytesOf("y")), "UNAVAILABLE");
      store.close();
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  }, 20_000);

  it("recovers by itself when the server comes back", async () => {
    const store = on(s3.endpoint, { prefix: "outage" });
    const ref = await store.put(bytesOf("survives"));
    await s3.stop();
    try {
      await expectCode(store.get(ref.sha256), "UNAVAILABLE");
    } finally {
      await s3.start();
    }
    expect(await store.get(ref.sha256)).toEqual(bytesOf("survives"));
    store.close();
  }, 20_000);

  it("is FAILED_PRECONDITION for a missing bucket or refused credentials", async () => {
    const noBucket = createS3ArtifactStore({
      bucket: "no-such-bucket",
      endpoint: s3.endpoint,
      credentials: S3RVER_CREDENTIALS,
    });
    await expectCode(noBucket.get("c".repeat(64)), "FAILED_PRECONDITION");
    await expectCode(noBucket.put(bytesOf("z")), "FAILED_PRECONDITION");
    // s3rver checks the access key id (not SigV4 signatures, which AWS also checks).
    const wrongKey = on(s3.endpoint, {
      credentials: { accessKeyId: "NOT-A-KEY", secretAccessKey: "S3RVER" },
    });
    await expectCode(wrongKey.put(bytesOf("z")), "FAILED_PRECONDITION");
    noBucket.close();
    wrongKey.close();
  });
});

describe("S3 options", () => {
  it("reads endpoint and region from the AWS environment variables, with documented defaults", () => {
    expect(resolveS3Options({ bucket: "b", env: {} })).toEqual({
      bucket: "b",
      prefix: "",
      endpoint: undefined,
      region: "us-east-1",
      forcePathStyle: false,
      credentials: undefined,
      connectTimeoutMs: 2000,
      idleTimeoutMs: 10_000,
      maxAttempts: 2,
      listPageSize: 1000,
    });
    expect(S3_DEFAULTS).toEqual({
      region: "us-east-1",
      connectTimeoutMs: 2000,
      idleTimeoutMs: 10_000,
      maxAttempts: 2,
      listPageSize: 1000,
    });
    const env = { AWS_ENDPOINT_URL: "http://general:9000", AWS_DEFAULT_REGION: "eu-west-3" };
    expect(resolveS3Options({ bucket: "b", env })).toMatchObject({
      endpoint: "http://general:9000",
      region: "eu-west-3",
      forcePathStyle: true,
    });
    const specific = { ...env, AWS_ENDPOINT_URL_S3: "http://s3-only:9000", AWS_REGION: "eu-central-1" };
    expect(resolveS3Options({ bucket: "b", env: specific })).toMatchObject({
      endpoint: "http://s3-only:9000",
      region: "eu-central-1",
    });
    expect(resolveS3Options({ bucket: "b", env, forcePathStyle: false, prefix: "/p/q/" })).toMatchObject({
      forcePathStyle: false,
      prefix: "p/q",
    });
  });

  it("rejects timeouts and attempts below 1", () => {
    for (const key of ["connectTimeoutMs", "idleTimeoutMs", "maxAttempts", "listPageSize"] as const) {
      expect(() => resolveS3Options({ bucket: "b", env: {}, [key]: 0 })).toThrow(
        expect.objectContaining({ code: "INVALID_ARGUMENT" }),
      );
    }
  });
});

describe("artifact URLs", () => {
  it("parses s3:// and file:// URLs", () => {
    expect(parseArtifactUrl("s3://my-bucket")).toEqual({ kind: "s3", bucket: "my-bucket", prefix: "" });
    expect(parseArtifactUrl("s3://my.bucket/a/b/")).toEqual({
      kind: "s3",
      bucket: "my.bucket",
      prefix: "a/b",
    });
    expect(parseArtifactUrl("file:///srv/artifacts")).toEqual({ kind: "local", dir: "/srv/artifacts" });
  });

  it("rejects other schemes, invalid buckets and dot segments", () => {
    for (const url of [
      "http://x/y",
      "s3://UPPER/x",
      "s3://b/x",
      "s3://bucket/a/../b",
      "s3://bucket/x?y=1",
      "nope",
    ]) {
      expect(() => parseArtifactUrl(url), url).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    }
  });

  it("selects the backend from the URL", async () => {
    const dataDir = await tempDir();
    expect(createArtifactStore({ dataDir }).kind).toBe("local");
    expect(createArtifactStore({ dataDir, url: "" }).kind).toBe("local");
    const store = createArtifactStore({ dataDir, url: "s3://bucket/prefix", s3: { env: {} } });
    expect(store.kind).toBe("s3");
    expect(store.location).toBe("s3://bucket/prefix/sha256");
    store.close();
  });
});
