import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import { DataError, type Dataset } from "./dataset.js";

const gunzipAsync = promisify(gunzip);

/** Options for {@link loadCsv} and {@link parseCsv}. */
export interface LoadCsvOptions {
  /** Name of the label column (required). */
  target: string;
  /** Feature columns, in this order. Default: every column except `target`, in file order. */
  features?: string[];
  /** Field separator: one character other than `"`, CR or LF. Default `","`. */
  delimiter?: string;
  /**
   * The target's values are classes even when they look continuous (a non-integer number, or more
   * than {@link MAX_NUMERIC_CLASSES} distinct numbers). Default false: such a target is refused, since
   * a regression target would otherwise train a classifier with one class per value.
   */
  categoricalTarget?: boolean;
}

/** More distinct numeric target values than this look like a regression target (see `categoricalTarget`). */
export const MAX_NUMERIC_CLASSES = 100;

const QUOTE = 34;
const LF = 10;
const CR = 13;

/** Cell spellings read as a missing value (NaN), besides an empty or all-blank cell. */
const MISSING = new Set(["nan", "NaN", "NA"]);

/**
 * Reads a CSV file with a header row into a {@link Dataset}. See {@link parseCsv} for the rules.
 * A gzip-compressed file (recognised by its magic bytes, whatever its name) is decompressed first;
 * a corrupt one is a {@link DataError}. File-system errors (ENOENT, …) propagate unchanged.
 */
export async function loadCsv(path: string, options: LoadCsvOptions): Promise<Dataset> {
  const bytes = await readFile(path);
  return parseCsv((isGzip(bytes) ? await gunzipFile(path, bytes) : bytes).toString("utf8"), options);
}

/** The gzip magic bytes; no UTF-8 text starts with them (0x8b cannot follow 0x1f). */
function isGzip(bytes: Buffer): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

async function gunzipFile(path: string, bytes: Buffer): Promise<Buffer> {
  try {
    return await gunzipAsync(bytes);
  } catch (error) {
    throw new DataError(`${path}: not a valid gzip file (${(error as Error).message})`);
  }
}

/**
 * Parses CSV text with a header row.
 *
 * - Header names are trimmed and must be unique. Blank lines are skipped; CRLF and LF both end a
 *   record; a UTF-8 BOM is ignored. Fields may be quoted (`"a,b"`, `""` for a quote, line breaks
 *   allowed inside quotes).
 * - Feature cells are JavaScript number literals and must be finite; an empty cell or `NaN`/`nan`/`NA`
 *   is a missing value (NaN). Anything else throws a {@link DataError} with `row` (1-based line number
 *   in the text, the header being line 1) and `column`.
 * - Labels: if every target value is an integer and the distinct values are exactly `0..K-1`, they are
 *   the class ids and `classNames`/`classLabels` are left unset. Otherwise the distinct labels are
 *   sorted (numerically when all are numbers, else by UTF-16 code unit) and mapped to ids in that
 *   order, with `classNames` (text) and `classLabels` (typed: int64 when all are integers, float64
 *   for other numbers, else string) recording the original labels. An empty target cell is an
 *   error. A numeric target with a non-integer value or more than {@link MAX_NUMERIC_CLASSES}
 *   distinct values is refused as continuous unless `categoricalTarget` is set.
 * - Columns that are neither the target nor in `features` are ignored (not parsed).
 */
