import { describe, expect, it } from "vitest";
import { formatFields, formatTable } from "../../src/cli/table.js";

describe("formatTable", () => {
  it("pads every column to its widest cell, right-aligning where asked, without trailing spaces", () => {
    const text = formatTable(
      ["NAME", "N", "NOTE"],
      [
        ["a", "1", "x"],
        ["longer", "100", ""],
      ],
      { align: ["left", "right"] },
    );
    expect(text).toBe(`${["NAME      N  NOTE", "a         1  x", "longer  100"].join("\n")}\n`);
  });

  it("counts code points, so arrows and accents line up", () => {
    const lines = formatTable(["FROM → TO", "X"], [["é → è", "1"]]).split("\n");
    expect(lines[0]!.indexOf("X")).toBe([...lines[1]!].indexOf("1"));
  });

  it("prints the empty message instead of a lone header, and honours the gap", () => {
    expect(formatTable(["A"], [])).toBe("(none)\n");
    expect(formatTable(["A"], [], { empty: "nothing yet" })).toBe("nothing yet\n");
    expect(formatTable(["A", "B"], [["1", "2"]], { gap: 1 })).toBe("A B\n1 2\n");
  });
});

describe("formatFields", () => {
  it("aligns values after the longest key", () => {
    expect(
      formatFields([
        ["run", "abc"],
        ["experiment", "Default"],
        ["x", ""],
      ]),
    ).toBe("run:        abc\nexperiment: Default\nx:\n");
  });
});
