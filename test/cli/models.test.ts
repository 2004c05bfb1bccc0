// `mlops models …` and `mlops runs …` against a registry seeded in-process, through the real binary.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createArtifactStore, createStore } from "../../src/store/index.js";
import { storeOptionsFor } from "../kit/database.js";
import { assertBuilt, type CliResult, errorCode, json, mlops, tempDataDir } from "./helpers.js";

let dataDir: string;
let cleanup: () => Promise<void>;
const runIds: string[] = [];

const cli = (...args: string[]): Promise<CliResult> => mlops(args, { dataDir });

beforeAll(async () => {
  assertBuilt();
  ({ dir: dataDir, cleanup } = await tempDataDir());
  const store = await createStore(await storeOptionsFor({ dataDir }));
  const artifacts = createArtifactStore({ dataDir });
  try {
    const experiment = await store.createExperiment({ name: "cli-test" });
    for (const [i, accuracy] of [0.81, 0.93].entries()) {
      const run = await store.createRun({ experimentId: experiment.id, name: `seeded-${i + 1}` });
      await store.logParams(run.id, { model: "gbdt", n_estimators: String(10 * (i + 1)) });
      await store.logMetrics(run.id, [
        { key: "accuracy", value: accuracy },
        { key: "roc_auc", value: accuracy + 0.05 },
      ]);
      await store.setRunTag(run.id, "mlops.source", "cli");
      const { sha256 } = await artifacts.put(new TextEncoder().encode(`model bytes ${i}`));
      await store.updateRun(run.id, { status: "FINISHED", artifactSha256: sha256 });
      if (i === 0) await store.createRegisteredModel({ name: "ml_classifier", description: "seeded" });
      await store.createModelVersion({ name: "ml_classifier", artifactSha256: sha256, runId: run.id });
      runIds.push(run.id);
    }
    const failed = await store.createRun({ experimentId: experiment.id, name: "broken" });
    await store.updateRun(failed.id, { status: "FAILED" });
    runIds.push(failed.id);
  } finally {
    await store.close();
  }
});

afterAll(async () => {
  await cleanup?.();
});

interface VersionJson {
  version: string;
  stage?: string;
  aliases?: string[];
  run_id?: string;
  metrics?: Record<string, number>;
}