export function parseCsv(text: string, options: LoadCsvOptions): Dataset {
  const delimiter = options.delimiter ?? ",";
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === "\n" || delimiter === "\r") {
    throw new DataError(
      `delimiter must be one character other than a quote or line break, got ${JSON.stringify(delimiter)}`,
    );
  }
  const reader = new RecordReader(text, delimiter.charCodeAt(0));

  const header = reader.next();
  if (header === undefined) throw new DataError("CSV text has no header row");
  const headerLine = reader.line;
  const names = header.map((h) => h.trim());
  const indexOf = new Map<string, number>();
  for (const [i, name] of names.entries()) {
    if (indexOf.has(name)) {
      throw new DataError(`duplicate column name "${name}" in header`, { row: headerLine, column: name });
    }
    indexOf.set(name, i);
  }
  const available = () => names.map((n) => JSON.stringify(n)).join(", ");

  const targetIndex = indexOf.get(options.target);
  if (targetIndex === undefined) {
    throw new DataError(`target column "${options.target}" not found; available columns: ${available()}`, {
      row: headerLine,
      column: options.target,
    });
  }
  const featureNames = options.features ? [...options.features] : names.filter((_, i) => i !== targetIndex);
  if (featureNames.length === 0) throw new DataError("no feature columns");
  const featureIndex = featureNames.map((name) => {
    const i = indexOf.get(name);
    if (i === undefined) {
      throw new DataError(`feature column "${name}" not found; available columns: ${available()}`, {
        row: headerLine,
        column: name,
      });
    }
    if (i === targetIndex)
      throw new DataError(`column "${name}" is both target and feature`, { column: name });
    return i;
  });
  if (new Set(featureIndex).size !== featureIndex.length)
    throw new DataError("features lists a column twice");

  const nFeatures = featureIndex.length;
  const nColumns = names.length;
  let x = new Float64Array(nFeatures * 1024);
  const labels: string[] = [];
  let nRows = 0;
  for (let fields = reader.next(); fields !== undefined; fields = reader.next()) {
    const row = reader.line;
    if (fields.length !== nColumns) {
      throw new DataError(`line ${row} has ${fields.length} fields, the header has ${nColumns}`, { row });
    }
    // In range: fields.length === nColumns, and every index below comes from the header.
    const label = fields[targetIndex]!.trim();
    if (label === "") {
      throw new DataError(`line ${row}: missing target value in column "${options.target}"`, {
        row,
        column: options.target,
      });
    }
    labels.push(label);
    if ((nRows + 1) * nFeatures > x.length) {
      const grown = new Float64Array(x.length * 2);
      grown.set(x);
      x = grown;
    }
    const base = nRows * nFeatures;
    for (let j = 0; j < nFeatures; j++) {
      const cell = fields[featureIndex[j]!]!;
      // Number() covers the common case without any per-cell regex; only odd cells take the slow path.
      const v = Number(cell);
      if (Number.isFinite(v) && (v !== 0 || cell.trim() !== "")) {
        x[base + j] = v;
      } else if (isMissing(cell)) {
        x[base + j] = Number.NaN;
      } else {
        throw new DataError(`line ${row}, column "${featureNames[j]}": bad value ${JSON.stringify(cell)}`, {
          row,
          column: featureNames[j],
        });
      }
    }
    nRows++;
  }

  const { y, classNames, classLabels } = encodeLabels(
    labels,
    options.target,
    options.categoricalTarget ?? false,
  );
  const ds: Dataset = { x: x.slice(0, nRows * nFeatures), y, nRows, nFeatures, featureNames };
  if (classNames) ds.classNames = classNames;
  if (classLabels) ds.classLabels = classLabels;
  return ds;
}

function isMissing(cell: string): boolean {
  const t = cell.trim();
  return t === "" || MISSING.has(t);
}

interface EncodedLabels {
  y: Float64Array;
  classNames?: string[];
  classLabels?: Dataset["classLabels"];
}

/** Turns label strings into class ids (see {@link parseCsv} for the rule). */
function encodeLabels(labels: string[], target: string, categorical: boolean): EncodedLabels {
  const n = labels.length;
  const values = new Float64Array(n);
  let numeric = true;
  for (let i = 0; i < n; i++) {
    values[i] = Number(labels[i]);
    if (!Number.isFinite(values[i])) {
      numeric = false;
      break;
    }
  }

  if (numeric) {
    let max = -1;
    let integral = true;
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      if (!Number.isInteger(v) || v < 0) {
        integral = false;
        break;
      }
      if (v > max) max = v;
    }
    // Contiguous ids need max + 1 distinct values, so max < n bounds the table below.
    if (integral && max < n) {
      const seen = new Uint8Array(max + 1);
      let distinct = 0;
      for (let i = 0; i < n; i++) {
        const v = values[i]!;
        if (seen[v] === 0) {
          seen[v] = 1;
          distinct++;
        }
      }
      if (distinct === max + 1) return { y: values };
    }
    // -0 and 0 are one class (a Set keeps them apart only by SameValueZero, which already merges them).
    const sorted = [...new Set(values)].sort((a, b) => a - b);
    const whole = sorted.every((v) => Number.isInteger(v));
    if (!categorical && (!whole || sorted.length > MAX_NUMERIC_CLASSES)) {
      const why = whole
        ? `${sorted.length} distinct numbers (more than ${MAX_NUMERIC_CLASSES})`
        : `non-integer numbers such as ${sorted.find((v) => !Number.isInteger(v))}`;
      throw new DataError(
        `target column "${target}" looks continuous (${why}): a classifier needs class labels; if these values are classes, pass --categorical-target`,
        { column: target },
      );
    }
    const id = new Map(sorted.map((v, k) => [v, k]));
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) y[i] = id.get(values[i]!)!;
    const safe = sorted.every((v) => Number.isSafeInteger(v));
    return {
      y,
      classNames: sorted.map((v) => String(v)),
      classLabels: whole && safe ? { kind: "int64", values: sorted } : { kind: "float64", values: sorted },
    };
  }

  const sorted = [...new Set(labels)].sort();
  const id = new Map(sorted.map((s, k) => [s, k]));
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = id.get(labels[i]!)!;
  return { y, classNames: sorted, classLabels: { kind: "string", values: sorted } };
}

