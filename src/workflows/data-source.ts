// Where a training run's rows come from, described once so the run's params and tags can name it.
import { resolve } from "node:path";
import { loadCsv } from "../core/data/csv.js";
import type { Dataset } from "../core/data/dataset.js";
import { type MakeClassificationOptions, makeClassification } from "../core/data/synthetic.js";

/** A CSV file with a header row; `target` names the label column. Default target `"label"`. */
export interface CsvDataSource {
  kind: "csv";
  path: string;
  target?: string;
  /** The target's values are classes even if they look continuous (see LoadCsvOptions). Default false. */
  categoricalTarget?: boolean;
}

/** The built-in synthetic problem; `options` are merged over {@link DEFAULT_SYNTHETIC}. */
export interface SyntheticDataSource {
  kind: "synthetic";
  options?: MakeClassificationOptions;
}

export type DataSource = CsvDataSource | SyntheticDataSource;

/**
 * The quick-start data set: 20 features (the seed's `/predict` contract), 5000 rows, seed 42.
 * Frozen so callers cannot change what "the default model" means for everyone else.
 */
export const DEFAULT_SYNTHETIC: Readonly<MakeClassificationOptions> = Object.freeze({
  nSamples: 5000,
  nFeatures: 20,
  seed: 42,
});

export const DEFAULT_TARGET = "label";

/** A data source with every default filled in and the CSV path made absolute. */
export type ResolvedDataSource =
  | { kind: "csv"; path: string; target: string; categoricalTarget: boolean }
  | { kind: "synthetic"; options: MakeClassificationOptions };

export function resolveDataSource(source: DataSource = { kind: "synthetic" }): ResolvedDataSource {
  if (source.kind === "csv") {
    return {
      kind: "csv",
      path: resolve(source.path),
      target: source.target ?? DEFAULT_TARGET,
      categoricalTarget: source.categoricalTarget ?? false,
    };
  }
  return { kind: "synthetic", options: { ...DEFAULT_SYNTHETIC, ...(source.options ?? {}) } };
}

/** One line naming the data, e.g. `csv:/data/x.csv#label` or `synthetic:n_samples=5000,…`. */
export function describeDataSource(source: ResolvedDataSource): string {
  if (source.kind === "csv") return `csv:${source.path}#${source.target}`;
  const parts = Object.entries(source.options)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${snakeCase(k)}=${String(v)}`);
  return `synthetic:${parts.join(",")}`;
}

export async function loadDataSource(source: ResolvedDataSource): Promise<Dataset> {
  if (source.kind === "csv") {
    return loadCsv(source.path, { target: source.target, categoricalTarget: source.categoricalTarget });
  }
  return makeClassification(source.options);
}

/** `nEstimators` → `n_estimators`: MLflow-style keys for params. */
export function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
