// Server comparisons repeated in rounds: on a shared machine the host's slow spells last seconds to
// minutes, so one run per server lets a spell land on one side of a ratio only. Many short rounds,
// every cell once in each (ours beside its baselines), give every cell several chances at a quiet
// spell; the fastest round is what each server does when it is not held back. Odd rounds run the
// cells in reverse order, so no cell always follows the same neighbour's load.
import type { LoadResult } from "./load-result.js";

/** One load run's result, with the server's CPU per request where it was measured. */
export interface Measured {
  load: LoadResult;
  cpuUs?: number;
}

/** A cell's kept round, with every round's rps in the order they ran. */
export interface KeptRounds extends Measured {
  roundsRps: number[];
}

/**
 * Runs every cell's `measure(round)` once per round (round 0 first, so a cell can warm up longer
 * there), forward in even rounds and backward in odd ones. Keeps each cell's fastest round (its rps,
 * latencies and server CPU) with the errors and non-2xx replies of all its rounds added up, so a
 * failure in any round still fails the gates. `rounds` ≥ 1.
 */
export async function measureInRounds<C extends { measure: (round: number) => Promise<Measured> }>(
  cells: readonly C[],
  rounds: number,
  onRound?: (cell: C, round: number, got: Measured) => void,
): Promise<KeptRounds[]> {
  if (!(rounds >= 1)) throw new RangeError("measureInRounds: rounds must be at least 1");
  const kept: (KeptRounds | undefined)[] = cells.map(() => undefined);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < cells.length; k++) {
      const i = r % 2 === 0 ? k : cells.length - 1 - k;
      const cell = cells[i] as C;
      const got = await cell.measure(r);
      onRound?.(cell, r, got);
      const prev = kept[i];
      if (prev === undefined) {
        kept[i] = { ...got, roundsRps: [got.load.rps] };
        continue;
      }
      const best = got.load.rps > prev.load.rps ? got : prev;
      const errors = prev.load.errors + got.load.errors;
      const non2xx = prev.load.non2xx + got.load.non2xx;
      kept[i] = {
        load: { ...best.load, errors, non2xx },
        cpuUs: best.cpuUs,
        roundsRps: [...prev.roundsRps, got.load.rps],
      };
    }
  }
  return kept as KeptRounds[];
}
