// How the S3 store finds its endpoint, region and credentials, and how long it waits.
import { invalid } from "../../errors.js";

export interface S3ArtifactStoreOptions {
  bucket: string;
  /** Key prefix, without leading or trailing "/". Default "". */
  prefix?: string;
  /**
   * An S3-compatible endpoint (MinIO, Ceph, s3rver…). Default env AWS_ENDPOINT_URL_S3, then
   * AWS_ENDPOINT_URL; neither means AWS itself.
   */
  endpoint?: string;
  /** Default env AWS_REGION, then AWS_DEFAULT_REGION, then `us-east-1`. */
  region?: string;
  /** Path-style URLs (`endpoint/bucket/key`). Default true with a custom endpoint, false on AWS. */
  forcePathStyle?: boolean;
  /** Default: the SDK's chain (env AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profile, web identity, IMDS). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Time allowed to open a connection, per attempt, in ms. Default 2000. */
  connectTimeoutMs?: number;
  /** Time a connection may sit without traffic (a stalled server), per attempt, in ms. Default 10 000. */
  idleTimeoutMs?: number;
  /** Attempts per operation, first try included (the SDK's standard retry with backoff). Default 2. */
  maxAttempts?: number;
  /** Keys per ListObjectsV2 page (gc lists everything). Default 1000, S3's maximum. */
  listPageSize?: number;
  /** Where the defaults above are read from. Default process.env. */
  env?: NodeJS.ProcessEnv;
}

export const S3_DEFAULTS = Object.freeze({
  region: "us-east-1",
  connectTimeoutMs: 2000,
  idleTimeoutMs: 10_000,
  maxAttempts: 2,
  listPageSize: 1000,
});

export interface ResolvedS3Options {
  bucket: string;
  prefix: string;
  endpoint: string | undefined;
  region: string;
  forcePathStyle: boolean;
  credentials: S3ArtifactStoreOptions["credentials"];
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  maxAttempts: number;
  listPageSize: number;
}

export function resolveS3Options(options: S3ArtifactStoreOptions): ResolvedS3Options {
  const env = options.env ?? process.env;
  const endpoint = options.endpoint || env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  const resolved: ResolvedS3Options = {
    bucket: options.bucket,
    prefix: (options.prefix ?? "").replace(/^\/+|\/+$/g, ""),
    endpoint,
    region: options.region || env.AWS_REGION || env.AWS_DEFAULT_REGION || S3_DEFAULTS.region,
    forcePathStyle: options.forcePathStyle ?? endpoint !== undefined,
    credentials: options.credentials,
    connectTimeoutMs: options.connectTimeoutMs ?? S3_DEFAULTS.connectTimeoutMs,
    idleTimeoutMs: options.idleTimeoutMs ?? S3_DEFAULTS.idleTimeoutMs,
    maxAttempts: options.maxAttempts ?? S3_DEFAULTS.maxAttempts,
    listPageSize: options.listPageSize ?? S3_DEFAULTS.listPageSize,
  };
  for (const key of ["connectTimeoutMs", "idleTimeoutMs", "maxAttempts", "listPageSize"] as const) {
    const v = resolved[key];
    if (!Number.isSafeInteger(v) || v < 1)
      throw invalid(`S3ArtifactStoreOptions.${key} must be an integer >= 1`);
  }
  return resolved;
}
