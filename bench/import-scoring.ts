// Bring your own model, measured (issue 10's performance goals, as ratios from one run):
//
//   node --import tsx bench/import-scoring.ts [--cell-ms 1000] [--json]
//
// XGBoost (python3-xgboost) trains a 300-tree, depth-6 model and a 1,000-tree one and saves them as
// JSON. The 300-tree model is imported and scored beside our own GBDT of the same shape (300 full
// trees of depth 6 on 20 features, test/kit/random-model-presets.ts) and beside onnxruntime-node
// scoring the same imported trees, at batch 1, 64 and 10,000 on one thread; the 1,000-tree file's
// import (parse, validate, convert, write, load) is timed, best of 5.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ClassifierModel } from "../src/core/model.js";
import { importXgboost } from "../src/models/import/xgboost.js";
import { writeArtifact } from "../test/kit/artifact-writer.js";
import { randomRows } from "../test/kit/random-model.js";
import { benchmarkGbdt } from "../test/kit/random-model-presets.js";
import { compareWithOrt } from "./lib/onnx-compare.js";
import { GOALS, goal, type Verdict } from "./lib/verdicts.js";

const { values: args } = parseArgs({
  options: { "cell-ms": { type: "string", default: "1000" }, json: { type: "boolean", default: false } },
});
const CELL_MS = Number(args["cell-ms"]);
const PYTHON = "/usr/bin/python3";
const SCRIPT = `
import sys
import numpy as np
import xgboost as xgb
rng = np.random.default_rng(7)
X = rng.standard_normal((20000, 20))
y = ((X[:, 0] + X[:, 1] * X[:, 2] + np.sin(3 * X[:, 3]) + 0.5 * rng.standard_normal(20000)) > 0).astype(int)
d = xgb.DMatrix(X, label=y)
for rounds, name in ((300, "xgb-300.json"), (1000, "xgb-1000.json")):
    xgb.train({"max_depth": 6, "eta": 0.1, "objective": "binary:logistic", "nthread": 1, "tree_method": "hist"},
              d, num_boost_round=rounds).save_model(sys.argv[1] + "/" + name)
`;

function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

function rowsPerS(model: ClassifierModel, rows: Float64Array, batch: number): number {
  const nf = model.nFeatures;
  const pool = rows.length / nf;
  const out = new Float64Array(batch * model.nClasses);
  let r = 0;
  const step = () => {
    model.predictProba(rows.subarray(r * nf, (r + batch) * nf), batch, out);
    r = (r + batch) % (pool - batch + 1);
  };
  const warm = now();
  while (now() - warm < CELL_MS / 10) step();
  let n = 0;
  const t0 = now();
  while (now() - t0 < CELL_MS) {
    for (let k = 0; k < 16; k++) step();
    n += 16 * batch;
  }
  return (n / (now() - t0)) * 1000;
}

const verdicts: Verdict[] = [];
const dir = mkdtempSync(join(tmpdir(), "mlops-import-bench-"));
try {
  const made = spawnSync(PYTHON, ["-c", SCRIPT, dir], { encoding: "utf8" });
  if (made.status !== 0) {
    console.log(
      `import bench skipped: python3-xgboost could not train (${(made.stderr || made.error?.message || "").trim().split("\n").at(-1)})`,
    );
    process.exit(0);
  }
  const file300 = new Uint8Array(readFileSync(join(dir, "xgb-300.json")));
  const file1000 = new Uint8Array(readFileSync(join(dir, "xgb-1000.json")));

  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    const t0 = now();
    importXgboost(file1000).model.dispose();
    best = Math.min(best, now() - t0);
  }
  console.log(
    `import of a 1,000-tree XGBoost model (${(file1000.length / 1e6).toFixed(1)} MB JSON): ${best.toFixed(0)} ms`,
  );
  verdicts.push(
    goal(
      `importing a 1,000-tree XGBoost model: < ${GOALS.importMs} ms`,
      best < GOALS.importMs,
      `${best.toFixed(0)} ms`,
    ),
  );

  const imported = importXgboost(file300).model;
  const own = ClassifierModel.fromBytes(writeArtifact(benchmarkGbdt()));
  const rows = randomRows(benchmarkGbdt(), 20000, { nanRate: 0, onThresholdRate: 0, seed: 7 });
  console.log(
    `\nimported XGBoost 300×6: ${imported.info.nNodes} nodes, engine ${imported.info.engine}/${imported.info.rowEngine}; ` +
      `our GBDT 300×6: ${own.info.nNodes} nodes, engine ${own.info.engine}/${own.info.rowEngine}`,
  );
  for (const batch of [1, 64, 10_000]) {
    const a = rowsPerS(imported, rows, batch);
    const b = rowsPerS(own, rows, batch);
    const ratio = a / b;
    console.log(
      `  batch ${String(batch).padStart(5)}: imported ${(a / 1000).toFixed(0)}k rows/s, ours ${(b / 1000).toFixed(0)}k rows/s, ${ratio.toFixed(2)}×`,
    );
    verdicts.push(
      goal(
        `imported XGBoost 300×6 batch ${batch}: ≥ ${GOALS.importedVsOwn}× our GBDT of the same shape`,
        ratio >= GOALS.importedVsOwn,
        `${ratio.toFixed(2)}×`,
      ),
    );
  }
  const c = await compareWithOrt({
    name: "imported xgboost 300×6",
    model: imported,
    trees: imported.exportTrees()!,
    rows: rows.subarray(0, 2000 * 20),
    nRows: 2000,
    threads: [1],
    cellMs: Math.max(200, CELL_MS / 2),
  });
  console.log(
    `\nimported XGBoost 300×6 vs onnxruntime-node ${c.ortVersion}, max |Δp| ${c.agreement.maxAbsDiff.toExponential(2)}`,
  );
  for (const cell of c.cells) {
    console.log(
      `  batch ${String(cell.batch).padStart(5)}: ours ${(cell.oursRowsPerS / 1000).toFixed(0)}k rows/s, ORT ${(cell.ortRowsPerS / 1000).toFixed(0)}k rows/s, ${cell.ratio.toFixed(2)}×`,
    );
    verdicts.push(
      goal(
        `imported XGBoost 300×6 batch ${cell.batch}: ≥ ${GOALS.importedVsOrt}× onnxruntime-node`,
        cell.ratio >= GOALS.importedVsOrt,
        `${cell.ratio.toFixed(2)}×`,
      ),
    );
  }
  imported.dispose();
  own.dispose();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log("\ngoals:");
for (const v of verdicts) console.log(`  ${v.status.toUpperCase().padEnd(4)} ${v.name}: ${v.detail}`);
if (args.json) console.log(JSON.stringify({ verdicts }));
