// The project's fixed dataset, carried in the repository (gzip-compressed; loadCsv reads it as is).
import { join } from "node:path";

/** Absolute path of data/classification_20f_10k.csv.gz. */
export const DATASET = join(import.meta.dirname, "..", "..", "data", "classification_20f_10k.csv.gz");

/** The published sha256 of the uncompressed CSV (10,000 rows, f0..f19 and `label`). */
export const DATASET_SHA256 = "98e853cdee60e7d938d65a7b37e9c0df743f03185987248ab3abbf3eda7127c8";
