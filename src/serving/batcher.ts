import { ServiceError } from "../services/errors.js";

/** What the batcher needs of a model: one synchronous typed-array scoring call. */
export interface BatchModel {
  readonly nFeatures: number;
  readonly nClasses: number;
  predictProba(rows: Float64Array, nRows: number, out?: Float64Array): Float64Array;
}

export interface BatcherOptions {
  /** Rows per native call at most. Default 64. */
  maxBatchSize?: number;
  /**
   * How long the first queued row may wait for company, in µs. Default 0: flush once the event loop
   * has read every request that arrived in the same turn (setImmediate). Values ≥ 1000 use a timer.
   */
  maxDelayUs?: number;
  /** Queued rows at most; a row beyond it fails with RESOURCE_EXHAUSTED. Default 4096. */
  maxQueue?: number;
  /** Called once per native call with rows scored and seconds spent. */
  onBatch?: (rows: number, seconds: number) => void;
  /** Called whenever the queue depth changes. */
  onQueueDepth?: (depth: number) => void;
}

interface Pending {
  model: BatchModel;
  row: Float64Array;
  resolve: (probabilities: Float64Array) => void;
  reject: (err: unknown) => void;
}

export interface Batcher {
  /** Scores one row together with whatever else is queued; resolves with its nClasses probabilities. */
  submit(model: BatchModel, row: Float64Array): Promise<Float64Array>;
  readonly depth: number;
}

/**
 * Coalesces concurrent single-row predictions into one native call. Rows are grouped by model
 * snapshot, so a hot swap never mixes two models in one call, and every caller gets its own row's
 * result: results are sliced out of the batch output by queue position.
 */
export function createBatcher(options: BatcherOptions = {}): Batcher {
  const maxBatch = options.maxBatchSize ?? 64;
  const maxDelayUs = options.maxDelayUs ?? 0;
  const maxQueue = options.maxQueue ?? 4096;
  let queue: Pending[] = [];
  let scheduled = false;
  let rowsBuf = new Float64Array(0);

  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    if (maxDelayUs >= 1000) setTimeout(flush, Math.floor(maxDelayUs / 1000));
    else setImmediate(flush);
  };

  function runBatch(items: Pending[], start: number, end: number): void {
    const model = items[start].model;
    const nf = model.nFeatures;
    const nc = model.nClasses;
    const n = end - start;
    if (rowsBuf.length < n * nf) rowsBuf = new Float64Array(Math.max(n, maxBatch) * nf);
    for (let i = 0; i < n; i++) rowsBuf.set(items[start + i].row, i * nf);
    let out: Float64Array;
    const t0 = process.hrtime.bigint();
    try {
      out = model.predictProba(rowsBuf.subarray(0, n * nf), n);
    } catch (err) {
      for (let i = start; i < end; i++) items[i].reject(err);
      return;
    }
    options.onBatch?.(n, Number(process.hrtime.bigint() - t0) / 1e9);
    for (let i = 0; i < n; i++) items[start + i].resolve(out.slice(i * nc, (i + 1) * nc));
  }

  function flush(): void {
    scheduled = false;
    const items = queue.length > maxBatch ? queue.splice(0, maxBatch) : queue;
    if (items === queue) queue = [];
    let start = 0;
    for (let i = 1; i <= items.length; i++) {
      if (i === items.length || items[i].model !== items[start].model) {
        runBatch(items, start, i);
        start = i;
      }
    }
    if (queue.length > 0) schedule();
    options.onQueueDepth?.(queue.length);
  }

  return {
    submit(model, row) {
      if (queue.length >= maxQueue) {
        return Promise.reject(
          new ServiceError(
            "RESOURCE_EXHAUSTED",
            `prediction queue is full (${maxQueue} waiting); retry later`,
            {
              retryAfterSeconds: 1,
            },
          ),
        );
      }
      return new Promise<Float64Array>((resolve, reject) => {
        queue.push({ model, row, resolve, reject });
        options.onQueueDepth?.(queue.length);
        // A full batch need not wait; a stale timer later finds an empty or fresh queue.
        if (queue.length >= maxBatch) flush();
        else schedule();
      });
    },
    get depth() {
      return queue.length;
    },
  };
}
