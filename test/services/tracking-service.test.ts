import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it } from "vitest";
import {
  CreateExperimentRequestSchema,
  CreateRunRequestSchema,
  GetExperimentByNameRequestSchema,
  GetExperimentRequestSchema,
  GetMetricHistoryRequestSchema,
  GetRunRequestSchema,
  ListExperimentsRequestSchema,
  LogBatchRequestSchema,
  LogMetricRequestSchema,
  LogParamRequestSchema,
  RunStatus,
  SearchRunsRequestSchema,
  SetRunTagRequestSchema,
  UpdateRunRequestSchema,
} from "../../src/gen/mlops/v1/tracking_pb.js";
import type { CodeName } from "../../src/rpc/code.js";
import type { CallContext } from "../../src/rpc/context.js";
import { ServiceError } from "../../src/rpc/service-error.js";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, pageSize } from "../../src/services/mapping/page.js";
import { createTrackingService } from "../../src/services/tracking-service.js";
import { createStore } from "../../src/store/index.js";
import { storeOptionsFor } from "../kit/database.js";

const CTX: CallContext = { transport: "cli", actor: "ada" };
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup() {
  const dataDir = await mkdtemp(join(tmpdir(), "mlops-tracking-svc-"));
  let now = 1_000;
  const store = await createStore(await storeOptionsFor({ dataDir, now: () => now }));
  cleanups.push(
    () => rm(dataDir, { recursive: true, force: true }),
    () => store.close(),
  );
  return { store, svc: createTrackingService({ store }), setNow: (ms: number) => (now = ms) };
}

type Svc = ReturnType<typeof createTrackingService>;

const req = <D extends DescMessage>(schema: D, init: MessageInitShape<D>) => create(schema, init);

async function expectError(result: unknown, code: CodeName, field?: string): Promise<ServiceError> {
  const error = await Promise.resolve(result).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ServiceError);
  expect((error as ServiceError).code).toBe(code);
  if (field !== undefined) expect((error as ServiceError).violation?.field).toBe(field);
  return error as ServiceError;
}

async function newRun(
  svc: Svc,
  experimentId: string,
  init: MessageInitShape<typeof CreateRunRequestSchema> = {},
) {
  const { run } = await svc.createRun(req(CreateRunRequestSchema, { experimentId, ...init }), CTX);
  return run?.runId ?? "";
}

const getRun = async (svc: Svc, runId: string) =>
  (await svc.getRun(req(GetRunRequestSchema, { runId }), CTX)).run;

describe("experiments", () => {
  it("creates, reads by id and name, and lists by name in pages", async () => {
    const { svc } = await setup();
    const { experiment } = await svc.createExperiment(
      req(CreateExperimentRequestSchema, { name: "zeta", tags: { team: "risk" } }),
      CTX,
    );
    expect(experiment).toMatchObject({
      name: "zeta",
      tags: { team: "risk" },
      createdAtMs: 1000n,
      updatedAtMs: 1000n,
    });
    const id = experiment?.experimentId ?? "";
    expect(id).toMatch(/^[0-9]+$/);
    expect(
      (await svc.getExperiment(req(GetExperimentRequestSchema, { experimentId: id }), CTX)).experiment,
    ).toEqual(experiment);
    expect(
      (await svc.getExperimentByName(req(GetExperimentByNameRequestSchema, { name: "zeta" }), CTX))
        .experiment,
    ).toEqual(experiment);
    await svc.createExperiment(req(CreateExperimentRequestSchema, { name: "alpha" }), CTX);

    const names: string[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const page = await svc.listExperiments(
        req(ListExperimentsRequestSchema, { pageSize: 2, pageToken }),
        CTX,
      );
      names.push(...(page.experiments ?? []).map((e) => e.name ?? ""));
      pageToken = page.nextPageToken ?? "";
      pages++;
    } while (pageToken !== "");
    // The store's built-in "Default" experiment is listed too.
    expect(names).toEqual(["Default", "alpha", "zeta"]);
    expect(pages).toBe(2);
  });

  it("rejects duplicates, unknown experiments and missing fields by code", async () => {
    const { svc } = await setup();
    await svc.createExperiment(req(CreateExperimentRequestSchema, { name: "e" }), CTX);
    await expectError(
      svc.createExperiment(req(CreateExperimentRequestSchema, { name: "e" }), CTX),
      "ALREADY_EXISTS",
    );
    await expectError(
      svc.getExperimentByName(req(GetExperimentByNameRequestSchema, { name: "nope" }), CTX),
      "NOT_FOUND",
    );
    await expectError(
      svc.getExperiment(req(GetExperimentRequestSchema, { experimentId: "999" }), CTX),
      "NOT_FOUND",
    );
    await expectError(
      svc.getExperiment(req(GetExperimentRequestSchema, {}), CTX),
      "INVALID_ARGUMENT",
      "experiment_id",
    );
    await expectError(
      svc.createExperiment(req(CreateExperimentRequestSchema, {}), CTX),
      "INVALID_ARGUMENT",
      "name",
    );
    await expectError(
      svc.listExperiments(req(ListExperimentsRequestSchema, { pageToken: "not-a-token" }), CTX),
      "INVALID_ARGUMENT",
      "page_token",
    );
  });
});

