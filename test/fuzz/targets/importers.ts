// The model importers (src/models/import): XGBoost JSON and UBJSON, LightGBM text, ONNX-ML, one
// target each, with the format forced so that every mutant reaches that format's parser. Seeds come
// from the fixtures the import tests use (test/fixtures/import/<format>/, written by the real
// libraries), cut down to their first trees (./import-seeds.ts): 6 cases in 10 are byte mutants of
// a cut-down model, 3 field-level mutants of one, 1 a byte mutant of a whole fixture. A mutant that
// imports must also score a row.
import fc from "fast-check";
import { type IMPORT_FORMATS, importModel } from "../../../src/models/import/index.js";
import { ServiceError } from "../../../src/rpc/service-error.js";
import { mutatedBytes, mutatedFields } from "../mutate.js";
import type { FuzzTarget } from "../target.js";
import { type ImporterSeeds, lightgbmSeeds, onnxSeeds, xgboostSeeds } from "./import-seeds.js";

type Format = (typeof IMPORT_FORMATS)[number];

function importAndScore(bytes: Uint8Array, format: Format): void {
  const imported = importModel(bytes, { format });
  try {
    const row = new Float64Array(imported.nFeatures).fill(0.5);
    const proba = imported.model.predictProba(row, 1);
    if (proba.length !== imported.model.nClasses)
      throw new Error(`predictProba returned ${proba.length} values`);
  } finally {
    imported.model.dispose();
  }
}

function importerTarget(format: Format, parser: string, seeds: () => ImporterSeeds): FuzzTarget<Uint8Array> {
  return {
    name: `import-${format}`,
    parser,
    documented:
      "ServiceError INVALID_ARGUMENT (malformed, naming the field) or UNIMPLEMENTED (unsupported feature)",
    expected: (e) =>
      e instanceof ServiceError && (e.code === "INVALID_ARGUMENT" || e.code === "UNIMPLEMENTED"),
    async setup() {
      const { full, small, fields } = seeds();
      if (full.length === 0) throw new Error(`no ${format} fixtures`);
      // A cut-down seed that no longer imports would leave the run fuzzing only the refusals.
      for (const [i, s] of small.entries()) {
        try {
          importAndScore(s, format);
        } catch (e) {
          throw new Error(`the cut-down ${format} seed ${i} does not import: ${(e as Error).message}`);
        }
      }
      return {
        arbitrary: fc.oneof(
          { weight: 6, arbitrary: mutatedBytes(small, { maxEdits: 4 }) },
          { weight: 3, arbitrary: mutatedFields(fields) },
          { weight: 1, arbitrary: mutatedBytes(full, { maxEdits: 4 }) },
        ),
        run: (bytes) => importAndScore(bytes, format),
      };
    },
  };
}

export const xgboostImportTarget = importerTarget(
  "xgboost",
  "XGBoost JSON and UBJSON model file → native artifact (importModel, format xgboost), then a scored row",
  xgboostSeeds,
);
export const lightgbmImportTarget = importerTarget(
  "lightgbm",
  "LightGBM text model file → native artifact (importModel, format lightgbm), then a scored row",
  lightgbmSeeds,
);
export const onnxImportTarget = importerTarget(
  "onnx",
  "ONNX-ML model (protobuf) → native artifact (importModel, format onnx), then a scored row",
  onnxSeeds,
);
