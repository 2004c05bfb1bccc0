import { ServiceError } from "../rpc/service-error.js";

/** What the batcher needs of a model: typed-array scoring, on the JS thread or off it. */
export interface BatchModel {
  readonly nFeatures: number;
  readonly nClasses: number;
  /** `out`, when given (nRows × nClasses long), may be filled and returned instead of a new array. */
  predictProba(rows: Float64Array, nRows: number, out?: Float64Array): Float64Array;
  predictProbaAsync(rows: Float64Array, nRows: number, options?: { threads?: number }): Promise<Float64Array>;
}

export interface BatcherOptions {
  /** Rows per native call at most. Default 64. */
  maxBatchSize?: number;
  /**
   * How long a queued row may wait for company while a scoring slot is free, in µs. Default 0:
   * flush once the event loop has read every request that arrived in the same turn
   * (setImmediate). Values ≥ 1000 use a timer.
   */
  maxDelayUs?: number;
  /** Rows waiting (not yet in a native call) at most; one more fails with RESOURCE_EXHAUSTED. Default 4096. */
  maxQueue?: number;
  /** Native calls in flight at once; rows queue while all are busy. Default 1. */
  maxInFlight?: number;
  /** Native threads per call. Default 1. */
  threads?: number;
  /**
   * Batches of at most this many rows are always scored on the JS thread: a row costs about 2 µs
   * there, less than the ~30 µs hop to a worker thread, so light traffic stays fast. Default 8; 0
   * sends every batch off-thread (and turns syncMaxUs off).
   */
  syncMaxRows?: number;
  /**
   * Larger batches are scored on the JS thread too while their estimated scoring time is at most
   * this many µs, estimated from the same model's earlier calls on the JS thread: a cheap model's
   * batch of 64 costs less than the hop, which under load waits hundreds of µs for a thread. An
   * expensive model's batches go off-thread, where rows can queue (and be shed). Default 200; 0
   * leaves the decision to syncMaxRows alone.
   */
  syncMaxUs?: number;
  /** Called once per native call with rows scored and seconds spent. */
  onBatch?: (rows: number, seconds: number) => void;
  /** Called whenever the number of waiting rows changes. */
  onQueueDepth?: (depth: number) => void;
}

/**
 * One row's values: a Float64Array, or a plain array of numbers the caller has already checked
 * (the parsed JSON of a REST request), so that no typed array is made per request.
 */
export type BatchRow = Float64Array | readonly number[];

interface Pending {
  model: BatchModel;
  row: BatchRow;
  resolve: (probabilities: Float64Array) => void;
  reject: (err: unknown) => void;
}

export interface Batcher {
  /** Scores one row together with whatever else is queued; resolves with its nClasses probabilities. */
  submit(model: BatchModel, row: BatchRow): Promise<Float64Array>;
  /** Rows waiting for a native call. */
  readonly depth: number;
}

/**
 * Coalesces concurrent single-row predictions into native calls made off the JS thread. While
 * every scoring slot is busy, rows queue up (bounded: beyond maxQueue a row is refused with
 * RESOURCE_EXHAUSTED and Retry-After, so the queue never grows without limit); when a slot frees,
 * the queue's head goes out as one batch. A batch holds rows of one model snapshot only, so a hot
 * swap never mixes models, and each caller gets the slice of the output at its own position.
 */
/** Large batches of a model timed on the JS thread before its cost decides where the next ones go. */
const LEARN_BATCHES = 3;