describe("runs", () => {
  it("creates, updates and reads a run with params, latest metrics and tags", async () => {
    const { svc, setNow } = await setup();
    const runId = await newRun(svc, "0", { runName: "gbdt", startTimeMs: 500n, tags: { git: "abc" } });
    expect(await getRun(svc, runId)).toMatchObject({
      runId,
      runName: "gbdt",
      experimentId: "0",
      status: RunStatus.RUNNING,
      startTimeMs: 500n,
      endTimeMs: 0n,
      tags: { git: "abc" },
    });

    await svc.logParam(req(LogParamRequestSchema, { runId, key: "lr", value: "0.1" }), CTX);
    await svc.logParam(req(LogParamRequestSchema, { runId, key: "lr", value: "0.1" }), CTX);
    await svc.setRunTag(req(SetRunTagRequestSchema, { runId, key: "note", value: "" }), CTX);
    setNow(3_000);
    await svc.logMetric(req(LogMetricRequestSchema, { runId, key: "auc", value: 0.7, step: 1n }), CTX);
    await svc.logMetric(
      req(LogMetricRequestSchema, { runId, key: "auc", value: 0.8, step: 2n, timestampMs: 2_500n }),
      CTX,
    );
    await svc.logMetric(req(LogMetricRequestSchema, { runId, key: "loss", value: Number.NaN }), CTX);

    // UNSPECIFIED status and an empty name leave the run alone.
    const unchanged = await svc.updateRun(req(UpdateRunRequestSchema, { runId }), CTX);
    expect(unchanged.run).toMatchObject({ status: RunStatus.RUNNING, runName: "gbdt", endTimeMs: 0n });
    setNow(4_000);
    const finished = await svc.updateRun(
      req(UpdateRunRequestSchema, { runId, status: RunStatus.FINISHED }),
      CTX,
    );
    expect(finished.run).toMatchObject({ status: RunStatus.FINISHED, endTimeMs: 4_000n });

    const run = await getRun(svc, runId);
    expect(run?.params).toEqual({ lr: "0.1" });
    expect(run?.tags).toEqual({ git: "abc", note: "" });
    expect(run?.metrics?.map((m) => [m.key, m.step, m.timestampMs])).toEqual([
      ["auc", 2n, 2_500n],
      ["loss", 0n, 3_000n],
    ]);
    expect(run?.metrics?.[0]?.value).toBe(0.8);
    expect(run?.metrics?.[1]?.value).toBeNaN();
  });

  it("keeps params immutable and rejects unknown runs and missing fields by code", async () => {
    const { svc } = await setup();
    const runId = await newRun(svc, "0");
    await svc.logParam(req(LogParamRequestSchema, { runId, key: "depth", value: "6" }), CTX);
    await expectError(
      svc.logParam(req(LogParamRequestSchema, { runId, key: "depth", value: "7" }), CTX),
      "INVALID_ARGUMENT",
    );
    await expectError(getRun(svc, "f".repeat(32)), "NOT_FOUND");
    await expectError(svc.createRun(req(CreateRunRequestSchema, { experimentId: "42" }), CTX), "NOT_FOUND");
    await expectError(
      svc.createRun(req(CreateRunRequestSchema, {}), CTX),
      "INVALID_ARGUMENT",
      "experiment_id",
    );
    await expectError(
      svc.logParam(req(LogParamRequestSchema, { key: "k", value: "v" }), CTX),
      "INVALID_ARGUMENT",
      "run_id",
    );
    await expectError(
      svc.logMetric(req(LogMetricRequestSchema, { runId, value: 1 }), CTX),
      "INVALID_ARGUMENT",
      "key",
    );
    await expectError(
      svc.updateRun(req(UpdateRunRequestSchema, { runId, status: 9 as RunStatus }), CTX),
      "INVALID_ARGUMENT",
      "status",
    );
  });

  it("logs a batch all or nothing", async () => {
    const { svc } = await setup();
    const runId = await newRun(svc, "0");
    await svc.logParam(req(LogParamRequestSchema, { runId, key: "depth", value: "6" }), CTX);
    await svc.logBatch(
      req(LogBatchRequestSchema, {
        runId,
        metrics: [
          { key: "acc", value: 0.5, step: 1n, timestampMs: 10n },
          { key: "acc", value: 0.6, step: 2n, timestampMs: 20n },
        ],
        params: { lr: "0.1", depth: "6" },
        tags: { stage: "train" },
      }),
      CTX,
    );
    await expectError(
      svc.logBatch(
        req(LogBatchRequestSchema, {
          runId,
          metrics: [{ key: "acc", value: 0.9, step: 3n }],
          params: { depth: "8" },
          tags: { stage: "eval" },
        }),
        CTX,
      ),
      "INVALID_ARGUMENT",
    );
    await expectError(
      svc.logBatch(
        req(LogBatchRequestSchema, { runId, metrics: [{ key: "ok", value: 1 }, { value: 2 }] }),
        CTX,
      ),
      "INVALID_ARGUMENT",
      "metrics[1].key",
    );
    const run = await getRun(svc, runId);
    expect(run?.params).toEqual({ depth: "6", lr: "0.1" });
    expect(run?.tags).toEqual({ stage: "train" });
    expect(run?.metrics?.map((m) => [m.key, m.value])).toEqual([["acc", 0.6]]);
  });

  it("pages a metric's history by step, then timestamp", async () => {
    const { svc } = await setup();
    const runId = await newRun(svc, "0");
    for (const [step, ts] of [
      [3n, 30n],
      [1n, 20n],
      [1n, 10n],
      [2n, 5n],
      [0n, 50n],
    ] as const) {
      await svc.logMetric(
        req(LogMetricRequestSchema, { runId, key: "loss", value: Number(step), step, timestampMs: ts }),
        CTX,
      );
    }
    const points: string[] = [];
    let pageToken = "";
    do {
      const page = await svc.getMetricHistory(
        req(GetMetricHistoryRequestSchema, { runId, key: "loss", pageSize: 2, pageToken }),
        CTX,
      );
      expect(page.metrics?.length).toBeLessThanOrEqual(2);
      points.push(...(page.metrics ?? []).map((m) => `${m.step}@${m.timestampMs}`));
      pageToken = page.nextPageToken ?? "";
    } while (pageToken !== "");
    expect(points).toEqual(["0@50", "1@10", "1@20", "2@5", "3@30"]);
    await expectError(
      svc.getMetricHistory(req(GetMetricHistoryRequestSchema, { runId }), CTX),
      "INVALID_ARGUMENT",
      "key",
    );
  });
});

