// Params, metrics and tags of a run. One write transaction per call, so a
// batch either lands whole or not at all.
import { invalid, notFound } from "../errors.js";
import type { LogBatchInput, Metric, MetricInput } from "../types.js";
import {
  checkEntries,
  checkKey,
  checkMetricValue,
  checkRunId,
  checkStep,
  checkText,
  checkTimestamp,
  MAX_PARAM_VALUE,
  MAX_TAG_VALUE,
} from "../validation.js";
import type { StoreContext } from "./context.js";
import { chunks, num, toMetric } from "./rows.js";
import { requireActiveRun, requireRun } from "./runs.js";
import type { Db } from "./schema.js";

interface MetricPoint extends Metric {
  seq: number;
}

/** Whether `a` supersedes `b` as a key's latest value: greater step, then timestamp, then later log. */
const newer = (a: MetricPoint, b: MetricPoint): boolean =>
  a.step !== b.step
    ? a.step > b.step
    : a.timestampMs !== b.timestampMs
      ? a.timestampMs > b.timestampMs
      : a.seq > b.seq;

// SQLite has no NaN (it binds as NULL), so NaN travels as a flag.
const metricColumns = (runId: string, p: MetricPoint) => ({
  run_id: runId,
  key: p.key,
  seq: p.seq,
  value: Number.isNaN(p.value) ? 0 : p.value,
  is_nan: Number.isNaN(p.value) ? 1 : 0,
  timestamp_ms: p.timestampMs,
  step: p.step,
});

function checkMetrics(metrics: unknown, now: () => number): Metric[] {
  if (metrics === undefined) return [];
  if (!Array.isArray(metrics)) throw invalid("invalid metrics: must be an array");
  return metrics.map((m: MetricInput) => {
    const key = checkKey(m?.key, "metric");
    return {
      key,
      value: checkMetricValue(m.value, key),
      timestampMs:
        m.timestampMs === undefined ? now() : checkTimestamp(m.timestampMs, `metric "${key}" timestamp`),
      step: m.step === undefined ? 0 : checkStep(m.step),
    };
  });
}

async function writeParams(trx: Db, runId: string, params: [string, string][]): Promise<void> {
  const fresh: [string, string][] = [];
  for (const part of chunks(params)) {
    const existing = new Map(
      (
        await trx
          .selectFrom("run_params")
          .select(["key", "value"])
          .where("run_id", "=", runId)
          .where(
            "key",
            "in",
            part.map(([k]) => k),
          )
          .execute()
      ).map((r) => [r.key, r.value]),
    );
    for (const [key, value] of part) {
      const old = existing.get(key);
      if (old === undefined) fresh.push([key, value]);
      else if (old !== value) {
        throw invalid(
          `param "${key}" of run "${runId}" is already ${JSON.stringify(old)}; params are immutable (got ${JSON.stringify(value)})`,
        );
      }
    }
  }
  for (const part of chunks(fresh)) {
    await trx
      .insertInto("run_params")
      .values(part.map(([key, value]) => ({ run_id: runId, key, value })))
      .execute();
  }
}

async function writeMetrics(trx: Db, runId: string, metrics: Metric[]): Promise<void> {
  if (metrics.length === 0) return;
  const { max } = await trx
    .selectFrom("run_metrics")
    .select((eb) => eb.fn.max("seq").as("max"))
    .where("run_id", "=", runId)
    .executeTakeFirstOrThrow();
  let seq = max === null ? 0 : num(max);
  const points: MetricPoint[] = metrics.map((m) => ({ ...m, seq: ++seq }));
  for (const part of chunks(points, 100)) {
    await trx
      .insertInto("run_metrics")
      .values(part.map((p) => metricColumns(runId, p)))
      .execute();
  }

  const best = new Map<string, MetricPoint>();
  for (const p of points) {
    const cur = best.get(p.key);
    if (!cur || newer(p, cur)) best.set(p.key, p);
  }
  for (const part of chunks([...best.keys()])) {
    const rows = await trx
      .selectFrom("run_latest_metrics")
      .selectAll()
      .where("run_id", "=", runId)
      .where("key", "in", part)
      .execute();
    for (const r of rows) {
      const stored: MetricPoint = { ...toMetric(r), seq: num(r.seq) };
      if (!newer(best.get(r.key)!, stored)) best.delete(r.key);
    }
  }
  for (const part of chunks([...best.values()], 100)) {
    await trx
      .insertInto("run_latest_metrics")
      .values(part.map((p) => metricColumns(runId, p)))
      .onConflict((oc) =>
        oc.columns(["run_id", "key"]).doUpdateSet((eb) => ({
          seq: eb.ref("excluded.seq"),
          value: eb.ref("excluded.value"),
          is_nan: eb.ref("excluded.is_nan"),
          timestamp_ms: eb.ref("excluded.timestamp_ms"),
          step: eb.ref("excluded.step"),
        })),
      )
      .execute();
  }
}

async function writeTags(trx: Db, runId: string, tags: [string, string][]): Promise<void> {
  for (const part of chunks(tags)) {
    await trx
      .insertInto("run_tags")
      .values(part.map(([key, value]) => ({ run_id: runId, key, value })))
      .onConflict((oc) =>
        oc.columns(["run_id", "key"]).doUpdateSet((eb) => ({ value: eb.ref("excluded.value") })),
      )
      .execute();
  }
}

export async function logBatch(ctx: StoreContext, runId: string, batch: LogBatchInput): Promise<void> {
  checkRunId(runId);
  const params = checkEntries(batch?.params, "param", MAX_PARAM_VALUE);
  const metrics = checkMetrics(batch.metrics, ctx.now);
  const tags = checkEntries(batch.tags, "run tag", MAX_TAG_VALUE);
  await ctx.tx.write(async (trx) => {
    await requireActiveRun(trx, runId);
    await writeParams(trx, runId, params);
    await writeMetrics(trx, runId, metrics);
    await writeTags(trx, runId, tags);
  });
}

export async function getMetricHistory(ctx: StoreContext, runId: string, key: string): Promise<Metric[]> {
  checkRunId(runId);
  checkKey(key, "metric");
  return ctx.tx.read(async (trx) => {
    await requireRun(trx, runId);
    const rows = await trx
      .selectFrom("run_metrics")
      .select(["key", "value", "is_nan", "timestamp_ms", "step"])
      .where("run_id", "=", runId)
      .where("key", "=", key)
      .orderBy("step")
      .orderBy("timestamp_ms")
      .orderBy("seq")
      .execute();
    return rows.map(toMetric);
  });
}

export async function deleteRunTag(ctx: StoreContext, runId: string, key: string): Promise<void> {
  checkRunId(runId);
  checkKey(key, "run tag");
  await ctx.tx.write(async (trx) => {
    await requireActiveRun(trx, runId);
    const res = await trx
      .deleteFrom("run_tags")
      .where("run_id", "=", runId)
      .where("key", "=", key)
      .executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) throw notFound(`tag "${key}" of run "${runId}"`);
  });
}

export async function logParam(ctx: StoreContext, runId: string, key: string, value: string): Promise<void> {
  checkKey(key, "param");
  checkText(value, `param "${key}" value`, MAX_PARAM_VALUE);
  await logBatch(ctx, runId, { params: { [key]: value } });
}
