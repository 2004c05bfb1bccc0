/**
 * The benchmark models of the project's performance anchors (docs/benchmarks.md), shared by bench/ and tests: a random
 * forest of 100 trees of depth 10 (~85-90k nodes) and a GBDT of 300 full trees of depth 6, both on
 * 20 features.
 */

import type { ModelSpec } from "./model-spec.js";
import { randomModel } from "./random-model.js";

export function benchmarkForest(seed = 42): ModelSpec {
  // An early-leaf chance of 0.12 below depth 2 gives ~850 nodes per depth-10 tree, like sklearn's.
  return randomModel({
    family: "random_forest",
    nFeatures: 20,
    nTrees: 100,
    maxDepth: 10,
    leafProbability: 0.12,
    seed,
  });
}

export function benchmarkGbdt(seed = 43): ModelSpec {
  return randomModel({ family: "gbdt", nFeatures: 20, nTrees: 300, maxDepth: 6, leafProbability: 0, seed });
}