describe("mlops models", () => {
  it("lists registered models: JSON with their latest versions, or an aligned table", async () => {
    const [r, text] = await Promise.all([cli("models", "list", "--json"), cli("models", "list")]);
    expect(r.code, r.stderr).toBe(0);
    const body = json<{ registered_models: { name: string; latest_versions: VersionJson[] }[] }>(r);
    expect(body.registered_models.map((m) => m.name)).toEqual(["ml_classifier"]);
    const latest = body.registered_models[0]!.latest_versions;
    expect(latest.map((v) => [v.version, v.stage])).toEqual([["2", "STAGE_NONE"]]);
    expect(latest[0]!.metrics?.accuracy).toBeCloseTo(0.93);

    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    const [header, row] = lines as [string, string];
    expect(header).toMatch(/^NAME\s+LATEST\s+PRODUCTION\s+STAGING\s+ALIASES\s+UPDATED$/);
    expect(row.split(/\s{2,}/).slice(0, 4)).toEqual(["ml_classifier", "v2", "-", "-"]);
    expect(row.indexOf("v2")).toBe(header.indexOf("LATEST"));
  });

  it("describes a model: every version with its run's metrics", async () => {
    const [r, text, one] = await Promise.all([
      cli("models", "describe", "ml_classifier", "--json"),
      cli("models", "describe", "ml_classifier"),
      cli("models", "describe", "ml_classifier", "--version", "1", "--json"),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const body = json<{
      registered_model: { name: string; description: string };
      model_versions: VersionJson[];
    }>(r);
    expect(body.registered_model).toMatchObject({ name: "ml_classifier", description: "seeded" });
    expect(body.model_versions.map((v) => [v.version, v.run_id])).toEqual([
      ["1", runIds[0]],
      ["2", runIds[1]!],
    ]);
    expect(body.model_versions[0]!.metrics).toEqual({ accuracy: 0.81, roc_auc: expect.closeTo(0.86, 9) });

    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^name:\s+ml_classifier$/m);
    expect(text.stdout).toMatch(/^VERSION\s+STAGE\s+ALIASES\s+ACCURACY\s+ROC_AUC\s+RUN\s+SHA256\s+CREATED$/m);
    expect(text.stdout).toMatch(
      new RegExp(`^\\s*1\\s+None\\s+-\\s+0\\.8100\\s+0\\.8600\\s+${runIds[0]}\\s`, "m"),
    );
    // --version: that version alone.
    expect(one.code, one.stderr).toBe(0);
    const single = json<{ model_version: VersionJson }>(one);
    expect(single.model_version).toMatchObject({ version: "1", run_id: runIds[0], stage: "STAGE_NONE" });
    expect(single.model_version.metrics?.accuracy).toBe(0.81);
  });

  it("promotes: Production archives the previous one by default, other stages only when asked", async () => {
    let r = await cli("models", "promote", "ml_classifier", "1", "production", "--json");
    expect(r.code, r.stderr).toBe(0);
    expect(json<{ model_version: VersionJson }>(r).model_version.stage).toBe("STAGE_PRODUCTION");

    r = await cli("models", "promote", "ml_classifier", "v2", "Production", "--comment", "better auc");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe("ml_classifier v2 → Production (archived v1)");

    // Already there: the registry refuses rather than writing a no-op audit event.
    r = await cli("models", "promote", "ml_classifier", "2", "PRODUCTION");
    expect(r.code).toBe(1);
    expect(errorCode(r.stderr)).toBe("FAILED_PRECONDITION");

    r = await cli("models", "promote", "ml_classifier", "1", "staging", "--json");
    expect(json<{ archived_versions?: unknown[] }>(r).archived_versions ?? []).toEqual([]);
    r = await cli("models", "promote", "ml_classifier", "1", "production", "--no-archive-existing", "--json");
    expect(r.code, r.stderr).toBe(0);
    expect(json<{ archived_versions?: unknown[] }>(r).archived_versions ?? []).toEqual([]);

    const d = json<{ model_versions: VersionJson[] }>(
      await cli("models", "describe", "ml_classifier", "--json"),
    );
    expect(d.model_versions.map((v) => v.stage)).toEqual(["STAGE_PRODUCTION", "STAGE_PRODUCTION"]);
  });

  it("sets and deletes aliases, and the history shows every change with the CLI actor", async () => {
    let r = await cli("models", "alias", "ml_classifier", "champion", "2");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe("ml_classifier@champion → v2");
    r = await cli("models", "alias", "ml_classifier", "champion", "1", "--json");
    expect(json<{ model_version: VersionJson }>(r).model_version.aliases).toEqual(["champion"]);

    const listed = json<{ registered_models: { aliases: Record<string, string> }[] }>(
      await cli("models", "list", "--json"),
    );
    expect(listed.registered_models[0]!.aliases).toEqual({ champion: "1" });

    r = await cli("models", "alias", "ml_classifier", "champion", "--delete");
    expect(r.code, r.stderr).toBe(0);
    r = await cli("models", "alias", "ml_classifier", "champion", "--delete");
    expect(errorCode(r.stderr)).toBe("NOT_FOUND");
    const [neither, history, newest] = await Promise.all([
      cli("models", "alias", "ml_classifier", "champion"),
      cli("models", "history", "ml_classifier", "--json"),
      cli("models", "history", "ml_classifier", "--limit", "1"),
    ]);
    // Neither a version nor --delete: a usage error.
    expect(neither.code).toBe(2);

    r = history;
    expect(r.code, r.stderr).toBe(0);
    const events = json<{ events: Record<string, string>[] }>(r).events;
    expect(events.map((e) => e.type)).toEqual([
      "AUDIT_EVENT_TYPE_STAGE_TRANSITION", // v1 → Production
      "AUDIT_EVENT_TYPE_STAGE_TRANSITION", // v1 → Archived (archive_existing)
      "AUDIT_EVENT_TYPE_STAGE_TRANSITION", // v2 → Production
      "AUDIT_EVENT_TYPE_STAGE_TRANSITION", // v1 → Staging
      "AUDIT_EVENT_TYPE_STAGE_TRANSITION", // v1 → Production
      "AUDIT_EVENT_TYPE_ALIAS_SET",
      "AUDIT_EVENT_TYPE_ALIAS_SET",
      "AUDIT_EVENT_TYPE_ALIAS_DELETED",
    ]);
    for (const e of events) expect(e.actor).toMatch(/^cli:./);
    expect(events.find((e) => e.comment)?.comment).toBe("better auc");

    const lines = newest.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/v1\s+alias deleted\s+@champion: v1 → -\s+cli:/);
  });

  it("fails with NOT_FOUND for an unknown model and exits 2 on a bad stage or version", async () => {
    const notFound = [
      ["models", "describe", "nope"],
      ["models", "history", "nope"],
      ["models", "promote", "nope", "1", "Production"],
      ["models", "describe", "ml_classifier", "--version", "9"],
    ];
    const usage = [
      ["models", "promote", "ml_classifier", "1", "Live"],
      ["models", "promote", "ml_classifier", "one", "Production"],
    ];
    const results = await Promise.all([...notFound, ...usage].map((args) => cli(...args)));
    results.slice(0, notFound.length).forEach((r, i) => {
      expect(r.code, notFound[i]!.join(" ")).toBe(1);
      expect(errorCode(r.stderr), r.stderr).toBe("NOT_FOUND");
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    });
    results.slice(notFound.length).forEach((r, i) => {
      expect(r.code, usage[i]!.join(" ")).toBe(2);
      expect(r.stderr).toMatch(/^error: /m); // commander's usage error: exit 2 is the contract
    });
  });
});

