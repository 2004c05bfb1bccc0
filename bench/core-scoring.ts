// Micro-benchmark of the native scorer against the plain TypeScript reference scorer, on the two
// models of the anchors' "Tree-ensemble inference peers" (docs/benchmarks.md): a random forest of
// 100 trees of depth 10 and a GBDT of 300 trees of depth 6, both on 20 features.
//
//   node --import tsx bench/core-scoring.ts [--cell-ms 1000] [--json]
//
// Rows/s at batch 1, 64 and 10000 for: native sync (JS thread), native async on all cores (batch
// 10000: one call split across every core; smaller batches: one call per core in flight, as a
// server's concurrent requests would be), and the reference scorer; plus latency of a single-row
// sync call. Then the core's goals (bench/lib/core-goals.ts: µs/row batched on one thread, single
// row, 1 → 2 threads, XGBoost's own predictor beside ours) and onnxruntime-node on the same trees
// at 1, 64 and 10,000 rows on 1 and 2 threads, each goal with PASS or MISS. Absolute figures depend
// on the machine; compare ratios from the same run.
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { ClassifierModel } from "../src/core/model.js";
import { writeArtifact } from "../test/kit/artifact-writer.js";
import type { ModelSpec } from "../test/kit/model-spec.js";
import { randomRows } from "../test/kit/random-model.js";
import { benchmarkForest, benchmarkGbdt } from "../test/kit/random-model-presets.js";
import { createReferenceScorer } from "../test/kit/reference-scorer.js";
import { coreLines, coreVerdicts, measureCore } from "./lib/core-goals.js";
import { GOAL_LABELS } from "./lib/judge.js";
import { compareWithOrt } from "./lib/onnx-compare.js";
import { GOALS, goal, type Verdict } from "./lib/verdicts.js";

const { values: args } = parseArgs({
  options: { "cell-ms": { type: "string", default: "1000" }, json: { type: "boolean", default: false } },
});
const CELL_MS = Number(args["cell-ms"]);
const BATCHES = [1, 64, 10000];
const POOL_ROWS = 20000;
const CORES = availableParallelism();

interface Row {
  model: string;
  engine: string;
  batch: number;
  rowsPerS: number;
}

function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Calls `fn(offsetRow)` over a pool of rows until `CELL_MS` has passed; returns rows/s. */
function timeSync(batch: number, fn: (row: number) => void): number {
  const warm = now();
  for (let r = 0; now() - warm < CELL_MS / 10; r = (r + batch) % (POOL_ROWS - batch + 1)) fn(r);
  let rows = 0;
  const t0 = now();
  let r = 0;
  while (now() - t0 < CELL_MS) {
    for (let k = 0; k < 16; k++) {
      fn(r);
      rows += batch;
      r = (r + batch) % (POOL_ROWS - batch + 1);
    }
  }
  return (rows / (now() - t0)) * 1000;
}

