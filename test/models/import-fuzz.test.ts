import { describe, expect, it } from "vitest";
import { importModel } from "../../src/models/import/index.js";
import { ServiceError } from "../../src/rpc/service-error.js";
import { createRng } from "../kit/random-model.js";
import { fixture } from "./fixture-data.js";

/**
 * Hostile input, seeded with real files: random byte changes, insertions and cuts of every format's
 * fixtures. Each must import (and then score) or be refused as INVALID_ARGUMENT or UNIMPLEMENTED:
 * never another error, never a crash. (The long run belongs to the fuzzing of the hardening issue.)
 */

const SEEDS = [
  "xgboost/categorical.json",
  "xgboost/multi-softprob.json",
  "lightgbm/binary.txt",
  "lightgbm/multiclass.txt",
  "onnx/boosting-binary.onnx",
  "onnx/forest-strings.onnx",
  "onnx/logistic-strings.onnx",
];

function mutate(bytes: Uint8Array, rng: () => number): Uint8Array {
  const out = Array.from(bytes);
  const edits = 1 + Math.floor(rng() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rng() * out.length);
    const u = rng();
    if (u < 0.5) out[at] = Math.floor(rng() * 256);
    else if (u < 0.7) out.splice(at, 1 + Math.floor(rng() * 8));
    else if (u < 0.9)
      out.splice(at, 0, ...Array.from({ length: 1 + Math.floor(rng() * 4) }, () => Math.floor(rng() * 256)));
    else out.length = at;
  }
  return Uint8Array.from(out);
}

describe("importers under random corruption", () => {
  for (const name of SEEDS) {
    it(`${name}: 150 mutants import cleanly or are refused with INVALID_ARGUMENT / UNIMPLEMENTED`, () => {
      const bytes = fixture(name);
      const rng = createRng(name.length * 7919);
      let refused = 0;
      for (let i = 0; i < 150; i++) {
        const input = mutate(bytes, rng);
        try {
          const imported = importModel(input);
          const row = new Float64Array(imported.nFeatures).fill(0.5);
          expect(imported.model.predictProba(row, 1).length).toBe(imported.model.nClasses);
          imported.model.dispose();
        } catch (e) {
          expect(e).toBeInstanceOf(ServiceError);
          expect(["INVALID_ARGUMENT", "UNIMPLEMENTED"]).toContain((e as ServiceError).code);
          refused++;
        }
      }
      expect(refused).toBeGreaterThan(0);
    });
  }
});