describe("SearchRuns", () => {
  /** Four runs in a fresh experiment; "d" has no auc and no end time. */
  async function fixture() {
    const ctx = await setup();
    const { svc } = ctx;
    const { experiment } = await svc.createExperiment(
      req(CreateExperimentRequestSchema, { name: "search" }),
      CTX,
    );
    const experimentId = experiment?.experimentId ?? "";
    const spec = [
      ["b", 100n, 0.7, 400n],
      ["a", 200n, 0.9, 300n],
      ["c", 300n, 0.8, 500n],
      ["d", 400n, undefined, undefined],
    ] as const;
    for (const [name, start, auc, end] of spec) {
      const runId = await newRun(svc, experimentId, { runName: name, startTimeMs: start });
      if (auc !== undefined)
        await svc.logMetric(req(LogMetricRequestSchema, { runId, key: "auc", value: auc }), CTX);
      if (end !== undefined) {
        await svc.updateRun(
          req(UpdateRunRequestSchema, { runId, status: RunStatus.FINISHED, endTimeMs: end }),
          CTX,
        );
      }
    }
    const search = async (init: { orderBy?: string[]; statuses?: RunStatus[] }) => {
      const names: string[] = [];
      let pageToken = "";
      do {
        const page = await svc.searchRuns(
          req(SearchRunsRequestSchema, { experimentIds: [experimentId], pageSize: 3, ...init, pageToken }),
          CTX,
        );
        names.push(...(page.runs ?? []).map((r) => r.runName ?? ""));
        pageToken = page.nextPageToken ?? "";
      } while (pageToken !== "");
      return names;
    };
    return { ...ctx, experimentId, search };
  }

  it("orders by start time (default newest first), name, end time and metrics, paging through all", async () => {
    const { search } = await fixture();
    expect(await search({})).toEqual(["d", "c", "a", "b"]);
    expect(await search({ orderBy: ["start_time_ms ASC"] })).toEqual(["b", "a", "c", "d"]);
    expect(await search({ orderBy: ["run_name"] })).toEqual(["a", "b", "c", "d"]);
    expect(await search({ orderBy: ["run_name desc"] })).toEqual(["d", "c", "b", "a"]);
    // Runs without the value sort last in either direction.
    expect(await search({ orderBy: ["metrics.auc DESC"] })).toEqual(["a", "c", "b", "d"]);
    expect(await search({ orderBy: ["metrics.auc ASC"] })).toEqual(["b", "c", "a", "d"]);
    expect(await search({ orderBy: ["end_time_ms"] })).toEqual(["a", "b", "c", "d"]);
  });

  it("filters by status", async () => {
    const { search } = await fixture();
    expect(await search({ statuses: [RunStatus.RUNNING] })).toEqual(["d"]);
    expect(
      await search({ statuses: [RunStatus.FINISHED, RunStatus.RUNNING], orderBy: ["run_name"] }),
    ).toEqual(["a", "b", "c", "d"]);
  });

  it("rejects bad experiment ids, order_by, statuses, page sizes and tokens by field", async () => {
    const { svc, experimentId } = await fixture();
    const search = (init: MessageInitShape<typeof SearchRunsRequestSchema>) =>
      svc.searchRuns(req(SearchRunsRequestSchema, init), CTX);
    await expectError(search({}), "INVALID_ARGUMENT", "experiment_ids");
    await expectError(
      search({ experimentIds: [experimentId], orderBy: ["params.lr"] }),
      "INVALID_ARGUMENT",
      "order_by[0]",
    );
    await expectError(
      search({ experimentIds: [experimentId], orderBy: ["run_name", "start_time_ms sideways"] }),
      "INVALID_ARGUMENT",
      "order_by[1]",
    );
    await expectError(
      search({ experimentIds: [experimentId], statuses: [RunStatus.UNSPECIFIED] }),
      "INVALID_ARGUMENT",
      "statuses[0]",
    );
    await expectError(
      search({ experimentIds: [experimentId], pageSize: -5 }),
      "INVALID_ARGUMENT",
      "page_size",
    );
    // A token from one order is not honoured for another.
    const first = await search({ experimentIds: [experimentId], orderBy: ["run_name"], pageSize: 1 });
    await expectError(
      search({ experimentIds: [experimentId], orderBy: ["metrics.auc"], pageToken: first.nextPageToken }),
      "INVALID_ARGUMENT",
      "page_token",
    );
  });
});

describe("page sizes", () => {
  it("maps 0 to the default and clamps to the maximum", () => {
    expect(pageSize(0)).toBe(DEFAULT_PAGE_SIZE);
    expect(DEFAULT_PAGE_SIZE).toBe(100);
    expect(pageSize(7)).toBe(7);
    expect(pageSize(5_000)).toBe(MAX_PAGE_SIZE);
    expect(MAX_PAGE_SIZE).toBe(1000);
  });
});
