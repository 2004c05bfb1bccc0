// `mlops gc`'s duration flags (--grace, --older-than).
import { describe, expect, it } from "vitest";
import { duration, formatDurationFlag, InvalidArgumentError } from "../../src/cli/parse.js";

describe("duration flags", () => {
  it("reads 0, bare seconds and ms/s/m/h/d, and writes them back", () => {
    expect(duration("0")).toBe(0);
    expect(duration("90")).toBe(90_000);
    expect(duration("250ms")).toBe(250);
    expect(duration("1.5s")).toBe(1500);
    expect(duration("30m")).toBe(1_800_000);
    expect(duration(" 1h ")).toBe(3_600_000);
    expect(duration("7d")).toBe(604_800_000);
    expect(formatDurationFlag(3_600_000)).toBe("1h");
    expect(formatDurationFlag(90_000)).toBe("90s");
    expect(formatDurationFlag(250)).toBe("250ms");
    expect(formatDurationFlag(604_800_000)).toBe("7d");
  });

  it("refuses anything else as a usage error", () => {
    for (const bad of ["", "-1h", "soon", "1w", "1e3", "h", "1 h 2"]) {
      expect(() => duration(bad), bad).toThrow(InvalidArgumentError);
    }
  });
});
