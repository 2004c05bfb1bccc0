import { StoreError } from "../errors.js";
import type { ArtifactStore, LocalArtifactStore } from "./artifact-store.js";
import { parseArtifactUrl } from "./artifact-url.js";
import { createLocalArtifactStore } from "./local-artifact-store.js";
import { createS3ArtifactStore } from "./s3/s3-artifact-store.js";
import type { S3ArtifactStoreOptions } from "./s3/s3-options.js";

export interface ArtifactStoreOptions {
  /** The data directory; without `url`, artifacts live in `<dataDir>/artifacts/`. Required. */
  dataDir: string;
  /**
   * Where artifacts live instead (env MLOPS_ARTIFACT_URL): `s3://bucket/prefix` for an
   * S3-compatible bucket that replicas share, or `file:///dir` for a folder (`<dir>/sha256/…`).
   * Default: none, the data directory.
   */
  url?: string;
  /** Endpoint, credentials and timeouts of the S3 store (defaults from the AWS environment variables). */
  s3?: Omit<S3ArtifactStoreOptions, "bucket" | "prefix">;
}

/** The one way the rest of the house gets an ArtifactStore: the data directory unless `url` says otherwise. */
export function createArtifactStore(options: ArtifactStoreOptions & { url?: undefined }): LocalArtifactStore;
export function createArtifactStore(options: ArtifactStoreOptions): ArtifactStore;
export function createArtifactStore(options: ArtifactStoreOptions): ArtifactStore {
  if (typeof options?.dataDir !== "string" || options.dataDir === "") {
    throw new StoreError("INVALID_ARGUMENT", "ArtifactStoreOptions.dataDir must be a non-empty path");
  }
  if (options.url === undefined || options.url === "")
    return createLocalArtifactStore({ dataDir: options.dataDir });
  const where = parseArtifactUrl(options.url);
  if (where.kind === "s3")
    return createS3ArtifactStore({ ...options.s3, bucket: where.bucket, prefix: where.prefix });
  return createLocalArtifactStore({ artifactsDir: where.dir });
}
