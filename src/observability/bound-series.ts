// Hot-path metric series whose label values are bound once.
//
// prom-client's `inc(labels, n)` / `observe(labels, v)` check the label names, build a hash string
// from the values and look it up on every call; for the two series every request records that was
// about 1 µs of a ~20 µs REST request (docs/benchmarks.md, "Where a request's time goes"). A bound
// series keeps its counts in plain numbers and hands them to the prom-client metric from the
// metric's `collect` hook, which prom-client runs before every read (a local scrape and the
// cluster's aggregation alike), so what /metrics shows is unchanged.
import type { Counter, Histogram, LabelValues } from "prom-client";

export interface BoundCounter {
  inc(value?: number): void;
}

export interface BoundHistogram {
  observe(value: number): void;
}

interface CounterSeries<T extends string> extends BoundCounter {
  readonly labels: LabelValues<T>;
  pending: number;
}

interface HistogramSeries<T extends string> extends BoundHistogram {
  readonly labels: LabelValues<T>;
  sum: number;
  count: number;
  /** Observations per bucket (not cumulative), in the metric's bucket order. */
  readonly buckets: Float64Array;
}

/** The shape of one prom-client 15 histogram series (its `hashMap` values), which flush adds to. */
interface HistogramEntry {
  labels: Record<string, unknown>;
  sum: number;
  count: number;
  bucketValues: Record<string, number>;
}

/**
 * Bound counter series of one Counter. Pass `collect` in the Counter's options (prom-client calls
 * it with the counter as `this`), then bind label sets with `bind`.
 */
export function counterBinder<T extends string>() {
  const all: CounterSeries<T>[] = [];
  return {
    collect(this: Counter<T>): void {
      for (const s of all) {
        if (s.pending === 0) continue;
        this.inc(s.labels, s.pending);
        s.pending = 0;
      }
    },
    /** A series of `counter` with these label values; keep it (binding again makes a second one). */
    bind(_counter: Counter<T>, labels: LabelValues<T>): BoundCounter {
      const s: CounterSeries<T> = {
        labels: { ...labels },
        pending: 0,
        inc(value = 1) {
          s.pending += value;
        },
      };
      all.push(s);
      return s;
    },
  };
}

/** Bound histogram series of one Histogram whose buckets are `bounds`; see counterBinder. */
export function histogramBinder<T extends string>(bounds: readonly number[]) {
  const all: HistogramSeries<T>[] = [];
  const n = bounds.length;
  return {
    collect(this: Histogram<T>): void {
      for (const s of all) {
        if (s.count === 0) continue;
        const entry = entryOf(this, s.labels);
        entry.sum += s.sum;
        entry.count += s.count;
        for (let i = 0; i < n; i++) {
          const key = String(bounds[i]);
          entry.bucketValues[key] = (entry.bucketValues[key] ?? 0) + (s.buckets[i] as number);
        }
        s.sum = 0;
        s.count = 0;
        s.buckets.fill(0);
      }
    },
    bind(_histogram: Histogram<T>, labels: LabelValues<T>): BoundHistogram {
      const s: HistogramSeries<T> = {
        labels: { ...labels },
        sum: 0,
        count: 0,
        buckets: new Float64Array(n),
        observe(value) {
          s.sum += value;
          s.count++;
          // prom-client's rule: the first bucket whose upper bound is ≥ the value; above all, +Inf only.
          for (let i = 0; i < n; i++) {
            if (value <= (bounds[i] as number)) {
              (s.buckets[i] as number)++;
              return;
            }
          }
        },
      };
      all.push(s);
      return s;
    },
  };
}

/** The histogram's own series for these labels (created at zero when missing, or after a reset). */
function entryOf<T extends string>(histogram: Histogram<T>, labels: LabelValues<T>): HistogramEntry {
  const map = (histogram as unknown as { hashMap: Record<string, HistogramEntry> }).hashMap;
  const find = () => Object.values(map).find((e) => sameLabels(e.labels, labels));
  let entry = find();
  if (!entry) {
    histogram.zero(labels);
    entry = Object.values((histogram as unknown as { hashMap: Record<string, HistogramEntry> }).hashMap).find(
      (e) => sameLabels(e.labels, labels),
    );
  }
  if (!entry || typeof entry.bucketValues !== "object") {
    throw new Error(
      `${(histogram as unknown as { name: string }).name}: unexpected prom-client histogram layout`,
    );
  }
  return entry;
}

function sameLabels(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (String(a[k]) !== String(b[k])) return false;
  return true;
}
