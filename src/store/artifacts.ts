// Content-addressed artifact files: <dataDir>/artifacts/sha256/<first2>/<hex>.
// A file's name is its hash, so writes are idempotent and every read can prove
// the bytes are the ones that were stored.
import { createHash, randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, stat, utimes } from "node:fs/promises";
import { join } from "node:path";
import { notFound, StoreError } from "./errors.js";
import { checkSha256 } from "./validation.js";

export interface ArtifactStoreOptions {
  /** The store's data directory; artifacts live in `<dataDir>/artifacts/`. Required. */
  dataDir: string;
}

export interface ArtifactRef {
  sha256: string;
  size: number;
  /** Absolute path of the stored file. */
  path: string;
}

/** One stored artifact file, as `list` finds it. */
export interface StoredArtifact {
  sha256: string;
  size: number;
  /** Last write, or last `put` of the same bytes: gc's grace period counts from here. */
  mtimeMs: number;
}

export interface ArtifactStore {
  /** `<dataDir>/artifacts/sha256`. */
  readonly root: string;
  /**
   * Stores the bytes (atomically, durably) unless an intact copy is already there, whose
   * modification time is then renewed (a fresh put counts as fresh for gc's grace period).
   */
  put(bytes: Uint8Array): Promise<ArtifactRef>;
  /** The stored bytes, re-hashed: NOT_FOUND when absent, DATA_LOSS when they no longer match. */
  get(sha256: string): Promise<Uint8Array>;
  /** Whether a file exists under that hash (no re-hash; `get` verifies). */
  has(sha256: string): Promise<boolean>;
  /** Where the file for `sha256` lives (whether or not it exists). */
  pathFor(sha256: string): string;
  /** Every stored artifact, by digest. Files that are not named by a digest are left out. */
  list(): Promise<StoredArtifact[]>;
  /** Deletes the file; false when it was not there. Only gc calls this, for unreferenced digests. */
  remove(sha256: string): Promise<boolean>;
}

const SHA256_NAME = /^[0-9a-f]{64}$/;
const SHARD_NAME = /^[0-9a-f]{2}$/;

const sha256Hex = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

const isNoEntry = (error: unknown): boolean => (error as NodeJS.ErrnoException)?.code === "ENOENT";

export function createArtifactStore(options: ArtifactStoreOptions): ArtifactStore {
  if (typeof options?.dataDir !== "string" || options.dataDir === "") {
    throw new StoreError("INVALID_ARGUMENT", "ArtifactStoreOptions.dataDir must be a non-empty path");
  }
  const root = join(options.dataDir, "artifacts", "sha256");
  const pathFor = (sha: string) => join(root, checkSha256(sha).slice(0, 2), sha);

  async function intact(path: string, sha: string): Promise<boolean> {
    try {
      return sha256Hex(await readFile(path)) === sha;
    } catch (error) {
      if (isNoEntry(error)) return false;
      throw error;
    }
  }

  async function writeAtomically(dir: string, path: string, bytes: Uint8Array): Promise<void> {
    await mkdir(dir, { recursive: true });
    // Same directory as the target, so the rename cannot cross file systems.
    const tmp = join(dir, `.tmp-${process.pid}-${randomBytes(6).toString("hex")}`);
    try {
      const file = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
      try {
        await file.writeFile(bytes);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(tmp, path);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
    // Persist the directory entry too, or a crash could forget the rename.
    const d = await open(dir, constants.O_RDONLY);
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  }

  return {
    root,
    pathFor,
    async put(bytes) {
      if (!(bytes instanceof Uint8Array))
        throw new StoreError("INVALID_ARGUMENT", "artifact bytes must be a Uint8Array");
      const sha = sha256Hex(bytes);
      const path = pathFor(sha);
      // An intact copy is kept; a damaged one is replaced, which repairs it.
      if (await intact(path, sha)) {
        const now = new Date();
        await utimes(path, now, now);
      } else {
        await writeAtomically(join(root, sha.slice(0, 2)), path, bytes);
      }
      return { sha256: sha, size: bytes.byteLength, path };
    },
    async get(sha) {
      const path = pathFor(sha);
      let bytes: Buffer;
      try {
        bytes = await readFile(path);
      } catch (error) {
        if (isNoEntry(error)) throw notFound(`artifact ${sha}`);
        throw error;
      }
      const actual = sha256Hex(bytes);
      if (actual !== sha) {
        throw new StoreError("DATA_LOSS", `artifact ${sha} is corrupt: its content hashes to ${actual}`);
      }
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    async list() {
      const out: StoredArtifact[] = [];
      let shards: string[];
      try {
        shards = (await readdir(root)).filter((d) => SHARD_NAME.test(d)).sort();
      } catch (error) {
        if (isNoEntry(error)) return out;
        throw error;
      }
      for (const shard of shards) {
        let names: string[];
        try {
          names = await readdir(join(root, shard));
        } catch (error) {
          if (isNoEntry(error)) continue;
          throw error;
        }
        for (const name of names.sort()) {
          if (!SHA256_NAME.test(name) || !name.startsWith(shard)) continue;
          try {
            const s = await stat(join(root, shard, name));
            if (s.isFile()) out.push({ sha256: name, size: s.size, mtimeMs: s.mtimeMs });
          } catch (error) {
            if (!isNoEntry(error)) throw error; // removed meanwhile: not listed
          }
        }
      }
      return out;
    },
    async remove(sha) {
      const path = pathFor(sha);
      try {
        await stat(path);
      } catch (error) {
        if (isNoEntry(error)) return false;
        throw error;
      }
      await rm(path, { force: true });
      return true;
    },
    async has(sha) {
      try {
        return (await stat(pathFor(sha))).isFile();
      } catch (error) {
        if (isNoEntry(error)) return false;
        throw error;
      }
    },
  };
}
