import type { ClassLabels } from "../native.js";

/**
 * The in-memory table every trainer and metric works on.
 *
 * `x` is row-major `nRows × nFeatures` (row `i` starts at `i * nFeatures`), missing values are NaN.
 * `y` holds class ids `0..K-1` stored as float64 so it can go to the native core without a copy.
 * `classNames[k]`, when present, is the original label that was mapped to class id `k`, as text;
 * `classLabels` holds the same labels typed (int64, float64 or string), as the artifact stores them.
 */
export interface Dataset {
  x: Float64Array;
  y: Float64Array;
  nRows: number;
  nFeatures: number;
  featureNames: string[];
  classNames?: string[];
  classLabels?: ClassLabels;
}

/** Stable code carried by every {@link DataError}. */
export const ERR_DATA = "ERR_DATA" as const;

/**
 * Bad input data or bad options for data functions. `row` is the 1-based line number in the source
 * file and `column` the column name, when the error is tied to one cell or column.
 */
export class DataError extends Error {
  readonly code = ERR_DATA;
  readonly row?: number;
  readonly column?: string;

  constructor(message: string, where: { row?: number; column?: string } = {}) {
    super(message);
    this.name = "DataError";
    if (where.row !== undefined) this.row = where.row;
    if (where.column !== undefined) this.column = where.column;
  }
}