interface RunJson {
  run_id: string;
  run_name: string;
  status: string;
  params?: Record<string, string>;
  metrics?: { key: string; value: number }[];
  tags?: Record<string, string>;
}

describe("mlops runs", () => {
  it("lists runs newest first, filtered by experiment and status", async () => {
    const [byExperiment, failed, limited, missing, badStatus] = await Promise.all([
      cli("runs", "list", "--experiment", "cli-test", "--json"),
      cli("runs", "list", "--status", "failed", "--json"),
      cli("runs", "list", "--limit", "1"),
      cli("runs", "list", "--experiment", "missing"),
      cli("runs", "list", "--status", "done"),
    ]);
    expect(byExperiment.code, byExperiment.stderr).toBe(0);
    expect(json<{ runs: RunJson[] }>(byExperiment).runs.map((x) => x.run_id)).toEqual([...runIds].reverse());
    expect(json<{ runs: RunJson[] }>(failed).runs.map((x) => [x.run_name, x.status])).toEqual([
      ["broken", "RUN_STATUS_FAILED"],
    ]);

    expect(limited.code, limited.stderr).toBe(0);
    const lines = limited.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^RUN ID\s+NAME\s+EXPERIMENT\s+STATUS\s+STARTED\s+DURATION/);
    expect(lines[1]).toMatch(new RegExp(`^${runIds[2]}\\s+broken\\s+cli-test\\s+FAILED\\s`));
    expect(lines.at(-1)).toMatch(/--limit/);

    expect(errorCode(missing.stderr)).toBe("NOT_FOUND");
    expect(badStatus.code).toBe(2);
  });

  it("shows a run's params, metrics and tags", async () => {
    const [r, text, unknown, malformed] = await Promise.all([
      cli("runs", "show", runIds[1]!, "--json"),
      cli("runs", "show", runIds[1]!),
      cli("runs", "show", "f".repeat(32)),
      cli("runs", "show", "not-a-run"),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const run = json<{ run: RunJson }>(r).run;
    expect(run).toMatchObject({ run_name: "seeded-2", status: "RUN_STATUS_FINISHED" });
    expect(run.params).toEqual({ model: "gbdt", n_estimators: "20" });
    expect(Object.fromEntries(run.metrics!.map((m) => [m.key, m.value]))).toEqual({
      accuracy: 0.93,
      roc_auc: expect.closeTo(0.98, 9),
    });

    expect(text.stdout).toMatch(/^status:\s+FINISHED$/m);
    expect(text.stdout).toMatch(/^experiment:\s+cli-test \(\d+\)$/m);
    expect(text.stdout).toMatch(/^n_estimators\s+20$/m);
    expect(text.stdout).toMatch(/^accuracy\s+0\.9300$/m);
    expect(text.stdout).toMatch(/^mlops\.source\s+cli$/m);

    expect(errorCode(unknown.stderr), `${unknown.code} ${unknown.signal} ${unknown.stderr}`).toBe(
      "NOT_FOUND",
    );
    expect(errorCode(malformed.stderr), malformed.stderr).toBe("INVALID_ARGUMENT");
  });
});
