import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCsv, parseCsv } from "../../src/core/data/csv.js";
import { DataError } from "../../src/core/data/dataset.js";
import { selectRows, splitRows } from "../../src/core/data/split.js";
import { DATASET, DATASET_SHA256 } from "../helpers/dataset.js";

function thrown(fn: () => unknown): DataError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error("expected a DataError");
}

describe("the fixed dataset in data/", () => {
  it("decompresses to the published CSV (sha256)", async () => {
    const csv = gunzipSync(await readFile(DATASET));
    expect(createHash("sha256").update(csv).digest("hex")).toBe(DATASET_SHA256);
  });

  it("loads 10000 × 20 with labels {0, 1} and names f0..f19", async () => {
    const ds = await loadCsv(DATASET, { target: "label" });
    expect(ds.nRows).toBe(10000);
    expect(ds.nFeatures).toBe(20);
    expect(ds.x.length).toBe(200000);
    expect(ds.y.length).toBe(10000);
    expect(ds.featureNames).toEqual(Array.from({ length: 20 }, (_, i) => `f${i}`));
    expect(ds.classNames).toBeUndefined();
    expect(new Set(ds.y)).toEqual(new Set([0, 1]));
    // First data line of the file: 1.006691,0.405354,…,-1.270045,1
    expect(ds.x[0]).toBe(1.006691);
    expect(ds.x[1]).toBe(0.405354);
    expect(ds.x[19]).toBe(-1.270045);
    expect(ds.y[0]).toBe(1);
    expect(ds.x.every((v) => Number.isFinite(v))).toBe(true);
  });

  it("splits 8000 / 2000 in file order", async () => {
    const ds = await loadCsv(DATASET, { target: "label" });
    const { train, test } = splitRows(ds);
    expect(train.nRows).toBe(8000);
    expect(test.nRows).toBe(2000);
    expect(train.x.length).toBe(8000 * 20);
    expect(train.x[0]).toBe(ds.x[0]);
    expect(test.x[0]).toBe(ds.x[8000 * 20]);
    expect(test.y[1999]).toBe(ds.y[9999]);
  });

  it("reads a feature subset in the requested order", async () => {
    const ds = await loadCsv(DATASET, { target: "label", features: ["f19", "f0"] });
    expect(ds.nFeatures).toBe(2);
    expect(ds.featureNames).toEqual(["f19", "f0"]);
    expect([ds.x[0], ds.x[1]]).toEqual([-1.270045, 1.006691]);
  });
});

describe("loadCsv on temporary files", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mlops-csv-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads CRLF files with a trailing newline", async () => {
    const path = join(dir, "crlf.csv");
    await writeFile(path, "a,b,y\r\n1,2,0\r\n3,4,1\r\n");
    const ds = await loadCsv(path, { target: "y" });
    expect(ds.nRows).toBe(2);
    expect([...ds.x]).toEqual([1, 2, 3, 4]);
    expect([...ds.y]).toEqual([0, 1]);
    expect(ds.featureNames).toEqual(["a", "b"]);
  });

  it("reads a gzip-compressed file, whatever its name, and rejects a corrupt one with ERR_DATA", async () => {
    const text = "a,b,y\n1,2,0\n3,4,1\n";
    const gz = join(dir, "plain-name.csv");
    await writeFile(gz, gzipSync(text));
    const ds = await loadCsv(gz, { target: "y" });
    expect([...ds.x]).toEqual([1, 2, 3, 4]);
    expect([...ds.y]).toEqual([0, 1]);
    const corrupt = join(dir, "corrupt.csv.gz");
    await writeFile(corrupt, gzipSync(text).subarray(0, 12));
    await expect(loadCsv(corrupt, { target: "y" })).rejects.toMatchObject({ code: "ERR_DATA" });
  });

  it("rejects with ENOENT for a missing file", async () => {
    await expect(loadCsv(join(dir, "nope.csv"), { target: "y" })).rejects.toMatchObject({ code: "ENOENT" });
  });
});

