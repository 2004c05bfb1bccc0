// Runs one fuzz target for a number of cases with fast-check: a case passes when the parser returns
// or throws one of its documented errors; anything else fails the run, shrunk to a small
// counterexample with the seed that replays it.
import fc from "fast-check";
import type { AnyFuzzTarget } from "./target.js";

export interface FuzzOptions {
  cases: number;
  /** fast-check's seed; a failure prints it (with the path) so it can be replayed. Default: random. */
  seed?: number;
  /** Called every `progressEvery` cases with the count so far. */
  onProgress?: (done: number) => void;
  progressEvery?: number;
}

export interface FuzzResult {
  target: string;
  cases: number;
  /** Inputs the parser accepted. */
  accepted: number;
  /** Inputs with another outcome the target named (a string result), by name. */
  outcomes: Record<string, number>;
  /** Inputs it refused with a documented error. */
  rejected: number;
  /** 0, or 1 when a case failed (the run stops there). */
  failures: number;
  ms: number;
  seed: number;
  /** The shrunk input and what it threw, when a case failed. */
  failure?: string;
}

export async function fuzz(target: AnyFuzzTarget, options: FuzzOptions): Promise<FuzzResult> {
  const c = await target.setup();
  let accepted = 0;
  let rejected = 0;
  const outcomes: Record<string, number> = {};
  let done = 0;
  const every = options.progressEvery ?? 100_000;
  const seed = options.seed ?? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
  const t0 = performance.now();
  try {
    const details = await fc.check(
      fc.asyncProperty(c.arbitrary, async (input) => {
        done++;
        if (options.onProgress && done % every === 0) options.onProgress(done);
        try {
          const out = await c.run(input);
          if (typeof out === "string") outcomes[out] = (outcomes[out] ?? 0) + 1;
          else accepted++;
        } catch (error) {
          if (!target.expected(error)) throw error;
          rejected++;
        }
      }),
      { numRuns: options.cases, seed },
    );
    const result: FuzzResult = {
      target: target.name,
      cases: details.numRuns,
      accepted,
      outcomes,
      rejected,
      failures: details.failed ? 1 : 0,
      ms: Math.round(performance.now() - t0),
      seed,
    };
    if (details.failed) {
      const error = details.errorInstance as Error | undefined;
      result.failure =
        `seed ${details.seed}, path ${details.counterexamplePath}: ` +
        `${fc.stringify(details.counterexample)} threw ${error?.name}: ${error?.message}\n${error?.stack ?? ""}`;
    }
    return result;
  } finally {
    await c.close?.();
  }
}
