// The registry health watch against a real SQLite store: quiet while the store answers, one change
// when it stops answering, nothing after stop().
import { describe, expect, it } from "vitest";
import { watchRegistryHealth } from "../../src/app/registry-health.js";
import { openSqliteStore } from "../../src/store/index.js";
import { tempDir } from "../store/helpers.js";

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("watchRegistryHealth", () => {
  it("reports a change only when the store stops answering", async () => {
    const store = await openSqliteStore({ dataDir: await tempDir() });
    const changes: boolean[] = [];
    const stop = watchRegistryHealth({ store, intervalMs: 20, onChange: (r) => changes.push(r) });
    await wait(120);
    expect(changes).toEqual([]);
    await store.close();
    await wait(120);
    expect(changes).toEqual([false]);
    stop();
    await wait(60);
    expect(changes).toEqual([false]);
  });

  it("does nothing with intervalMs 0", async () => {
    const store = await openSqliteStore({ dataDir: await tempDir() });
    await store.close();
    const changes: boolean[] = [];
    const stop = watchRegistryHealth({ store, intervalMs: 0, onChange: (r) => changes.push(r) });
    await wait(60);
    expect(changes).toEqual([]);
    stop();
  });
});
