// Naming and verification shared by every artifact backend: the SHA-256 is the name, and bytes are
// only handed out after they hash to it again.
import { createHash } from "node:crypto";
import { StoreError } from "../errors.js";
import { checkSha256 } from "../validation.js";

export const SHA256_NAME = /^[0-9a-f]{64}$/;
export const SHARD_NAME = /^[0-9a-f]{2}$/;

export const sha256Hex = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

/** `sha256/<first 2 hex>/<64 hex>`: the layout under a store's root, the same in a folder and a bucket. */
export const relativeKey = (sha: string): string => `${checkSha256(sha).slice(0, 2)}/${sha}`;

export function checkBytes(bytes: unknown): Uint8Array {
  if (!(bytes instanceof Uint8Array))
    throw new StoreError("INVALID_ARGUMENT", "artifact bytes must be a Uint8Array");
  return bytes;
}

/** The bytes when they hash to `sha`; DATA_LOSS otherwise. */
export function verified(sha: string, bytes: Uint8Array): Uint8Array {
  const actual = sha256Hex(bytes);
  if (actual !== sha) {
    throw new StoreError("DATA_LOSS", `artifact ${sha} is corrupt: its content hashes to ${actual}`);
  }
  return bytes;
}
