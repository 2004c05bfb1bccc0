// Server comparisons repeated in rounds: on a shared machine the host's slow spells last seconds to
// minutes, so one run per server lets a spell land on one side of a ratio only. Each round runs
// every cell in order (ours right before its baselines); the fastest of rounds minutes apart is
// what each server does when it is not held back.
import type { LoadResult } from "./load-result.js";

/** One load run's result, with the server's CPU per request where it was measured. */
export interface Measured {
  load: LoadResult;
  cpuUs?: number;
}

/**
 * Runs every cell's `measure` once per round, cells in order, rounds one after the other. Keeps each
 * cell's fastest round (its rps, latencies and server CPU) with the errors and non-2xx replies of
 * all its rounds added up, so a failure in any round still fails the gates. `rounds` ≥ 1.
 */
export async function measureInRounds<C extends { measure: () => Promise<Measured> }>(
  cells: readonly C[],
  rounds: number,
  onRound?: (cell: C, round: number, got: Measured) => void,
): Promise<Measured[]> {
  const kept: (Measured | undefined)[] = cells.map(() => undefined);
  for (let r = 0; r < rounds; r++) {
    for (const [i, cell] of cells.entries()) {
      const got = await cell.measure();
      onRound?.(cell, r, got);
      const prev = kept[i];
      if (prev === undefined) {
        kept[i] = got;
        continue;
      }
      const best = got.load.rps > prev.load.rps ? got : prev;
      const errors = prev.load.errors + got.load.errors;
      const non2xx = prev.load.non2xx + got.load.non2xx;
      kept[i] = { ...best, load: { ...best.load, errors, non2xx } };
    }
  }
  return kept.map((m) => {
    if (m === undefined) throw new RangeError("measureInRounds: rounds must be at least 1");
    return m;
  });
}
