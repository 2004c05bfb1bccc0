// Issue 10's goals for imported models, measured in one run: python3-xgboost trains a 300-tree,
// depth-6 model and a 1,000-tree one and saves them as JSON; the 300-tree model, imported, is scored
// on one thread at batch 1, 64 and 10,000 beside our own GBDT of the same shape (the anchor model)
// and beside onnxruntime-node on the same imported trees; the 1,000-tree import is timed (best of 5).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClassifierModel } from "../../src/core/model.js";
import { importXgboost } from "../../src/models/import/xgboost.js";
import { writeArtifact } from "../../test/kit/artifact-writer.js";
import { randomRows } from "../../test/kit/random-model.js";
import { benchmarkGbdt } from "../../test/kit/random-model-presets.js";
import { alternatingBestCallsPerSecond } from "./best-slice.js";
import { compareWithOrt } from "./onnx-compare.js";
import { poolCall } from "./pool-call.js";
import { GOALS, goal, type Verdict } from "./verdicts.js";

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

export interface ImportSection {
  status: "measured" | "missing";
  reason?: string;
  import1000Ms?: number;
  import1000Bytes?: number;
  /** Per batch: imported and own rows/s on one thread, and onnxruntime's on the imported trees. */
  cells?: {
    batch: number;
    importedRowsPerS: number;
    ownRowsPerS: number;
    ortRowsPerS: number;
    vsOrt: number;
  }[];
  nodes?: { imported: number; own: number };
  maxAbsDiffVsOrt?: number;
}

function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export async function measureImports(options: { cellMs: number }): Promise<ImportSection> {
  const dir = mkdtempSync(join(tmpdir(), "mlops-import-bench-"));
  try {
    const made = spawnSync(PYTHON, ["-c", SCRIPT, dir], { encoding: "utf8" });
    if (made.status !== 0) {
      const why = (made.stderr || made.error?.message || "").trim().split("\n").at(-1);
      return { status: "missing", reason: `python3-xgboost could not train (${why})` };
    }
    const file1000 = new Uint8Array(readFileSync(join(dir, "xgb-1000.json")));
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 5; i++) {
      const t0 = now();
      importXgboost(file1000).model.dispose();
      best = Math.min(best, now() - t0);
    }
    const imported = importXgboost(new Uint8Array(readFileSync(join(dir, "xgb-300.json")))).model;
    const own = ClassifierModel.fromBytes(writeArtifact(benchmarkGbdt()));
    try {
      const rows = randomRows(benchmarkGbdt(), 20000, { nanRate: 0, onThresholdRate: 0, seed: 7 });
      const ort = await compareWithOrt({
        name: "imported xgboost 300×6",
        model: imported,
        trees: imported.exportTrees()!,
        rows: rows.subarray(0, 2000 * 20),
        nRows: 2000,
        threads: [1],
        cellMs: Math.max(200, options.cellMs / 2),
      });
      // Imported and own in alternating turns, so drift on a shared machine hits both alike.
      const cells: NonNullable<ImportSection["cells"]> = [];
      for (const c of ort.cells) {
        const [importedCalls, ownCalls] = (await alternatingBestCallsPerSecond(
          [poolCall(imported, rows, c.batch), poolCall(own, rows, c.batch)],
          options.cellMs,
          3,
        )) as [number, number];
        const importedRowsPerS = importedCalls * c.batch;
        const ownRowsPerS = ownCalls * c.batch;
        cells.push({
          batch: c.batch,
          importedRowsPerS,
          ownRowsPerS,
          ortRowsPerS: c.ortRowsPerS,
          vsOrt: c.ratio,
        });
      }
      return {
        status: "measured",
        import1000Ms: best,
        import1000Bytes: file1000.length,
        cells,
        nodes: { imported: imported.info.nNodes, own: own.info.nNodes },
        maxAbsDiffVsOrt: ort.agreement.maxAbsDiff,
      };
    } finally {
      imported.dispose();
      own.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function importLines(s: ImportSection): string[] {
  if (s.status !== "measured") return [`imported models: not measured (${s.reason})`];
  const lines = [
    `import of a 1,000-tree XGBoost model (${((s.import1000Bytes ?? 0) / 1e6).toFixed(1)} MB JSON): ${(s.import1000Ms ?? 0).toFixed(0)} ms`,
    `imported XGBoost 300×6 (${s.nodes?.imported} nodes) vs our GBDT 300×6 (${s.nodes?.own} nodes) and onnxruntime-node, one thread (max |Δp| vs ORT ${(s.maxAbsDiffVsOrt ?? 0).toExponential(2)}):`,
  ];
  for (const c of s.cells ?? []) {
    lines.push(
      `  batch ${String(c.batch).padStart(5)}: imported ${(c.importedRowsPerS / 1000).toFixed(0)}k rows/s, ours ${(c.ownRowsPerS / 1000).toFixed(0)}k (${(c.importedRowsPerS / c.ownRowsPerS).toFixed(2)}×), ORT ${(c.ortRowsPerS / 1000).toFixed(0)}k (${c.vsOrt.toFixed(2)}×)`,
    );
  }
  return lines;
}

export function importVerdicts(s: ImportSection): Verdict[] {
  if (s.status !== "measured") {
    return [goal("imported XGBoost models (issue 10)", undefined, s.reason ?? "not measured")];
  }
  const out: Verdict[] = [
    goal(
      `importing a 1,000-tree XGBoost model: < ${GOALS.importMs} ms`,
      (s.import1000Ms ?? Infinity) < GOALS.importMs,
      `${(s.import1000Ms ?? 0).toFixed(0)} ms`,
    ),
  ];
  for (const c of s.cells ?? []) {
    const vsOwn = c.importedRowsPerS / c.ownRowsPerS;
    out.push(
      goal(
        `imported XGBoost 300×6 batch ${c.batch}: ≥ ${GOALS.importedVsOwn}× our GBDT of the same shape`,
        vsOwn >= GOALS.importedVsOwn,
        `${vsOwn.toFixed(2)}×`,
      ),
      goal(
        `imported XGBoost 300×6 batch ${c.batch}: ≥ ${GOALS.importedVsOrt}× onnxruntime-node`,
        c.vsOrt >= GOALS.importedVsOrt,
        `${c.vsOrt.toFixed(2)}×`,
      ),
    );
  }
  return out;
}