/**
 * Splits text into records. Lines without a quote take a fast `split`; a line with a quote is parsed
 * character by character and may continue over following lines.
 */
class RecordReader {
  /** 1-based line on which the record last returned by `next()` starts. */
  line = 0;
  private pos: number;
  private nextLine = 1;
  private nextQuote: number;
  private readonly delimiter: string;

  constructor(
    private readonly text: string,
    private readonly delimiterCode: number,
  ) {
    this.pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
    this.delimiter = String.fromCharCode(delimiterCode);
    this.nextQuote = text.indexOf('"', this.pos);
  }

  next(): string[] | undefined {
    const { text } = this;
    while (this.pos < text.length) {
      const start = this.pos;
      this.line = this.nextLine;
      let eol = text.indexOf("\n", start);
      if (eol === -1) eol = text.length;
      // Cached so that a file without quotes is scanned for them once, not once per line.
      if (this.nextQuote !== -1 && this.nextQuote < start) this.nextQuote = text.indexOf('"', start);
      if (this.nextQuote !== -1 && this.nextQuote < eol) return this.parseQuoted(start);
      this.pos = eol + 1;
      this.nextLine++;
      const end = eol > start && text.charCodeAt(eol - 1) === CR ? eol - 1 : eol;
      if (end === start) continue; // blank line
      return text.slice(start, end).split(this.delimiter);
    }
    return undefined;
  }

  private parseQuoted(start: number): string[] {
    const { text, delimiterCode } = this;
    const n = text.length;
    const fields: string[] = [];
    let i = start;
    for (;;) {
      if (i < n && text.charCodeAt(i) === QUOTE) {
        const openLine = this.nextLine;
        let value = "";
        let seg = i + 1;
        for (;;) {
          const q = text.indexOf('"', seg);
          if (q === -1) {
            throw new DataError(`unterminated quoted field starting on line ${openLine}`, { row: openLine });
          }
          value += text.slice(seg, q);
          if (text.charCodeAt(q + 1) === QUOTE) {
            value += '"';
            seg = q + 2;
          } else {
            i = q + 1;
            break;
          }
        }
        for (let k = value.indexOf("\n"); k !== -1; k = value.indexOf("\n", k + 1)) this.nextLine++;
        const c = text.charCodeAt(i);
        if (i < n && c !== delimiterCode && c !== LF && c !== CR) {
          throw new DataError(`line ${this.nextLine}: unexpected character after closing quote`, {
            row: this.nextLine,
          });
        }
        fields.push(value);
      } else {
        let j = i;
        while (j < n) {
          const c = text.charCodeAt(j);
          if (c === delimiterCode || c === LF || c === CR) break;
          j++;
        }
        fields.push(text.slice(i, j));
        i = j;
      }
      if (i < n && text.charCodeAt(i) === delimiterCode) {
        i++;
        continue;
      }
      if (i < n && text.charCodeAt(i) === CR) i++;
      if (i < n && text.charCodeAt(i) === LF) i++;
      this.nextLine++;
      this.pos = i;
      this.nextQuote = text.indexOf('"', i);
      return fields;
    }
  }
}