describe("parseCsv", () => {
  it("reads empty cells and NaN spellings as NaN", () => {
    const ds = parseCsv("a,b,c,y\n1,,3,0\n ,NaN,NA,1\n", { target: "y" });
    expect(Array.from(ds.x, (v) => (Number.isNaN(v) ? "nan" : v))).toEqual([
      1,
      "nan",
      3,
      "nan",
      "nan",
      "nan",
    ]);
  });

  it("reports a bad cell with its 1-based file line and column", () => {
    // line 1 header, line 2 first row, line 3 blank (skipped but counted), line 4 the bad row
    const e = thrown(() => parseCsv("a,b,y\n1,2,0\n\n3,oops,1\n", { target: "y" }));
    expect(e.code).toBe("ERR_DATA");
    expect(e.row).toBe(4);
    expect(e.column).toBe("b");
    expect(e.message).toContain("oops");
  });

  it("rejects non-finite and partly numeric cells", () => {
    expect(thrown(() => parseCsv("a,y\nInfinity,0\n", { target: "y" })).column).toBe("a");
    expect(thrown(() => parseCsv("a,y\n1.5x,0\n", { target: "y" })).row).toBe(2);
  });

  it("fails on a missing target column and names the available ones", () => {
    const e = thrown(() => parseCsv("a,b,label\n1,2,0\n", { target: "class" }));
    expect(e.code).toBe("ERR_DATA");
    expect(e.column).toBe("class");
    expect(e.message).toContain("label");
  });

  it("fails on an empty target cell", () => {
    const e = thrown(() => parseCsv("a,y\n1,0\n2,\n", { target: "y" }));
    expect(e.code).toBe("ERR_DATA");
    expect(e.row).toBe(3);
    expect(e.column).toBe("y");
  });

  it("fails on an unknown or duplicated feature", () => {
    expect(thrown(() => parseCsv("a,y\n1,0\n", { target: "y", features: ["b"] })).column).toBe("b");
    expect(thrown(() => parseCsv("a,y\n1,0\n", { target: "y", features: ["a", "a"] })).code).toBe("ERR_DATA");
    expect(thrown(() => parseCsv("a,a,y\n1,2,0\n", { target: "y" })).column).toBe("a");
  });

  it("fails on a ragged row with its line number", () => {
    const e = thrown(() => parseCsv("a,b,y\n1,2,0\n1,2\n", { target: "y" }));
    expect(e.code).toBe("ERR_DATA");
    expect(e.row).toBe(3);
  });

  it("reads quoted fields with delimiters, doubled quotes and line breaks", () => {
    const text = 'name,x,y\n"Smith, J",1.5,"cat"\n"say ""hi""","2",dog\n"two\nlines",3,"cat"\n4,"4",bird\n';
    const ds = parseCsv(text, { target: "y", features: ["x"] });
    expect([...ds.x]).toEqual([1.5, 2, 3, 4]);
    expect(ds.classNames).toEqual(["bird", "cat", "dog"]);
    expect([...ds.y]).toEqual([1, 2, 1, 0]);
    // the quoted line break moves later rows down: "4" is on line 6
    const bad = thrown(() => parseCsv(text.replace('4,"4"', '4,"four"'), { target: "y", features: ["x"] }));
    expect(bad.row).toBe(6);
  });

  it("fails on an unterminated quote", () => {
    expect(thrown(() => parseCsv('a,y\n"1,0\n', { target: "y" })).row).toBe(2);
  });

  it("maps string labels to sorted class ids", () => {
    const ds = parseCsv("a,y\n1,yes\n2,no\n3,maybe\n4,no\n", { target: "y" });
    expect(ds.classNames).toEqual(["maybe", "no", "yes"]);
    expect([...ds.y]).toEqual([2, 1, 0, 1]);
  });

  it("keeps contiguous integer labels and remaps the rest numerically", () => {
    const direct = parseCsv("a,y\n1,2\n2,0\n3,1\n", { target: "y" });
    expect(direct.classNames).toBeUndefined();
    expect([...direct.y]).toEqual([2, 0, 1]);
    // 1-based and gappy labels are not ids: sorted numerically (2 before 10), not as strings
    const mapped = parseCsv("a,y\n1,10\n2,1\n3,2\n", { target: "y" });
    expect(mapped.classNames).toEqual(["1", "2", "10"]);
    expect([...mapped.y]).toEqual([2, 0, 1]);
  });

  it("honours another delimiter and a UTF-8 BOM", () => {
    const ds = parseCsv("\uFEFFa;b;y\n1.5;2;0\n", { target: "y", delimiter: ";" });
    expect(ds.featureNames).toEqual(["a", "b"]);
    expect([...ds.x]).toEqual([1.5, 2]);
    expect(thrown(() => parseCsv("a;y\n1,5;0\n", { target: "y", delimiter: ";" })).column).toBe("a");
    expect(thrown(() => parseCsv("a,y\n", { target: "y", delimiter: ",," })).code).toBe("ERR_DATA");
  });
});

describe("splitRows / selectRows", () => {
  const ds = parseCsv("a,b,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n9,10,1\n", { target: "y" });

  it("takes round(nRows × trainFraction) leading rows; default 0.8", () => {
    expect(splitRows(ds).train.nRows).toBe(4);
    const { train, test } = splitRows(ds, { trainFraction: 0.4 });
    expect([...train.x]).toEqual([1, 2, 3, 4]);
    expect([...test.x]).toEqual([5, 6, 7, 8, 9, 10]);
    expect([...test.y]).toEqual([0, 1, 1]);
    expect(thrown(() => splitRows(ds, { trainFraction: 1.5 })).code).toBe("ERR_DATA");
  });

  it("copies rows and checks bounds", () => {
    const part = selectRows(ds, 1, 3);
    expect(part.nRows).toBe(2);
    expect([...part.x]).toEqual([3, 4, 5, 6]);
    part.x[0] = 99;
    expect(ds.x[2]).toBe(3);
    expect(selectRows(ds, 5, 5).nRows).toBe(0);
    expect(thrown(() => selectRows(ds, 2, 6)).code).toBe("ERR_DATA");
    expect(thrown(() => selectRows(ds, 3, 2)).code).toBe("ERR_DATA");
  });
});

describe("continuous targets", () => {
  it("types the labels it keeps and refuses a target that looks like a regression", () => {
    const strings = parseCsv("a,y\n1,no\n2,yes\n", { target: "y" });
    expect(strings.classLabels).toEqual({ kind: "string", values: ["no", "yes"] });
    const ints = parseCsv("a,y\n1,2\n2,1\n", { target: "y" });
    expect(ints.classLabels).toEqual({ kind: "int64", values: [1, 2] });
    expect(parseCsv("a,y\n1,0\n2,1\n", { target: "y" }).classLabels).toBeUndefined();
    for (const text of [
      "a,y\n1,0.5\n2,1.5\n",
      `a,y\n${Array.from({ length: 101 }, (_, i) => `${i},${i + 1}`).join("\n")}\n`,
    ]) {
      let error: unknown;
      try {
        parseCsv(text, { target: "y" });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DataError);
      expect((error as DataError).column).toBe("y");
      expect((error as DataError).message).toMatch(/looks continuous.*--categorical-target/);
    }
    const floats = parseCsv("a,y\n1,0.5\n2,1.5\n", { target: "y", categoricalTarget: true });
    expect(floats.classLabels).toEqual({ kind: "float64", values: [0.5, 1.5] });
    expect(Array.from(floats.y)).toEqual([0, 1]);
  });
});
