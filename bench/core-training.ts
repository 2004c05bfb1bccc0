// Training speed and quality beside the reference libraries, in one run on this machine:
// our GBDT 300×6 against XGBoost 1.7.4 (hist, same settings) and our RF 100×10 against
// scikit-learn's, both on the fixed dataset, data/classification_20f_10k.csv.gz (first 8,000 rows
// train, last 2,000 test; numpy's loadtxt reads the gzip file as is). Run: `npm run bench:train`. Needs Debian's python3-xgboost and python3-sklearn.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { loadCsv, metrics, splitRows, type TrainOptions, train } from "../src/core/index.js";

const CSV = join(import.meta.dirname, "..", "data", "classification_20f_10k.csv.gz");
const PYTHON = "/usr/bin/python3";
const REPEATS = 3;

const PY = `
import json, sys, time
import numpy as np
from sklearn.metrics import roc_auc_score, log_loss
data = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1)
X, y = data[:, :-1], data[:, -1]
Xtr, ytr, Xte, yte = X[:8000], y[:8000], X[8000:], y[8000:]
out = {}
def best(fit):
    times = []
    for _ in range(${REPEATS}):
        t0 = time.perf_counter(); m = fit(); times.append(time.perf_counter() - t0)
    return m, min(times)
import xgboost as xgb
m, t = best(lambda: xgb.XGBClassifier(n_estimators=300, max_depth=6, learning_rate=0.1, tree_method="hist", n_jobs=2).fit(Xtr, ytr))
p = m.predict_proba(Xte)
out["xgboost"] = {"version": xgb.__version__, "seconds": t, "auc": roc_auc_score(yte, p[:, 1]), "logloss": log_loss(yte, p)}
from sklearn.ensemble import RandomForestClassifier
import sklearn
m, t = best(lambda: RandomForestClassifier(n_estimators=100, max_depth=10, n_jobs=2, random_state=0).fit(Xtr, ytr))
p = m.predict_proba(Xte)
out["sklearn_rf"] = {"version": sklearn.__version__, "seconds": t, "auc": roc_auc_score(yte, p[:, 1]), "logloss": log_loss(yte, p)}
print(json.dumps(out))
`;

interface Fit {
  seconds: number;
  auc: number;
  logloss: number;
}

async function ours(options: TrainOptions): Promise<Fit> {
  const { train: tr, test } = splitRows(await loadCsv(CSV, { target: "label" }));
  let seconds = Number.POSITIVE_INFINITY;
  let model = await train(tr, options);
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    model = await train(tr, options);
    seconds = Math.min(seconds, (performance.now() - t0) / 1000);
  }
  const proba = model.predictProba(test.x, test.nRows);
  return { seconds, auc: metrics.rocAuc(test.y, proba, 2), logloss: metrics.logLoss(test.y, proba, 2) };
}

/** What the Python script prints: one fit per reference library. */
type ReferenceFits = Record<"xgboost" | "sklearn_rf", Fit & { version: string }>;

function reference(): ReferenceFits | undefined {
  const run = spawnSync(PYTHON, ["-c", PY, CSV], { encoding: "utf8", timeout: 300_000 });
  if (run.status !== 0) {
    process.stderr.write(
      `reference libraries unavailable (apt-get install python3-xgboost python3-sklearn):\n${run.stderr}\n`,
    );
    return undefined;
  }
  return JSON.parse(run.stdout);
}

const fmt = (f: Fit) =>
  `${f.seconds.toFixed(3)} s, AUC ${f.auc.toFixed(4)}, log loss ${f.logloss.toFixed(4)}`;

const gbdt2 = await ours({ model: "gbdt", nEstimators: 300, maxDepth: 6, learningRate: 0.1, threads: 2 });
const gbdt1 = await ours({ model: "gbdt", nEstimators: 300, maxDepth: 6, learningRate: 0.1, threads: 1 });
const rf2 = await ours({ model: "rf", nEstimators: 100, maxDepth: 10, threads: 2 });
const ref = reference();
console.log(`training bench: best of ${REPEATS} fits, node ${process.version}`);
console.log(`  mlops GBDT 300×6, 2 threads: ${fmt(gbdt2)}`);
console.log(`  mlops GBDT 300×6, 1 thread:  ${fmt(gbdt1)}`);
if (ref) {
  console.log(`  XGBoost ${ref.xgboost.version} hist, 2 threads: ${fmt(ref.xgboost)}`);
  console.log(
    `  → mlops fits in ${(gbdt2.seconds / ref.xgboost.seconds).toFixed(2)}× XGBoost's time (2 threads each)`,
  );
}
console.log(`  mlops RF 100×10, 2 threads: ${fmt(rf2)}`);
if (ref) {
  console.log(`  scikit-learn ${ref.sklearn_rf.version} RF, 2 jobs: ${fmt(ref.sklearn_rf)}`);
  console.log(`  → mlops fits in ${(rf2.seconds / ref.sklearn_rf.seconds).toFixed(2)}× scikit-learn's time`);
}
