// The model importers (src/models/import): XGBoost JSON and UBJSON, LightGBM text, ONNX-ML, one
// target each, with the format forced so that every mutant reaches that format's parser. Seeds are
// the fixtures the import tests use (test/fixtures/import/<format>/, written by the real libraries).
// A mutant that imports must also score a row.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type IMPORT_FORMATS, importModel } from "../../../src/models/import/index.js";
import { ServiceError } from "../../../src/rpc/service-error.js";
import { mutatedBytes } from "../mutate.js";
import type { FuzzTarget } from "../target.js";

const FIXTURES = join(import.meta.dirname, "..", "..", "fixtures", "import");

/** Every fixture of `format` with one of `extensions` (the `.expected.json.gz` files are answers, not models). */
function seeds(format: string, extensions: readonly string[]): Uint8Array[] {
  const dir = join(FIXTURES, format);
  return readdirSync(dir)
    .filter((f) => extensions.some((e) => f.endsWith(e)) && !f.includes(".expected."))
    .sort()
    .map((f) => new Uint8Array(readFileSync(join(dir, f))));
}

function importerTarget(
  format: (typeof IMPORT_FORMATS)[number],
  parser: string,
  extensions: readonly string[],
): FuzzTarget<Uint8Array> {
  return {
    name: `import-${format}`,
    parser,
    documented:
      "ServiceError INVALID_ARGUMENT (malformed, naming the field) or UNIMPLEMENTED (unsupported feature)",
    expected: (e) =>
      e instanceof ServiceError && (e.code === "INVALID_ARGUMENT" || e.code === "UNIMPLEMENTED"),
    async setup() {
      const found = seeds(format, extensions);
      if (found.length === 0) throw new Error(`no ${format} fixtures under ${FIXTURES}`);
      return {
        arbitrary: mutatedBytes(found, { maxEdits: 4 }),
        run(bytes) {
          const imported = importModel(bytes, { format });
          try {
            const row = new Float64Array(imported.nFeatures).fill(0.5);
            const proba = imported.model.predictProba(row, 1);
            if (proba.length !== imported.model.nClasses) {
              throw new Error(`predictProba returned ${proba.length} values`);
            }
          } finally {
            imported.model.dispose();
          }
        },
      };
    },
  };
}

export const xgboostImportTarget = importerTarget(
  "xgboost",
  "XGBoost JSON and UBJSON model file → native artifact (importModel, format xgboost), then a scored row",
  [".json", ".ubj"],
);
export const lightgbmImportTarget = importerTarget(
  "lightgbm",
  "LightGBM text model file → native artifact (importModel, format lightgbm), then a scored row",
  [".txt"],
);
export const onnxImportTarget = importerTarget(
  "onnx",
  "ONNX-ML model (protobuf) → native artifact (importModel, format onnx), then a scored row",
  [".onnx"],
);
