// The default artifact store: files under <dataDir>/artifacts/sha256/<first2>/<hex>, written
// atomically (temp file, fsync, rename, fsync of the directory).
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, stat, utimes } from "node:fs/promises";
import { join } from "node:path";
import { notFound, StoreError } from "../errors.js";
import type { LocalArtifactStore, StoredArtifact } from "./artifact-store.js";
import { checkBytes, relativeKey, SHA256_NAME, SHARD_NAME, sha256Hex, verified } from "./digest.js";

const isNoEntry = (error: unknown): boolean => (error as NodeJS.ErrnoException)?.code === "ENOENT";

/** `dataDir`: files in `<dataDir>/artifacts/sha256`; `artifactsDir`: in `<artifactsDir>/sha256`. */
export type LocalArtifactStoreOptions = { dataDir: string } | { artifactsDir: string };

export function createLocalArtifactStore(options: LocalArtifactStoreOptions): LocalArtifactStore {
  const [field, given] =
    options && "artifactsDir" in options
      ? ["artifactsDir", options.artifactsDir]
      : ["dataDir", options?.dataDir];
  if (typeof given !== "string" || given === "") {
    throw new StoreError("INVALID_ARGUMENT", `ArtifactStoreOptions.${field} must be a non-empty path`);
  }
  const root = field === "dataDir" ? join(given, "artifacts", "sha256") : join(given, "sha256");
  const pathFor = (sha: string) => join(root, ...relativeKey(sha).split("/"));
  let closed = false;
  const open_ = () => {
    if (closed) throw new StoreError("UNAVAILABLE", "the artifact store is closed");
  };

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
    kind: "local",
    location: root,
    root,
    pathFor,
    locationOf: pathFor,
    async put(bytes) {
      open_();
      checkBytes(bytes);
      const sha = sha256Hex(bytes);
      const path = pathFor(sha);
      // An intact copy is kept; a damaged one is replaced, which repairs it.
      if (await intact(path, sha)) {
        const now = new Date();
        await utimes(path, now, now);
      } else {
        await writeAtomically(join(root, sha.slice(0, 2)), path, bytes);
      }
      return { sha256: sha, size: bytes.byteLength, location: path, path };
    },
    async get(sha) {
      open_();
      const path = pathFor(sha);
      let bytes: Buffer;
      try {
        bytes = await readFile(path);
      } catch (error) {
        if (isNoEntry(error)) throw notFound(`artifact ${sha}`);
        throw error;
      }
      return verified(sha, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    },
    async list() {
      open_();
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
      open_();
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
      open_();
      try {
        return (await stat(pathFor(sha))).isFile();
      } catch (error) {
        if (isNoEntry(error)) return false;
        throw error;
      }
    },
    close() {
      closed = true;
    },
  };
}
