// Public face of src/store: everything else in the house imports from here.
export type {
  ArtifactRef,
  ArtifactStore,
  LocalArtifactStore,
  StoredArtifact,
} from "./artifacts/artifact-store.js";
export { parseArtifactUrl } from "./artifacts/artifact-url.js";
export { type ArtifactStoreOptions, createArtifactStore } from "./artifacts/create-artifact-store.js";
export { createLocalArtifactStore } from "./artifacts/local-artifact-store.js";
export { createS3ArtifactStore } from "./artifacts/s3/s3-artifact-store.js";
export { resolveS3Options, S3_DEFAULTS, type S3ArtifactStoreOptions } from "./artifacts/s3/s3-options.js";
export { createStore } from "./create-store.js";
export { ensureRegisteredModel, getOrCreateExperiment } from "./ensure.js";
export { isStoreError, STORE_ERROR_CODES, StoreError, type StoreErrorCode } from "./errors.js";
export { ORIGIN_TAG } from "./kysely/lifecycle.js";
export {
  isPostgresUrl,
  type ResolvedStoreOptions,
  resolveStoreOptions,
  STORE_DEFAULTS,
  type StoreOptions,
} from "./options.js";
export { decodeToken, encodeToken } from "./page-token.js";
export { openSqliteStore } from "./sqlite/open-sqlite-store.js";
export type { Store } from "./store.js";
export * from "./types.js";
export { NAME_PATTERN, parseStage } from "./validation.js";
