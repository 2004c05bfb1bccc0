// What `npm pack` ships: the built library, never the test kit (test/kit, with the reference scorer)
// that tests and the bench share. Needs a build (`npm test` makes one first).
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");

function packedFiles(): string[] {
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  const [pack] = JSON.parse(out) as [{ files: { path: string }[] }]; // one package, one entry
  return pack.files.map((f) => f.path);
}

describe("package contents", () => {
  it("ships the built library and the addon's sources, but no test kit", () => {
    const files = packedFiles();
    expect(files).toEqual(
      expect.arrayContaining(["dist/index.js", "dist/core/native.js", "native/addon/napi-args.h"]),
    );
    // The server reads it from dist/transports/http/docs.js as ../../../openapi/openapi.json.
    expect(files).toEqual(
      expect.arrayContaining([
        "openapi/openapi.json",
        "dist/transports/http/docs.js",
        "proto/third_party/inference/open_inference_grpc.proto",
        "proto/third_party/inference/LICENSE",
      ]),
    );
    expect(files.filter((p) => /^(test|bench)\/|reference-scorer|(^|\/)kit\//.test(p))).toEqual([]);
  });
});
