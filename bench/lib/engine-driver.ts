// Builds and runs the standalone engine driver (native/core/engines/bench/engine-driver.cc) on the
// bench's two anchor models and a few variations, each engine forced, variants interleaved round
// by round in one process, best of N. This is how engine choices are measured on a shared machine
// (docs/decisions/0011); the goals themselves stay in bench/core-scoring.ts.
//
//   node --import tsx bench/lib/engine-driver.ts [--rounds 300] [--batch 1,64,10000] [--callgrind]
//
// --callgrind also counts instructions per row with valgrind's callgrind (scalar kernels only:
// valgrind 3.19 has no AVX-512, and the engines see a CPU without it under valgrind).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { writeArtifact } from "../../test/kit/artifact-writer.js";
import type { ModelSpec } from "../../test/kit/model-spec.js";
import { randomModel, randomRows } from "../../test/kit/random-model.js";
import { benchmarkForest, benchmarkGbdt } from "../../test/kit/random-model-presets.js";

const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "300" },
    batch: { type: "string", default: "1,64,10000" },
    models: { type: "string", default: "" },
    variants: { type: "string", default: "generic,heap,predicated,predicated/scalar" },
    callgrind: { type: "boolean", default: false },
  },
});

const ROWS = 20_000;
const MODELS: [string, () => ModelSpec, number][] = [
  ["gbdt 300×6", () => benchmarkGbdt(), 0],
  ["rf 100×10", () => benchmarkForest(), 0],
  ["gbdt 300×6, 5% NaN", () => benchmarkGbdt(), 0.05],
  [
    "gbdt 200×4",
    () =>
      randomModel({ family: "gbdt", nFeatures: 20, nTrees: 200, maxDepth: 4, leafProbability: 0, seed: 5 }),
    0,
  ],
  [
    "gbdt 60×6, 3 classes",
    () => randomModel({ family: "gbdt", nFeatures: 20, nClasses: 3, nTrees: 60, maxDepth: 6, seed: 6 }),
    0,
  ],
  [
    "gbdt 100×6, grid thresholds",
    () =>
      randomModel({
        family: "gbdt",
        nFeatures: 20,
        nTrees: 100,
        maxDepth: 6,
        thresholdGrid: 8,
        leafProbability: 0,
        seed: 8,
      }),
    0,
  ],
];

function build(dir: string): string {
  const root = join(import.meta.dirname, "..", "..");
  const core = join(root, "native", "core");
  const sources = [
    join(core, "engines", "bench", "engine-driver.cc"),
    ...readdirSync(core)
      .filter((f) => /^(artifact|scorer|thread-pool).*\.cc$/.test(f))
      .map((f) => join(core, f)),
    ...readdirSync(join(core, "engines"))
      .filter((f) => f.endsWith(".cc"))
      .map((f) => join(core, "engines", f)),
  ];
  const exe = join(dir, "engine-driver");
  execFileSync(
    "g++",
    ["-std=c++17", "-O3", "-g", "-pthread", `-I${join(root, "native")}`, "-o", exe, ...sources],
    {
      stdio: "inherit",
    },
  );
  return exe;
}

const dir = mkdtempSync(join(tmpdir(), "engine-driver."));
try {
  const exe = build(dir);
  const wanted = args.models ? args.models.split(",") : undefined;
  for (const [name, make, nanRate] of MODELS) {
    if (wanted && !wanted.some((w) => name.startsWith(w))) continue;
    const spec = make();
    const model = join(dir, "model.mlm");
    const rows = join(dir, "rows.f64");
    writeFileSync(model, writeArtifact(spec));
    const r = randomRows(spec, ROWS, { nanRate, onThresholdRate: 0, seed: 7 });
    writeFileSync(rows, Buffer.from(r.buffer, r.byteOffset, r.byteLength));
    console.log(`\n${name}`);
    for (const batch of args.batch.split(",")) {
      const out = execFileSync(
        exe,
        [model, rows, String(ROWS), args.rounds, batch, ...args.variants.split(",")],
        { encoding: "utf8" },
      );
      process.stdout.write(out);
      if (args.callgrind) {
        for (const variant of args.variants.split(",")) {
          const n = batch === "1" ? 2000 : 10000;
          const cg = join(dir, "callgrind.out");
          execFileSync(
            "valgrind",
            [
              "--tool=callgrind",
              `--callgrind-out-file=${cg}`,
              "--collect-atstart=no",
              "--toggle-collect=*Measured*",
              exe,
              model,
              rows,
              String(n),
              "0",
              batch,
              variant,
            ],
            { stdio: ["ignore", "ignore", "pipe"] },
          );
          const summary = execFileSync("callgrind_annotate", [cg], { encoding: "utf8" });
          const total =
            /([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS/.exec(summary) ??
            /([\d,]+)\s+PROGRAM TOTALS/.exec(summary);
          const ir = total ? Number(total[1]!.replaceAll(",", "")) : Number.NaN;
          // With 0 rounds, Measured runs once: the exactness pass over n rows.
          console.log(
            `  callgrind ${variant.padEnd(18)} batch ${batch.padStart(5)}: ${(ir / n).toFixed(0)} instructions/row`,
          );
          rmSync(cg, { force: true });
        }
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
