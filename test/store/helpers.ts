import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect } from "vitest";
import { createStore, type Store, type StoreErrorCode, type StoreOptions } from "../../src/store/index.js";
import { storeOptionsFor } from "../kit/database.js";

const dirs: string[] = [];
const stores: Store[] = [];

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A fresh directory, removed after the test. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "mlops-store-"));
  dirs.push(dir);
  return dir;
}

/**
 * A store on a fresh data dir (its own PostgreSQL database in a PostgreSQL run), closed after the
 * test.
 */
export async function openTempStore(options: Partial<StoreOptions> = {}): Promise<Store> {
  const dataDir = options.dataDir ?? (await tempDir());
  const store = await createStore(await storeOptionsFor({ ...options, dataDir }));
  stores.push(store);
  return store;
}

/** Asserts the promise rejects with a StoreError of that code, and returns it. */
export async function expectCode(promise: Promise<unknown>, code: StoreErrorCode): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected a StoreError ${code}`).toMatchObject({ name: "StoreError", code });
  return error as Error;
}

export const SHA_A = "a".repeat(64);
export const SHA_B = "b".repeat(64);
