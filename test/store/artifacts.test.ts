import { createHash } from "node:crypto";
import { readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { createArtifactStore, isStoreError } from "../../src/store/index.js";
import { expectCode, tempDir } from "./helpers.js";

const hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe("artifact store", () => {
  it("stores content-addressed files and reads them back", async () => {
    const dataDir = await tempDir();
    const artifacts = createArtifactStore({ dataDir });
    const bytes = new TextEncoder().encode("a model, in bytes");
    const sha = hex(bytes);
    expect(await artifacts.has(sha)).toBe(false);

    const ref = await artifacts.put(bytes);
    expect(ref).toEqual({
      sha256: sha,
      size: bytes.byteLength,
      path: join(dataDir, "artifacts", "sha256", sha.slice(0, 2), sha),
    });
    expect(artifacts.pathFor(sha)).toBe(ref.path);
    expect(artifacts.root).toBe(join(dataDir, "artifacts", "sha256"));
    expect(new Uint8Array(await readFile(ref.path))).toEqual(bytes);
    expect(await artifacts.has(sha)).toBe(true);
    expect(await artifacts.get(sha)).toEqual(bytes);
    // No temp files are left behind.
    expect(await readdir(dirname(ref.path))).toEqual([sha]);
  });

  it("is idempotent: a second put keeps the intact file", async () => {
    const artifacts = createArtifactStore({ dataDir: await tempDir() });
    const bytes = new Uint8Array([1, 2, 3, 4]);
    const first = await artifacts.put(bytes);
    const before = await stat(first.path);
    const [a, b] = await Promise.all([artifacts.put(bytes), artifacts.put(new Uint8Array(bytes))]);
    expect(a).toEqual(first);
    expect(b).toEqual(first);
    expect((await stat(first.path)).ino).toBe(before.ino);
    expect(await readdir(dirname(first.path))).toEqual([first.sha256]);
  });

  it("detects corruption with DATA_LOSS, and put repairs it", async () => {
    const artifacts = createArtifactStore({ dataDir: await tempDir() });
    const bytes = new Uint8Array(256).map((_, i) => i);
    const { sha256, path } = await artifacts.put(bytes);
    const damaged = new Uint8Array(await readFile(path));
    damaged[100]! ^= 0x01;
    await writeFile(path, damaged);
    await expectCode(artifacts.get(sha256), "DATA_LOSS");
    expect(await artifacts.has(sha256)).toBe(true); // has() does not re-hash

    await artifacts.put(bytes);
    expect(await artifacts.get(sha256)).toEqual(bytes);
  });

  it("reports absent and malformed hashes by code", async () => {
    const artifacts = createArtifactStore({ dataDir: await tempDir() });
    const { sha256, path } = await artifacts.put(new Uint8Array([9]));
    await rm(path);
    await expectCode(artifacts.get(sha256), "NOT_FOUND");
    await expectCode(artifacts.get("ABC"), "INVALID_ARGUMENT");
    await expectCode(artifacts.has("../../etc/passwd"), "INVALID_ARGUMENT");
    await expectCode(artifacts.put("text" as never), "INVALID_ARGUMENT");
    let error: unknown;
    try {
      artifacts.pathFor("z".repeat(64));
    } catch (e) {
      error = e;
    }
    expect(isStoreError(error, "INVALID_ARGUMENT")).toBe(true);
  });

  it("handles an empty artifact", async () => {
    const artifacts = createArtifactStore({ dataDir: await tempDir() });
    const ref = await artifacts.put(new Uint8Array(0));
    expect(ref.sha256).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(await artifacts.get(ref.sha256)).toEqual(new Uint8Array(0));
  });
});
