import { DataError, type Dataset } from "./dataset.js";

/** Options for {@link splitRows}. */
export interface SplitOptions {
  /** Share of rows, in [0, 1], that go to the training part. Default 0.8. */
  trainFraction?: number;
}

/**
 * The project's fixed evaluation protocol: the first `round(nRows × trainFraction)` rows train, the
 * rest test. Rows are kept in file order (no shuffle) so every run and every engine sees the same split.
 */
export function splitRows(ds: Dataset, options: SplitOptions = {}): { train: Dataset; test: Dataset } {
  const trainFraction = options.trainFraction ?? 0.8;
  if (!(trainFraction >= 0 && trainFraction <= 1)) {
    throw new DataError(`trainFraction must be in [0, 1], got ${trainFraction}`);
  }
  // round, not floor: 0.29 * 100 is 28.999… in binary floating point.
  const cut = Math.round(ds.nRows * trainFraction);
  return { train: selectRows(ds, 0, cut), test: selectRows(ds, cut, ds.nRows) };
}

/**
 * Rows `start` (inclusive) to `end` (exclusive) as a new Dataset. `x` and `y` are copies, so the
 * result never aliases the source; names are copied too.
 */
export function selectRows(ds: Dataset, start: number, end: number): Dataset {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || start > end || end > ds.nRows) {
    throw new DataError(`row range [${start}, ${end}) is not within [0, ${ds.nRows}]`);
  }
  const out: Dataset = {
    x: ds.x.slice(start * ds.nFeatures, end * ds.nFeatures),
    y: ds.y.slice(start, end),
    nRows: end - start,
    nFeatures: ds.nFeatures,
    featureNames: [...ds.featureNames],
  };
  if (ds.classNames) out.classNames = [...ds.classNames];
  if (ds.classLabels) out.classLabels = ds.classLabels;
  return out;
}
