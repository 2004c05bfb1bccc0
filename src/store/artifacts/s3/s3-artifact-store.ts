// Artifacts in an S3-compatible bucket, for replicas that share one registry: objects named
// <prefix>/sha256/<first2>/<hex>, the layout of the local folder. PutObject replaces an object
// atomically, so a reader sees the old bytes or the new ones, never a mix; every get re-hashes.
import type { S3Client } from "@aws-sdk/client-s3";
import { notFound, StoreError } from "../../errors.js";
import type { ArtifactStore, StoredArtifact } from "../artifact-store.js";
import { checkBytes, relativeKey, SHA256_NAME, sha256Hex, verified } from "../digest.js";
import { isNotFound, toStoreError } from "./s3-errors.js";
import { resolveS3Options, type S3ArtifactStoreOptions } from "./s3-options.js";

/** The SDK, imported on first use: it is ~12 MB of every server process's memory otherwise. */
type Sdk = typeof import("@aws-sdk/client-s3");

export function createS3ArtifactStore(options: S3ArtifactStoreOptions): ArtifactStore {
  const o = resolveS3Options(options);
  const makeClient = (s3: Sdk) =>
    new s3.S3Client({
      region: o.region,
      endpoint: o.endpoint,
      forcePathStyle: o.forcePathStyle,
      // A copy: the SDK annotates the object it is given, which fails on a frozen one.
      credentials: o.credentials && { ...o.credentials },
      maxAttempts: o.maxAttempts,
      // Bounded waits: a store that does not answer is UNAVAILABLE, never a hang.
      requestHandler: { connectionTimeout: o.connectTimeoutMs, socketTimeout: o.idleTimeoutMs },
      // Only the checksums S3 requires: S3-compatible servers often reject the SDK's default CRC32
      // trailers, and our own SHA-256 check on read is the stronger one.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
  const base = o.prefix === "" ? "sha256/" : `${o.prefix}/sha256/`;
  const location = `s3://${o.bucket}/${base.slice(0, -1)}`;
  const keyOf = (sha: string) => `${base}${relativeKey(sha)}`;
  let closed = false;
  let made: S3Client | undefined;
  let ready: Promise<{ s3: Sdk; client: S3Client }> | undefined;
  const connect = () => {
    ready ??= import("@aws-sdk/client-s3").then((s3) => {
      made = makeClient(s3);
      return { s3, client: made };
    });
    return ready;
  };

  async function send<T>(what: string, fn: (s3: Sdk, client: S3Client) => Promise<T>): Promise<T> {
    if (closed) throw new StoreError("UNAVAILABLE", "the artifact store is closed");
    try {
      const { s3, client } = await connect();
      return await fn(s3, client);
    } catch (error) {
      throw toStoreError(error, `${location} (${what})`);
    }
  }

  /** HeadObject: true when present, false on 404. */
  async function exists(key: string): Promise<boolean> {
    return send("head", async (s3, client) => {
      try {
        await client.send(new s3.HeadObjectCommand({ Bucket: o.bucket, Key: key }));
        return true;
      } catch (error) {
        if (isNotFound(error)) return false;
        throw error;
      }
    });
  }

  return {
    kind: "s3",
    location,
    locationOf: (sha) => `s3://${o.bucket}/${keyOf(sha)}`,
    async put(bytes) {
      checkBytes(bytes);
      const sha = sha256Hex(bytes);
      const key = keyOf(sha);
      // Always written, even when present: that repairs a damaged object and renews LastModified,
      // which gc's grace period counts from. Same bytes under the same name, so it is idempotent.
      await send("put", (s3, client) =>
        client.send(
          new s3.PutObjectCommand({
            Bucket: o.bucket,
            Key: key,
            Body: bytes,
            ContentType: "application/octet-stream",
            // S3 checks it on arrival, so bytes damaged on the way are refused.
            ChecksumSHA256: Buffer.from(sha, "hex").toString("base64"),
          }),
        ),
      );
      return { sha256: sha, size: bytes.byteLength, location: `s3://${o.bucket}/${key}` };
    },
    async get(sha) {
      const key = keyOf(sha);
      const bytes = await send("get", async (s3, client) => {
        try {
          const out = await client.send(new s3.GetObjectCommand({ Bucket: o.bucket, Key: key }));
          if (!out.Body) throw new StoreError("UNAVAILABLE", `artifact store ${location}: empty response`);
          return await out.Body.transformToByteArray();
        } catch (error) {
          if (isNotFound(error) && (error as { name?: string }).name !== "NoSuchBucket") {
            throw notFound(`artifact ${sha}`);
          }
          throw error;
        }
      });
      return verified(sha, bytes);
    },
    async has(sha) {
      return exists(keyOf(sha));
    },
    async list() {
      const out: StoredArtifact[] = [];
      let token: string | undefined;
      do {
        const page = await send("list", (s3, client) =>
          client.send(
            new s3.ListObjectsV2Command({
              Bucket: o.bucket,
              Prefix: base,
              ContinuationToken: token,
              MaxKeys: o.listPageSize,
            }),
          ),
        );
        for (const obj of page.Contents ?? []) {
          const [shard, name, ...rest] = (obj.Key ?? "").slice(base.length).split("/");
          if (rest.length > 0 || !name || !SHA256_NAME.test(name) || name.slice(0, 2) !== shard) continue;
          out.push({ sha256: name, size: obj.Size ?? 0, mtimeMs: obj.LastModified?.getTime() ?? 0 });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return out.sort((a, b) => (a.sha256 < b.sha256 ? -1 : a.sha256 > b.sha256 ? 1 : 0));
    },
    async remove(sha) {
      const key = keyOf(sha);
      if (!(await exists(key))) return false;
      await send("delete", (s3, client) =>
        client.send(new s3.DeleteObjectCommand({ Bucket: o.bucket, Key: key })),
      );
      return true;
    },
    close() {
      if (closed) return;
      closed = true;
      made?.destroy();
    },
  };
}
