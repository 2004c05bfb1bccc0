// The in-process timing rule of the core's cells (core-goals.ts, onnx-compare.ts): a call's fastest
// rate over slices of ~1 ms, so the minimum catches a shared machine's quiet moments, with one
// clock read per slice (a read costs ~50 ns, a few percent of a single-row call).

/** How long a slice lasts at least, unless one call takes longer (then a slice is one call). */
const SLICE_MS = 1;
const MAX_CALLS_PER_SLICE = 1 << 16;

/** Runs `fn` `calls` times, one after the other (a returned promise is awaited first); the ms taken. */
async function slice(fn: () => unknown, calls: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) {
    const r = fn();
    if (r instanceof Promise) await r;
  }
  return performance.now() - t0;
}

/**
 * Calls per second of `fn` in its fastest slice, over about `budgetMs` (at least 3 slices) after a
 * warm-up of a tenth of that (at least one call), which also doubles the calls per slice until a
 * slice lasts ~1 ms. Slices still shorter than that after the warm-up keep doubling and are not
 * counted.
 */
export async function bestCallsPerSecond(fn: () => unknown, budgetMs: number): Promise<number> {
  let calls = 1;
  const warm = performance.now() + budgetMs / 10;
  do {
    if ((await slice(fn, calls)) < SLICE_MS && calls < MAX_CALLS_PER_SLICE) calls *= 2;
  } while (performance.now() < warm);
  let best = 0;
  const end = performance.now() + budgetMs;
  for (let counted = 0; counted < 3 || performance.now() < end; ) {
    const ms = await slice(fn, calls);
    if (ms < SLICE_MS && calls < MAX_CALLS_PER_SLICE) {
      calls *= 2;
      continue;
    }
    best = Math.max(best, (calls * 1000) / ms);
    counted++;
  }
  return best;
}

/**
 * Each of `fns`' bestCallsPerSecond over `budgetMs` in all, taken in `rounds` alternating turns of
 * budgetMs / rounds each (fns[0], fns[1], …, then again), so that a slow spell of the host, which
 * lasts seconds, lands on every side of a ratio between them instead of on one.
 */
export async function alternatingBestCallsPerSecond(
  fns: readonly (() => unknown)[],
  budgetMs: number,
  rounds = 4,
): Promise<number[]> {
  if (!(rounds >= 1)) throw new RangeError("alternatingBestCallsPerSecond: rounds must be at least 1");
  const best = fns.map(() => 0);
  for (let r = 0; r < rounds; r++) {
    for (const [i, fn] of fns.entries()) {
      best[i] = Math.max(best[i]!, await bestCallsPerSecond(fn, budgetMs / rounds));
    }
  }
  return best;
}