/** Keeps `inFlight` async calls running until `CELL_MS` has passed; returns rows/s. */
async function timeAsync(
  batch: number,
  inFlight: number,
  fn: (row: number) => Promise<unknown>,
): Promise<number> {
  let rows = 0;
  let next = 0;
  const t0 = now();
  const lane = async () => {
    while (now() - t0 < CELL_MS) {
      const r = next;
      next = (next + batch) % (POOL_ROWS - batch + 1);
      await fn(r);
      rows += batch;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return (rows / (now() - t0)) * 1000;
}

function latency(
  model: ClassifierModel,
  rows: Float64Array,
  nf: number,
): { p50: number; p99: number; mean: number } {
  const n = 20000;
  const samples = new Float64Array(n);
  const out = new Float64Array(model.nClasses);
  for (let i = 0; i < n; i++) {
    const row = rows.subarray((i % POOL_ROWS) * nf, (i % POOL_ROWS) * nf + nf);
    const t0 = process.hrtime.bigint();
    model.predictProba(row, 1, out);
    samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  const mean = samples.reduce((a, b) => a + b, 0) / n;
  samples.sort();
  return { p50: samples[Math.floor(n * 0.5)]!, p99: samples[Math.floor(n * 0.99)]!, mean };
}

async function benchModel(name: string, spec: ModelSpec, results: Row[]): Promise<void> {
  const bytes = writeArtifact(spec);
  const model = ClassifierModel.fromBytes(bytes);
  const reference = createReferenceScorer(spec);
  const nf = spec.nFeatures;
  const rows = randomRows(spec, POOL_ROWS, { nanRate: 0, onThresholdRate: 0, seed: 7 });
  const slice = (r: number, batch: number) => rows.subarray(r * nf, (r + batch) * nf);

  // Agreement first: timing a scorer that disagrees would be pointless.
  const a = model.predictProba(slice(0, 2000), 2000);
  const b = reference.predict(slice(0, 2000), 2000);
  let maxDiff = 0;
  for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
  if (maxDiff > 1e-12) throw new Error(`${name}: native and reference disagree by ${maxDiff}`);

  const { nTrees, nNodes, engine, rowEngine, engineIsa, engineBytes } = model.info;
  console.log(`\n${name}: ${nTrees} trees, ${nNodes} nodes, ${nf} features, artifact ${bytes.length} bytes`);
  console.log(
    `  engine ${engine} (${engineIsa}; calls under 8 rows: ${rowEngine}), layout ${(engineBytes / 1024).toFixed(0)} KiB`,
  );
  for (const batch of BATCHES) {
    const outs = new Float64Array(batch * model.nClasses);
    const sync = timeSync(batch, (r) => model.predictProba(slice(r, batch), batch, outs));
    const asyncAll =
      batch >= 1024
        ? await timeAsync(batch, 1, (r) =>
            model.predictProbaAsync(slice(r, batch), batch, { threads: CORES }),
          )
        : await timeAsync(batch, CORES, (r) =>
            model.predictProbaAsync(slice(r, batch), batch, { threads: 1 }),
          );
    const ref = timeSync(batch, (r) => reference.predict(slice(r, batch), batch, outs));
    results.push(
      { model: name, engine: "native sync", batch, rowsPerS: sync },
      { model: name, engine: `native async (${CORES} cores)`, batch, rowsPerS: asyncAll },
      { model: name, engine: "reference TS", batch, rowsPerS: ref },
    );
    console.log(
      `  batch ${String(batch).padStart(5)}: native sync ${fmt(sync)}  native async ${fmt(asyncAll)}  ` +
        `reference TS ${fmt(ref)}  (sync/TS ${(sync / ref).toFixed(1)}×)`,
    );
  }
  const lat = latency(model, rows, nf);
  console.log(
    `  single-row sync call: mean ${lat.mean.toFixed(2)} µs, p50 ${lat.p50.toFixed(2)} µs, p99 ${lat.p99.toFixed(2)} µs`,
  );
  results.push({ model: name, engine: "native sync single-row µs (mean)", batch: 1, rowsPerS: lat.mean });
  model.dispose();
}

function fmt(rowsPerS: number): string {
  return `${(rowsPerS / 1000).toFixed(0).padStart(6)}k rows/s`;
}

/** onnxruntime-node on the same trees: 1, 64 and 10,000 rows on 1 and 2 threads. */
async function ortCells(name: string, spec: ModelSpec, verdicts: Verdict[]): Promise<void> {
  const model = ClassifierModel.fromBytes(writeArtifact(spec));
  try {
    const rows = randomRows(spec, 2000, { nanRate: 0, onThresholdRate: 0, seed: 9 });
    const c = await compareWithOrt({
      name,
      model,
      trees: model.exportTrees()!,
      rows,
      nRows: 2000,
      threads: [1, 2],
      cellMs: Math.max(200, CELL_MS / 2),
    });
    console.log(
      `\n${name} vs onnxruntime-node ${c.ortVersion} (float32 export), max |Δp| ${c.agreement.maxAbsDiff.toExponential(2)}`,
    );
    for (const cell of c.cells) {
      console.log(
        `  batch ${String(cell.batch).padStart(5)}, ${cell.threads} thread(s): ours ${fmt(cell.oursRowsPerS)}  ` +
          `ORT ${fmt(cell.ortRowsPerS)}  ${cell.ratio.toFixed(2)}×`,
      );
      verdicts.push(
        goal(
          GOAL_LABELS.vsOrt(name, cell.batch, cell.threads),
          cell.ratio >= GOALS.vsOrt,
          `${cell.ratio.toFixed(2)}×`,
        ),
      );
    }
  } finally {
    model.dispose();
  }
}

const results: Row[] = [];
console.log(`core scoring bench: ${CORES} cores, ${CELL_MS} ms per cell, node ${process.version}`);
await benchModel("rf 100×depth10", benchmarkForest(), results);
await benchModel("gbdt 300×depth6", benchmarkGbdt(), results);

console.log("\ncore goals (one thread unless stated; one run, so ratios are comparable):\n");
const core = await measureCore({ cellMs: CELL_MS });
for (const line of coreLines(core)) console.log(line);
const verdicts = coreVerdicts(core);
await ortCells("gbdt 300×6", benchmarkGbdt(), verdicts);
await ortCells("rf 100×10", benchmarkForest(), verdicts);
console.log("\ngoals:");
for (const v of verdicts) console.log(`  ${v.status.toUpperCase().padEnd(4)} ${v.name}: ${v.detail}`);
if (args.json) console.log(JSON.stringify({ results, core, verdicts }));
