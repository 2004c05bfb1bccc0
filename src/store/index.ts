// Public face of src/store: everything else in the house imports from here.
export {
  type ArtifactRef,
  type ArtifactStore,
  type ArtifactStoreOptions,
  createArtifactStore,
  type StoredArtifact,
} from "./artifacts.js";
export { createStore } from "./create-store.js";
export { ensureRegisteredModel, getOrCreateExperiment } from "./ensure.js";
export { isStoreError, STORE_ERROR_CODES, StoreError, type StoreErrorCode } from "./errors.js";
export { ORIGIN_TAG } from "./kysely/lifecycle.js";
export {
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
