// The artifact store contract: content-addressed model files, shared by every backend. A file's
// name is its SHA-256, so writes are idempotent and every read can prove the bytes are the ones
// that were stored.

export interface ArtifactRef {
  sha256: string;
  size: number;
  /** Where the bytes live: an absolute file path (local) or `s3://bucket/key`. */
  location: string;
}

/** One stored artifact, as `list` finds it. */
export interface StoredArtifact {
  sha256: string;
  size: number;
  /** Last write, or last `put` of the same bytes: gc's grace period counts from here. */
  mtimeMs: number;
}

export interface ArtifactStore {
  /** `local` (a folder) or `s3` (an S3-compatible bucket). */
  readonly kind: "local" | "s3";
  /** The folder (`<dataDir>/artifacts/sha256`) or `s3://bucket/prefix` that holds the artifacts. */
  readonly location: string;
  /**
   * Stores the bytes (atomically, durably). Putting bytes that are already there counts as a fresh
   * write for gc's grace period, and replaces a damaged copy, which repairs it.
   */
  put(bytes: Uint8Array): Promise<ArtifactRef>;
  /** The stored bytes, re-hashed: NOT_FOUND when absent, DATA_LOSS when they no longer match. */
  get(sha256: string): Promise<Uint8Array>;
  /** Whether an artifact exists under that hash (no re-hash; `get` verifies). */
  has(sha256: string): Promise<boolean>;
  /** Where the artifact for `sha256` lives (whether or not it exists). */
  locationOf(sha256: string): string;
  /** Every stored artifact, by digest. Objects that are not named by a digest are left out. */
  list(): Promise<StoredArtifact[]>;
  /** Deletes the artifact; false when it was not there. Only gc calls this, for unreferenced digests. */
  remove(sha256: string): Promise<boolean>;
  /** Releases connections (S3); later calls are UNAVAILABLE. Idempotent. */
  close(): void;
}

/** The local folder store adds where its files are, for tools and tests that look at them. */
export interface LocalArtifactStore extends ArtifactStore {
  readonly kind: "local";
  /** `<dataDir>/artifacts/sha256`. */
  readonly root: string;
  put(bytes: Uint8Array): Promise<ArtifactRef & { path: string }>;
  /** Where the file for `sha256` lives (whether or not it exists). */
  pathFor(sha256: string): string;
}
