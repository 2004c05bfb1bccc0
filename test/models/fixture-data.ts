// Reads the committed import fixtures: a model file and its expected predictions (rows, the origin's
// probabilities and predicted classes), made by the scripts in scripts/fixtures/.
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { expect } from "vitest";
import type { ClassifierModel } from "../../src/core/index.js";

export const FIXTURES = new URL("../fixtures/import/", import.meta.url);

export interface Expected {
  rows: Float64Array;
  nRows: number;
  nFeatures: number;
  proba: number[][];
  predicted: number[];
}

export function fixture(path: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(path, FIXTURES)));
}

export function expected(path: string): Expected {
  return expectedAt(new URL(path, FIXTURES));
}

/** The expected outputs in a `*.expected.json.gz` file anywhere (a script's fresh output, say). */
export function expectedAt(file: string | URL): Expected {
  const body = JSON.parse(gunzipSync(readFileSync(file)).toString("utf8")) as {
    rows: (number | null)[][];
    proba: number[][];
    predicted: number[];
  };
  const nFeatures = body.rows[0]?.length ?? 0;
  const rows = new Float64Array(body.rows.length * nFeatures);
  body.rows.forEach((r, i) => {
    r.forEach((v, j) => {
      rows[i * nFeatures + j] = v === null ? Number.NaN : v;
    });
  });
  return { rows, nRows: body.rows.length, nFeatures, proba: body.proba, predicted: body.predicted };
}

/** Every probability within `tol` of the origin's, and the origin's predicted class on every row. */
export function expectParity(model: ClassifierModel, want: Expected, tol = 1e-6): { maxDiff: number } {
  expect(want.nRows).toBeGreaterThanOrEqual(1000);
  const got = model.predictProba(want.rows, want.nRows);
  const nc = model.nClasses;
  let maxDiff = 0;
  let wrongClass = 0;
  for (let r = 0; r < want.nRows; r++) {
    let best = 0;
    for (let k = 0; k < nc; k++) {
      const d = Math.abs((got[r * nc + k] ?? Number.NaN) - (want.proba[r]?.[k] ?? Number.NaN));
      maxDiff = Math.max(maxDiff, Number.isNaN(d) ? Number.POSITIVE_INFINITY : d);
      if ((got[r * nc + k] ?? 0) > (got[r * nc + best] ?? 0)) best = k;
    }
    if (best !== want.predicted[r]) wrongClass++;
  }
  expect(maxDiff).toBeLessThanOrEqual(tol);
  expect(wrongClass).toBe(0);
  return { maxDiff };
}
