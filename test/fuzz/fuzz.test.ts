// The short fuzz run of `npm test`: every target of test/fuzz/targets.ts for a few hundred cases
// (MLOPS_FUZZ_CASES overrides), with a fixed seed so a failure replays. The long run is
// `npm run fuzz -- --cases 1000000` (docs/fuzzing.md).
import { describe, expect, it } from "vitest";
import { fuzz } from "./harness.js";
import { FUZZ_TARGETS } from "./targets.js";

const CASES = Number(process.env.MLOPS_FUZZ_CASES ?? 400);
const SEED = Number(process.env.MLOPS_FUZZ_SEED ?? 20240609);

describe("fuzz (short run)", () => {
  for (const target of FUZZ_TARGETS) {
    it(`${target.name}: ${CASES} cases, only documented errors (${target.documented})`, async () => {
      const result = await fuzz(target, { cases: CASES, seed: SEED });
      expect(result.failure ?? "").toBe("");
      expect(result.cases).toBe(CASES);
      // The mix reaches both sides: some inputs parse, some are refused.
      expect(result.accepted).toBeGreaterThan(0);
      expect(result.rejected).toBeGreaterThan(0);
    });
  }
});
