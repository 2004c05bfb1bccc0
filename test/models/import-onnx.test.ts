import { describe, expect, it } from "vitest";
import { importOnnx } from "../../src/models/import/onnx.js";
import { ServiceError } from "../../src/rpc/service-error.js";
import { expected, expectParity, fixture } from "./fixture-data.js";

/**
 * Parity with scikit-learn (python3-sklearn 1.2) through ONNX-ML graphs laid out as skl2onnx lays
 * them out (scripts/fixtures/make-onnx.py): 1,200 held-out rows per model, a third of the values on
 * thresholds, missing values for HistGradientBoosting; every probability within 1e-6 of
 * scikit-learn's predict_proba and the same class on every row. test/models/onnxruntime.test.ts
 * checks the same files, and graphs using every node mode, against onnxruntime-node.
 */

const CASES = [
  ["forest-binary", "TreeEnsembleClassifier NONE", [0, 1]],
  ["forest-strings", "TreeEnsembleClassifier NONE", ["setosa", "versicolor", "virginica"]],
  ["boosting-binary", "TreeEnsembleClassifier LOGISTIC", [0, 1]],
  ["boosting-multi", "TreeEnsembleClassifier SOFTMAX", [0, 1, 2]],
  ["hist-boosting-missing", "TreeEnsembleClassifier LOGISTIC", [0, 1]],
  ["logistic-binary", "LinearClassifier LOGISTIC", [0, 1]],
  ["logistic-strings", "LinearClassifier SOFTMAX", ["maybe", "no", "yes"]],
] as const;

describe("ONNX-ML import (scikit-learn through the skl2onnx layout)", () => {
  for (const [name, objective, classes] of CASES) {
    it(`${name}: agrees with scikit-learn within 1e-6 and predicts the same class on every row`, () => {
      const imported = importOnnx(fixture(`onnx/${name}.onnx`));
      expect(imported.objective).toBe(objective);
      expect(imported.classes).toEqual(classes);
      expect(imported.nFeatures).toBe(5);
      expectParity(imported.model, expected(`onnx/${name}.expected.json.gz`));
    });
  }

  it("refuses other operators, post transforms and malformed graphs", () => {
    const rejection = (bytes: Uint8Array): ServiceError => {
      try {
        importOnnx(bytes);
      } catch (e) {
        expect(e).toBeInstanceOf(ServiceError);
        return e as ServiceError;
      }
      throw new Error("accepted");
    };
    for (const bytes of [
      new Uint8Array([1, 2, 3]),
      new TextEncoder().encode("not onnx"),
      new Uint8Array(0),
    ]) {
      const e = rejection(bytes);
      expect(["INVALID_ARGUMENT", "UNIMPLEMENTED"]).toContain(e.code);
      expect(e.message).toMatch(/^onnx: /);
    }
    const bytes = fixture("onnx/boosting-binary.onnx");
    for (let n = 1; n < bytes.length; n += 211) {
      const e = rejection(bytes.subarray(0, n));
      expect(["INVALID_ARGUMENT", "UNIMPLEMENTED"]).toContain(e.code);
    }
  });
});
