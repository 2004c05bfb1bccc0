// The artifact store contract, run against every backend: the local folder and an S3-compatible
// bucket on a real server (s3rver). Each backend supplies only the raw access the tests need to
// damage or plant objects behind the store's back.
import { createHash } from "node:crypto";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ArtifactStore, createArtifactStore, isStoreError } from "../../src/store/index.js";
import { S3RVER_CREDENTIALS, startS3Server, type TestS3Server } from "../kit/s3-server.js";
import { expectCode, tempDir } from "./helpers.js";

const hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const bytesOf = (text: string) => new TextEncoder().encode(text);

interface Opened {
  store: ArtifactStore;
  /** Writes raw bytes at a path relative to the store's `sha256/` root. */
  plant(relative: string, bytes: Uint8Array): Promise<void>;
  /** Deletes the raw object for `sha`. */
  drop(sha: string): Promise<void>;
}

interface Backend {
  name: string;
  open(): Promise<Opened>;
}

let s3: TestS3Server;
let prefixes = 0;

beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.close();
});

const local: Backend = {
  name: "local folder",
  async open() {
    const store = createArtifactStore({ dataDir: await tempDir() });
    return {
      store,
      async plant(relative, bytes) {
        const path = join(store.root, relative);
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, bytes);
      },
      drop: (sha) => rm(store.pathFor(sha)),
    };
  },
};

const bucket: Backend = {
  name: "S3 (s3rver)",
  async open() {
    const prefix = `contract/t${++prefixes}`;
    const store = createArtifactStore({
      dataDir: await tempDir(),
      url: s3.url(prefix),
      s3: { endpoint: s3.endpoint, credentials: S3RVER_CREDENTIALS, region: "us-east-1" },
    });
    return {
      store,
      plant: (relative, bytes) => s3.putRaw(`${prefix}/sha256/${relative}`, bytes),
      drop: (sha) => s3.deleteRaw(`${prefix}/sha256/${sha.slice(0, 2)}/${sha}`),
    };
  },
};

