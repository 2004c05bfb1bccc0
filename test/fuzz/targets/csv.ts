// The CSV loader: parseCsv on text (quoting, line ends, BOM, cells, labels, the header), and in
// some cases loadCsv on a gzip file (the magic-byte check and gunzip), seeded with the shipped
// dataset's head and the spellings the loader documents.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import fc from "fast-check";
import { loadCsv, parseCsv } from "../../../src/core/data/csv.js";
import { DataError } from "../../../src/core/data/dataset.js";
import { DATASET } from "../../helpers/dataset.js";
import { mutatedBytes, mutatedText } from "../mutate.js";
import type { FuzzTarget } from "../target.js";

const CSV_TOKENS = [
  ",",
  '"',
  '""',
  "\n",
  "\r\n",
  "\r",
  "\ufeff",
  "NaN",
  "NA",
  "nan",
  "1e309",
  "-0",
  "0x1F",
  " ",
  "label",
];

interface CsvInput {
  mode: "text" | "gzip";
  text: string;
  gzip: Uint8Array;
  target: string;
  delimiter: string;
  features: string[] | undefined;
}

export const csvTarget: FuzzTarget<CsvInput> = {
  name: "csv",
  parser: "CSV text → dataset (parseCsv), gzip file → dataset (loadCsv)",
  documented: "DataError (ERR_DATA) with the row and column where it applies",
  expected: (e) => e instanceof DataError,
  async setup() {
    const text = gunzipSync(readFileSync(DATASET)).toString("utf8");
    const lines = text.split("\n");
    const head = lines.slice(0, 30).join("\n");
    const header = (lines[0] ?? "").split(",");
    const seeds = [
      head,
      `\ufeff${lines.slice(0, 6).join("\r\n")}\r\n`,
      'a,"b,c",label\n1,"2",yes\n"3","4\n5",no\n,NA,yes\n',
      "x;y;label\n1;2;0.5\n3;4;1.5\nnan;5;0.5\n",
      "f0,label\n1,cat\n2,dog\n3,cat\n",
    ];
    const dir = mkdtempSync(join(tmpdir(), "mlops-fuzz-csv-"));
    const file = join(dir, "data.csv.gz");
    const gzSeeds = seeds.slice(0, 3).map((s) => new Uint8Array(gzipSync(s)));
    return {
      arbitrary: fc.record({
        mode: fc.oneof(
          { weight: 15, arbitrary: fc.constant("text" as const) },
          { weight: 1, arbitrary: fc.constant("gzip" as const) },
        ),
        text: fc.oneof(
          { weight: 6, arbitrary: mutatedText(seeds, { tokens: CSV_TOKENS }) },
          { weight: 1, arbitrary: fc.string() },
        ),
        gzip: mutatedBytes(gzSeeds, { maxEdits: 3 }),
        // Every seed's target is "label": mostly that, so that mutants get past the header.
        target: fc.oneof(
          { weight: 12, arbitrary: fc.constant("label") },
          { weight: 2, arbitrary: fc.constantFrom("a", "f0", "y") },
          { weight: 1, arbitrary: fc.constantFrom(...header) },
          { weight: 1, arbitrary: fc.string({ maxLength: 4 }) },
        ),
        delimiter: fc.oneof(
          { weight: 14, arbitrary: fc.constant(",") },
          { weight: 1, arbitrary: fc.constantFrom(";", "\t", "|") },
          { weight: 1, arbitrary: fc.string({ maxLength: 2 }) },
        ),
        // Mostly every column but the target (the default); sometimes a chosen list.
        features: fc.oneof(
          { weight: 6, arbitrary: fc.constant(undefined) },
          {
            weight: 1,
            arbitrary: fc.array(fc.constantFrom(...header, "a", "b", "x", "zz"), { maxLength: 4 }),
          },
        ),
      }),
      async run(input) {
        const options = { target: input.target, delimiter: input.delimiter, features: input.features };
        if (input.mode === "text") return parseCsv(input.text, options);
        writeFileSync(file, input.gzip);
        return loadCsv(file, options);
      },
      close: () => rmSync(dir, { recursive: true, force: true }),
    };
  },
};