export function createBatcher(options: BatcherOptions = {}): Batcher {
  const maxBatch = options.maxBatchSize ?? 64;
  const maxDelayUs = options.maxDelayUs ?? 0;
  const maxQueue = options.maxQueue ?? 4096;
  const maxInFlight = options.maxInFlight ?? 1;
  const threads = options.threads ?? 1;
  const syncMaxRows = options.syncMaxRows ?? 8;
  const syncMaxUs = syncMaxRows > 0 ? (options.syncMaxUs ?? 200) : 0;
  /** Each model's cheapest µs per row seen in its large batches on the JS thread, and how many were timed. */
  const cost = new WeakMap<BatchModel, { usPerRow: number; samples: number }>();
  let queue: Pending[] = [];
  let head = 0;
  let inFlight = 0;
  let scheduled = false;
  let lightTraffic = true;

  /** Whether `rows` rows of `model` are scored on the JS thread. */
  function onJsThread(model: BatchModel, rows: number): boolean {
    if (rows <= syncMaxRows) return true;
    if (syncMaxUs === 0) return false;
    // A model's first few large batches are scored here to time it (at most maxBatchSize rows each);
    // the cheapest of them is its cost, since a pause (GC, a preempted thread) only adds time.
    const c = cost.get(model);
    return c === undefined || c.samples < LEARN_BATCHES || rows * c.usPerRow <= syncMaxUs;
  }

  function learn(model: BatchModel, rows: number, seconds: number): void {
    if (rows <= syncMaxRows || syncMaxUs === 0) return;
    const sample = (seconds * 1e6) / rows;
    const c = cost.get(model);
    if (c === undefined) cost.set(model, { usPerRow: sample, samples: 1 });
    else {
      c.usPerRow = Math.min(c.usPerRow, sample);
      c.samples++;
    }
  }

  const waiting = () => queue.length - head;

  // Callers check waiting() > 0 first, so queue[head] exists, and every batch holds at least one item.
  function take(): Pending[] {
    const model = queue[head]!.model;
    let end = head + 1;
    const limit = Math.min(queue.length, head + maxBatch);
    while (end < limit && queue[end]!.model === model) end++;
    const items = queue.slice(head, end);
    head = end;
    if (head === queue.length) {
      queue = [];
      head = 0;
    } else if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
    return items;
  }

  function packInto(items: Pending[], rows: Float64Array, nf: number): Float64Array {
    for (let i = 0; i < items.length; i++) rows.set(items[i]!.row, i * nf);
    return rows;
  }

  const pack = (items: Pending[]) => {
    const nf = items[0]!.model.nFeatures;
    return packInto(items, new Float64Array(items.length * nf), nf);
  };

  /**
   * Input and output buffers of the calls on the JS thread, reused: the native call reads its rows
   * and fills `out` before it returns, and settle copies each caller's slice out. A typed array of
   * more than 64 bytes lives outside V8's heap (malloc, free and GC bookkeeping each), so a new pair
   * per batch cost more than the copy. Views are kept per row count (a call wants exact lengths).
   */
  let scratchIn = new Float64Array(0);
  let scratchOut = new Float64Array(0);
  let scratchShape = "";
  let inViews: Float64Array[] = [];
  let outViews: Float64Array[] = [];
  function scratch(n: number, nf: number, nc: number): [Float64Array, Float64Array] {
    const shape = `${nf}:${nc}`;
    if (shape !== scratchShape || scratchIn.length < n * nf) {
      const rows = Math.max(n, maxBatch, syncMaxRows);
      scratchIn = new Float64Array(rows * nf);
      scratchOut = new Float64Array(rows * nc);
      scratchShape = shape;
      inViews = [];
      outViews = [];
    }
    let rows = inViews[n];
    let out = outViews[n];
    if (rows === undefined || out === undefined) {
      rows = scratchIn.subarray(0, n * nf);
      out = scratchOut.subarray(0, n * nc);
      inViews[n] = rows;
      outViews[n] = out;
    }
    return [rows, out];
  }

  function settle(items: Pending[], out: Float64Array, seconds: number): void {
    const nc = items[0]!.model.nClasses;
    options.onBatch?.(items.length, seconds);
    for (let i = 0; i < items.length; i++) items[i]!.resolve(out.slice(i * nc, (i + 1) * nc));
  }

  function runSync(items: Pending[]): void {
    const model = items[0]!.model;
    const nf = model.nFeatures;
    const t0 = process.hrtime.bigint();
    let out: Float64Array;
    try {
      const [rows, into] = scratch(items.length, nf, model.nClasses);
      out = model.predictProba(packInto(items, rows, nf), items.length, into);
    } catch (err) {
      for (const item of items) item.reject(err);
      return;
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    learn(model, items.length, seconds);
    settle(items, out, seconds);
  }

  /** A lone row scored at once (nothing queued or in flight, no flush pending): no hop, no copy. */
  function scoreNow(model: BatchModel, row: BatchRow): Promise<Float64Array> {
    const t0 = process.hrtime.bigint();
    let out: Float64Array;
    try {
      // The caller owns `out` (no shared buffer), as it owns a slice of a batch's.
      out = model.predictProba(row instanceof Float64Array ? row : Float64Array.from(row), 1);
    } catch (err) {
      return Promise.reject(err);
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    options.onBatch?.(1, seconds);
    return Promise.resolve(out);
  }

  async function run(items: Pending[]): Promise<void> {
    const t0 = process.hrtime.bigint();
    let out: Float64Array;
    try {
      // The native call copies its input, so the packed buffer may be dropped at once.
      out = await items[0]!.model.predictProbaAsync(pack(items), items.length, { threads });
    } catch (err) {
      for (const item of items) item.reject(err);
      return;
    }
    settle(items, out, Number(process.hrtime.bigint() - t0) / 1e9);
  }

  function pump(): void {
    while (inFlight < maxInFlight && waiting() > 0) {
      const items = take();
      if (onJsThread(items[0]!.model, items.length)) {
        runSync(items);
        continue;
      }
      inFlight++;
      run(items).finally(() => {
        inFlight--;
        if (waiting() >= maxBatch) pump();
        else if (waiting() > 0) schedule();
      });
    }
    options.onQueueDepth?.(waiting());
  }

  /** The scheduled flush; `scheduled` stays set until it runs, whatever flushes in between. */
  function flush(): void {
    scheduled = false;
    // A turn that brought at most one row is light traffic: the next lone row goes at once. Under
    // load rows keep batching, which scores them several times cheaper per row (a model's nodes
    // stay in cache across the batch).
    lightTraffic = waiting() <= 1;
    pump();
  }

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    if (maxDelayUs >= 1000) setTimeout(flush, Math.floor(maxDelayUs / 1000));
    else setImmediate(flush);
  }

  return {
    submit(model, row) {
      if (waiting() >= maxQueue) {
        return Promise.reject(
          new ServiceError(
            "RESOURCE_EXHAUSTED",
            `prediction queue is full (${maxQueue} rows waiting); retry later`,
            {
              retryAfterSeconds: 1,
            },
          ),
        );
      }
      // Under light traffic the first row of an event-loop turn goes at once when nothing waits:
      // rows that arrive in the same turn queue behind the flush scheduled here, as before.
      if (
        lightTraffic &&
        !scheduled &&
        inFlight === 0 &&
        waiting() === 0 &&
        maxDelayUs < 1000 &&
        syncMaxRows > 0
      ) {
        schedule();
        return scoreNow(model, row);
      }
      return new Promise<Float64Array>((resolve, reject) => {
        queue.push({ model, row, resolve, reject });
        options.onQueueDepth?.(waiting());
        if (inFlight >= maxInFlight) return; // a finishing call pumps the queue
        if (waiting() >= maxBatch) pump();
        else schedule();
      });
    },
    get depth() {
      return waiting();
    },
  };
}