describe.each([local, bucket])("artifact store contract: $name", (backend) => {
  it("stores content-addressed bytes and reads them back", async () => {
    const { store } = await backend.open();
    const bytes = bytesOf("a model, in bytes");
    const sha = hex(bytes);
    expect(await store.has(sha)).toBe(false);
    const ref = await store.put(bytes);
    expect(ref).toMatchObject({ sha256: sha, size: bytes.byteLength, location: store.locationOf(sha) });
    expect(ref.location.endsWith(`/sha256/${sha.slice(0, 2)}/${sha}`)).toBe(true);
    expect(await store.has(sha)).toBe(true);
    expect(await store.get(sha)).toEqual(bytes);
    const listed = await store.list();
    expect(listed).toEqual([{ sha256: sha, size: bytes.byteLength, mtimeMs: expect.any(Number) }]);
    // A sanity bound on the clock, not a timing goal: the stamp is "now", not 0 or the epoch.
    expect(Math.abs((listed[0]?.mtimeMs ?? 0) - Date.now())).toBeLessThan(60_000);
  });

  it("is idempotent: concurrent puts of the same bytes leave one artifact", async () => {
    const { store } = await backend.open();
    const bytes = new Uint8Array([1, 2, 3, 4]);
    const first = await store.put(bytes);
    const again = await Promise.all([store.put(bytes), store.put(new Uint8Array(bytes)), store.put(bytes)]);
    for (const ref of again) expect(ref).toEqual(first);
    expect((await store.list()).map((a) => a.sha256)).toEqual([first.sha256]);
    expect(await store.get(first.sha256)).toEqual(bytes);
  });

  it("refuses damaged bytes with DATA_LOSS, and a put repairs them", async () => {
    const { store, plant } = await backend.open();
    const bytes = new Uint8Array(256).map((_, i) => i);
    const { sha256 } = await store.put(bytes);
    const damaged = new Uint8Array(bytes);
    damaged[100]! ^= 0x01;
    await plant(`${sha256.slice(0, 2)}/${sha256}`, damaged);
    await expectCode(store.get(sha256), "DATA_LOSS");
    expect(await store.has(sha256)).toBe(true); // has() does not re-hash
    await store.put(bytes);
    expect(await store.get(sha256)).toEqual(bytes);
  });

  it("reports absent artifacts: NOT_FOUND on get, false on has and remove", async () => {
    const { store, drop } = await backend.open();
    const { sha256 } = await store.put(new Uint8Array([9]));
    await drop(sha256);
    await expectCode(store.get(sha256), "NOT_FOUND");
    expect(await store.has(sha256)).toBe(false);
    expect(await store.remove(sha256)).toBe(false);
  });

  it("rejects malformed digests and non-bytes with INVALID_ARGUMENT", async () => {
    const { store } = await backend.open();
    await expectCode(store.get("ABC"), "INVALID_ARGUMENT");
    await expectCode(store.has("../../etc/passwd"), "INVALID_ARGUMENT");
    await expectCode(store.remove(`${"a".repeat(63)}/`), "INVALID_ARGUMENT");
    await expectCode(store.put("text" as never), "INVALID_ARGUMENT");
    let error: unknown;
    try {
      store.locationOf("z".repeat(64));
    } catch (e) {
      error = e;
    }
    expect(isStoreError(error, "INVALID_ARGUMENT")).toBe(true);
  });

  it("stores an empty artifact", async () => {
    const { store } = await backend.open();
    const ref = await store.put(new Uint8Array(0));
    expect(ref.sha256).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(await store.get(ref.sha256)).toEqual(new Uint8Array(0));
  });

  it("lists every artifact by digest, sorted, and nothing that is not named by one", async () => {
    const { store, plant } = await backend.open();
    const refs = await Promise.all(["x", "yy", "zzz", "wwww"].map((t) => store.put(bytesOf(t))));
    const a = refs[0]!;
    await plant(`${a.sha256.slice(0, 2)}/.tmp-1-abc`, bytesOf("temp"));
    await plant(`zz/${"f".repeat(64)}`, bytesOf("bad shard"));
    await plant(`${a.sha256.slice(0, 2) === "00" ? "01" : "00"}/${a.sha256}`, bytesOf("wrong shard"));
    await plant(`${a.sha256.slice(0, 2)}/${a.sha256.toUpperCase()}`, bytesOf("upper case"));
    const listed = await store.list();
    const expected = refs
      .map((r) => ({ sha256: r.sha256, size: r.size }))
      .sort((x, y) => (x.sha256 < y.sha256 ? -1 : 1));
    expect(listed.map(({ sha256, size }) => ({ sha256, size }))).toEqual(expected);
  });

  it("removes an artifact once: true, then false", async () => {
    const { store } = await backend.open();
    const keep = await store.put(bytesOf("keep"));
    const gone = await store.put(bytesOf("gone"));
    expect(await store.remove(gone.sha256)).toBe(true);
    expect(await store.remove(gone.sha256)).toBe(false);
    await expectCode(store.get(gone.sha256), "NOT_FOUND");
    expect((await store.list()).map((x) => x.sha256)).toEqual([keep.sha256]);
  });

  it("renews the write time on a put of bytes already there (gc's grace period counts from it)", async () => {
    const { store } = await backend.open();
    const ref = await store.put(bytesOf("renewed"));
    const [before] = await store.list();
    // S3 stamps LastModified in whole seconds.
    await new Promise((r) => setTimeout(r, 1100));
    await store.put(bytesOf("renewed"));
    const [after] = await store.list();
    expect(after?.sha256).toBe(ref.sha256);
    expect(after?.mtimeMs).toBeGreaterThan(before?.mtimeMs ?? Number.POSITIVE_INFINITY);
  });

  it("is UNAVAILABLE once closed; close is idempotent", async () => {
    const { store } = await backend.open();
    const { sha256 } = await store.put(bytesOf("x"));
    store.close();
    store.close();
    await expectCode(store.get(sha256), "UNAVAILABLE");
    await expectCode(store.put(bytesOf("y")), "UNAVAILABLE");
    await expectCode(store.has(sha256), "UNAVAILABLE");
    await expectCode(store.list(), "UNAVAILABLE");
    await expectCode(store.remove(sha256), "UNAVAILABLE");
  });
});

describe("local folder store", () => {
  it("keeps files under <dataDir>/artifacts/sha256/<first 2 hex>/<digest>, no temp files left", async () => {
    const dataDir = await tempDir();
    const store = createArtifactStore({ dataDir });
    const ref = await store.put(bytesOf("a file"));
    expect(store.kind).toBe("local");
    expect(store.root).toBe(join(dataDir, "artifacts", "sha256"));
    expect(store.location).toBe(store.root);
    expect(ref.path).toBe(join(store.root, ref.sha256.slice(0, 2), ref.sha256));
    expect(ref.location).toBe(ref.path);
    expect(store.pathFor(ref.sha256)).toBe(ref.path);
    expect(await readdir(dirname(ref.path))).toEqual([ref.sha256]);
  });

  it("takes a folder of its own from a file:// URL", async () => {
    const dir = await tempDir();
    const store = createArtifactStore({ dataDir: await tempDir(), url: `file://${dir}/shared` });
    const ref = await store.put(bytesOf("shared"));
    expect(store.kind).toBe("local");
    expect(ref.location).toBe(join(dir, "shared", "sha256", ref.sha256.slice(0, 2), ref.sha256));
  });
});
