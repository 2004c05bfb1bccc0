// What a fuzz target is. Every parser that takes outside input is one FuzzTarget in
// test/fuzz/targets.ts; the short run in `npm test` (test/fuzz/fuzz.test.ts) and the long run
// (`npm run fuzz`, test/fuzz/run.ts) both iterate that list, so adding a parser (an importer, a new
// transport) is one entry there.
import type fc from "fast-check";

/** One parser's input generator and driver, built once per run. */
export interface FuzzCase<I> {
  /** Inputs, seeded with real ones and mutated (test/fuzz/mutate.ts), or structured. */
  arbitrary: fc.Arbitrary<I>;
  /**
   * Feeds one input to the parser and checks what a success must satisfy; throws what the parser
   * throws. A string result names an outcome other than "parsed" (the REST target's "no route"),
   * which the run tallies on its own.
   */
  run(input: I): unknown;
  /** Frees what setup made (temp files, models). */
  close?(): Promise<void> | void;
}

export interface FuzzTarget<I = never> {
  /** Short, stable name: the `--targets` value and the row in docs/fuzzing.md. */
  name: string;
  /** What is driven, in a few words. */
  parser: string;
  /** The failures the parser documents; `expected` accepts exactly those. */
  documented: string;
  /** True for a documented failure; anything else thrown is a finding (a crash, in fuzzing terms). */
  expected(error: unknown): boolean;
  /** Builds the seeds and the arbitrary (may train models, read the dataset). */
  setup(): Promise<FuzzCase<I>>;
}

/** Lets the registry hold targets of different input types. */
// biome-ignore lint/suspicious/noExplicitAny: the registry is heterogeneous by design.
export type AnyFuzzTarget = FuzzTarget<any>;
