// The call the core's and the import section's scoring cells time: one model on `batch` rows of a
// pool, each call on the next rows.
import type { ClassifierModel } from "../../src/core/model.js";

/**
 * A synchronous `predictProba` of `model` on `batch` rows of `rows` (the pool), each call on the
 * next rows, into one output buffer. Single rows are one-row views made up front: a single-row
 * call's cost without the harness's `subarray()` per call (~0.1-0.2 µs, more than a tenth of the
 * 1.5 µs goal).
 */
export function poolCall(model: ClassifierModel, rows: Float64Array, batch: number): () => void {
  const nf = model.nFeatures;
  const pool = rows.length / nf;
  const out = new Float64Array(batch * model.nClasses);
  const views =
    batch === 1 ? Array.from({ length: pool }, (_, i) => rows.subarray(i * nf, (i + 1) * nf)) : [];
  let r = 0;
  return () => {
    model.predictProba(views[r] ?? rows.subarray(r * nf, (r + batch) * nf), batch, out);
    r = (r + batch) % (pool - batch + 1);
  };
}
