// `mlops train` through the real binary: CSV and synthetic data, registration, promotion, bad input, Ctrl-C.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { METRIC_KEYS } from "../../src/workflows/run-record.js";
import { assertBuilt, type CliResult, DATASET, errorCode, json, mlops, tempDataDir } from "./helpers.js";

let dataDir: string;
let cleanup: () => Promise<void>;
const cli = (...args: string[]): Promise<CliResult> => mlops(args, { dataDir });

interface TrainJson {
  run_id: string;
  run_name: string;
  experiment_name: string;
  model_name: string;
  version: number;
  stage: string;
  archived_versions: number[];
  artifact_sha256: string;
  metrics: Record<string, number>;
  params: Record<string, string>;
  n_train: number;
  n_test: number;
}

beforeAll(async () => {
  assertBuilt();
  ({ dir: dataDir, cleanup } = await tempDataDir());
});

afterAll(async () => {
  await cleanup?.();
});

describe("mlops train", () => {
  const trained: TrainJson[] = [];

  it("trains a small GBDT on the CSV (first 8000 rows), registers v1 and promotes it", async () => {
    const r = await cli(
      "train",
      "--data",
      DATASET,
      "--model",
      "gbdt",
      "--n-estimators",
      "20",
      "--promote",
      "Production",
      "--json",
    );
    expect(r.code, r.stderr).toBe(0);
    const out = json<TrainJson>(r);
    trained.push(out);
    expect(out).toMatchObject({
      model_name: "ml_classifier",
      experiment_name: "Default",
      version: 1,
      stage: "Production",
      archived_versions: [],
      n_train: 8000,
      n_test: 2000,
    });
    expect(Object.keys(out.metrics).sort()).toEqual([...METRIC_KEYS].sort());
    expect(out.metrics.roc_auc).toBeGreaterThan(0.9);
    expect(out.params).toMatchObject({
      model: "gbdt",
      n_estimators: "20",
      n_rows: "10000",
      n_features: "20",
    });
    expect(out.artifact_sha256).toMatch(/^[0-9a-f]{64}$/);
    // Progress and phases go to stderr; stdout is only the JSON.
    expect(r.stderr).toMatch(/^ {2}20\/20 rounds \(100%\)$/m);
  });

  it("the run is FINISHED with the six metrics, the params and the data source", async () => {
    const r = await cli("runs", "show", trained[0]!.run_id, "--json");
    expect(r.code, r.stderr).toBe(0);
    const run = json<{
      run: {
        status: string;
        params: Record<string, string>;
        metrics: { key: string; value: number }[];
        tags: Record<string, string>;
      };
    }>(r).run;
    expect(run.status).toBe("RUN_STATUS_FINISHED");
    expect(Object.fromEntries(run.metrics.map((m) => [m.key, m.value]))).toEqual(trained[0]!.metrics);
    expect(run.params).toEqual(trained[0]!.params);
    expect(run.tags).toMatchObject({
      "mlops.source": "cli",
      "mlops.data": expect.stringMatching(/^csv:.*classification_20f_10k\.csv\.gz#label$/),
      "mlops.model_version": "ml_classifier/1",
    });
  });

  it("trains on the synthetic set by default; promoting to Production again archives v1", async () => {
    const r = await cli(
      "train",
      "--n-estimators",
      "10",
      "--promote",
      "production",
      "--run-name",
      "synthetic-10",
    );
    expect(r.code, r.stderr).toBe(0);
    // The human summary: run, model and stage lines, then the metrics table.
    expect(r.stdout).toMatch(/^run:\s+[0-9a-f]{32} \(synthetic-10, experiment Default\)$/m);
    expect(r.stdout).toMatch(/^model:\s+ml_classifier v2$/m);
    expect(r.stdout).toMatch(/^stage:\s+Production \(archived v1\)$/m);
    for (const key of METRIC_KEYS) expect(r.stdout).toMatch(new RegExp(`^${key}\\s+\\d+\\.\\d{4}$`, "m"));

    const d = json<{ model_versions: { version: string; stage: string; run_id: string }[] }>(
      await cli("models", "describe", "ml_classifier", "--json"),
    );
    expect(d.model_versions.map((v) => [v.version, v.stage])).toEqual([
      ["1", "STAGE_ARCHIVED"],
      ["2", "STAGE_PRODUCTION"],
    ]);
    expect(d.model_versions[0]!.run_id).toBe(trained[0]!.run_id);
  });

  it("takes the experiment, model name and family from flags", async () => {
    const r = await cli(
      "train",
      "--synthetic",
      "--model",
      "logreg",
      "--max-iter",
      "30",
      "--experiment",
      "tuning",
      "--model-name",
      "other_model",
      "--test-fraction",
      "0.5",
      "--json",
    );
    expect(r.code, r.stderr).toBe(0);
    expect(json<TrainJson>(r)).toMatchObject({
      experiment_name: "tuning",
      model_name: "other_model",
      version: 1,
      stage: "None",
      n_train: 2500,
      n_test: 2500,
      params: { model: "logreg", max_iter: "30", test_fraction: "0.5" },
    });
    const runs = json<{ runs: { run_id: string }[] }>(
      await cli("runs", "list", "--experiment", "tuning", "--json"),
    );
    expect(runs.runs).toHaveLength(1);
  });

  it("rejects bad input with a clear error and creates no run", async () => {
    const failures: [string[], number, string | undefined][] = [
      [["train", "--data", "missing.csv"], 1, "NOT_FOUND"],
      [["train", "--data", DATASET, "--target", "nope"], 1, "ERR_DATA"],
      [["train", "--model", "logreg", "--n-estimators", "5"], 1, "ERR_TRAIN_INVALID"],
      [["train", "--model", "xgboost"], 2, undefined],
      [["train", "--promote", "Live"], 2, undefined],
      [["train", "--n-estimators", "many"], 2, undefined],
      [["train", "--test-fraction", "1"], 2, undefined],
      [["train", "--data", DATASET, "--synthetic"], 2, "USAGE"],
    ];
    const results = await Promise.all(failures.map(([args]) => cli(...args)));
    results.forEach((r, i) => {
      const [args, code, errCode] = failures[i]!;
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(code);
      expect(r.stdout).toBe("");
      if (errCode !== undefined) expect(errorCode(r.stderr), r.stderr).toBe(errCode);
      else expect(r.stderr).toMatch(/^error: /m);
    });
    expect(results[1]!.stderr).toMatch(/"nope"/);

    const runs = json<{ runs: unknown[] }>(await cli("runs", "list", "--json"));
    expect(runs.runs).toHaveLength(3);
  });

  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const)(
    "%s cancels training: exit %i, the run is KILLED, nothing is registered",
    async (signal, exit) => {
      const name = `interrupted-${signal}`;
      const r = await mlops(["train", "--n-estimators", "1000000", "--run-name", name], {
        dataDir,
        onStderr: (text, child) => {
          // The first progress line means the native trainer is running.
          if (/rounds \(/.test(text) && !child.killed) child.kill(signal);
        },
      });
      expect(r.code, r.stderr).toBe(exit);
      expect(errorCode(r.stderr)).toBe("CANCELLED");

      const runs = json<{ runs: { run_name: string; status: string }[] }>(
        await cli("runs", "list", "--status", "KILLED", "--json"),
      );
      expect(runs.runs.filter((x) => x.run_name === name).map((x) => x.status)).toEqual([
        "RUN_STATUS_KILLED",
      ]);
      const d = json<{ model_versions: unknown[] }>(
        await cli("models", "describe", "ml_classifier", "--json"),
      );
      expect(d.model_versions).toHaveLength(2);
    },
  );

  it("runs end closes a run whose process died (kill -9); an ended run is refused", async () => {
    const name = "killed-hard";
    let runId = "";
    const r = await mlops(["train", "--n-estimators", "1000000", "--run-name", name], {
      dataDir,
      onStderr: (text, child) => {
        runId ||= /run ([0-9a-f]{32}) started/.exec(text)?.[1] ?? "";
        if (runId && /rounds \(/.test(text) && !child.killed) child.kill("SIGKILL");
      },
    });
    expect(r.signal).toBe("SIGKILL");
    expect(runId).toMatch(/^[0-9a-f]{32}$/);
    const before = json<{ run: { status: string } }>(await cli("runs", "show", runId, "--json"));
    expect(before.run.status).toBe("RUN_STATUS_RUNNING");

    const ended = await cli("runs", "end", runId, "--status", "killed", "--json");
    expect(ended.code, ended.stderr).toBe(0);
    const after = json<{ run: { status: string; end_time_ms: string } }>(
      await cli("runs", "show", runId, "--json"),
    );
    expect(after.run.status).toBe("RUN_STATUS_KILLED");
    expect(Number(after.run.end_time_ms)).toBeGreaterThan(0);

    const again = await cli("runs", "end", runId);
    expect(again.code).toBe(1);
    expect(errorCode(again.stderr)).toBe("FAILED_PRECONDITION");
  });
});

describe("mlops train messages speak in flags", () => {
  let own: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    own = await tempDataDir();
  });
  afterAll(async () => {
    await own?.cleanup();
  });
  const run = (...args: string[]) => mlops(args, { dataDir: own.dir });

  it("names flags, not option keys, and says how many features the data has", async () => {
    const [maxFeatures, notApplying, directory] = await Promise.all([
      run("train", "--model", "rf", "--max-features", "100", "--n-estimators", "2"),
      run("train", "--model", "rf", "--learning-rate", "0.5"),
      run("train", "--data", own.dir),
    ]);
    expect(errorCode(maxFeatures.stderr), maxFeatures.stderr).toBe("ERR_TRAIN_INVALID");
    expect(maxFeatures.stderr).toMatch(/--max-features: 100\b.*\b20 features/);
    expect(errorCode(notApplying.stderr), notApplying.stderr).toBe("ERR_TRAIN_INVALID");
    expect(notApplying.stderr).toContain("--learning-rate");
    expect(notApplying.stderr).not.toContain("learningRate");
    expect(directory.code).toBe(1);
    expect(errorCode(directory.stderr), directory.stderr).toBe("ERR_DATA");
    expect(directory.stderr).not.toContain("EISDIR");
    // A training failure is one line: no logged stack unless --log-level debug.
    expect(maxFeatures.stderr).not.toMatch(/^\s+at /m);
    expect(maxFeatures.stderr.split("\n").filter((l) => l.startsWith("{"))).toEqual([]);
    const debug = await run("train", "--model", "rf", "--max-features", "100", "--log-level", "debug");
    expect(debug.stderr).toMatch(/training run failed/);
  });

  it("--subsample and --n-estimators take the trainer's ranges, as the help says", async () => {
    const help = await run("train", "--help");
    expect(help.stdout).toMatch(/--subsample <x>\s+gbdt: row fraction per round, \(0, 1\]/);
    const [zero, one, tooMany] = await Promise.all([
      run("train", "--subsample", "0", "--n-estimators", "2"),
      run("train", "--subsample", "1", "--n-estimators", "2"),
      run("train", "--n-estimators", "1000001"),
    ]);
    expect(zero.code, zero.stderr).toBe(2);
    expect(one.code, one.stderr).toBe(0);
    expect(tooMany.code, tooMany.stderr).toBe(2);
  });
});
