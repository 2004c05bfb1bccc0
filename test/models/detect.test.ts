import { describe, expect, it } from "vitest";
import { detectFormat, importModel } from "../../src/models/import/index.js";
import { ServiceError } from "../../src/rpc/service-error.js";
import { fixture } from "./fixture-data.js";

describe("--format auto", () => {
  it("tells the formats apart by content, whatever the file is called", () => {
    expect(detectFormat(fixture("xgboost/dart.json"))).toBe("xgboost");
    expect(detectFormat(fixture("xgboost/categorical.ubj"))).toBe("xgboost");
    expect(detectFormat(fixture("lightgbm/forest.txt"))).toBe("lightgbm");
    expect(detectFormat(fixture("onnx/logistic-binary.onnx"))).toBe("onnx");
    expect(detectFormat(new TextEncoder().encode('{"hello": 1}'))).toBeUndefined();
    expect(detectFormat(new Uint8Array(0))).toBeUndefined();
  });

  it("refuses a file no importer recognises with INVALID_ARGUMENT, and an explicit format is honoured", () => {
    let error: unknown;
    try {
      importModel(new TextEncoder().encode("id,label\n1,0\n"));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).code).toBe("INVALID_ARGUMENT");
    expect(importModel(fixture("lightgbm/binary.txt"), { format: "lightgbm" }).format).toBe("lightgbm");
    expect(() => importModel(fixture("lightgbm/binary.txt"), { format: "onnx" })).toThrow(/^onnx: /);
  });
});
