// The model artifact loader through the addon: ClassifierModel.fromBytes (the native parser and
// validator, then engine compilation), and a scored row for each model that loads. Seeds are real
// artifacts: models trained by the core, and the test kit's random models. Most mutants are
// resealed (total_size and CRC-32C fixed up) so that they reach the structural checks behind the
// checksum; the rest test the checksum itself. The same loader runs under libFuzzer with ASan and
// UBSan as the `artifact-native` target (native/fuzz/).
import fc from "fast-check";
import { makeClassification } from "../../../src/core/data/synthetic.js";
import { CoreError } from "../../../src/core/errors.js";
import { ClassifierModel } from "../../../src/core/model.js";
import { train } from "../../../src/core/train.js";
import { resealArtifact, writeArtifact } from "../../kit/artifact-writer.js";
import { randomModel } from "../../kit/random-model.js";
import { mutatedBytes } from "../mutate.js";
import type { FuzzTarget } from "../target.js";

/** Real artifacts to start from: trained (every family) and random (kit) models, small. */
export async function artifactSeeds(): Promise<Uint8Array[]> {
  const ds = makeClassification({ nSamples: 300, nFeatures: 6, nInformative: 4, nRedundant: 1, seed: 3 });
  const three = makeClassification({
    nSamples: 300,
    nFeatures: 5,
    nInformative: 4,
    nRedundant: 0,
    nClasses: 3,
    seed: 4,
  });
  const trained = await Promise.all([
    train(ds, { model: "gbdt", nEstimators: 3, maxDepth: 3, seed: 1 }),
    train(three, { model: "gbdt", nEstimators: 2, maxDepth: 2, seed: 1 }),
    train(ds, { model: "rf", nEstimators: 2, maxDepth: 3, seed: 1 }),
    train(three, { model: "logreg", seed: 1 }),
  ]);
  const seeds = trained.map((m) => {
    const bytes = m.toBytes();
    m.dispose();
    return bytes;
  });
  for (const [i, family] of (["gbdt", "random_forest", "logistic"] as const).entries()) {
    seeds.push(
      writeArtifact(
        randomModel({
          family,
          nFeatures: 4,
          nClasses: 2 + (i % 2),
          nTrees: 2,
          maxDepth: 3,
          decision: i === 1 ? "less_equal" : "less",
          seed: 11 + i,
        }),
      ),
    );
  }
  return seeds;
}

interface ArtifactInput {
  bytes: Uint8Array;
  reseal: boolean;
}

export const artifactTarget: FuzzTarget<ArtifactInput> = {
  name: "artifact",
  parser:
    "model artifact bytes → loaded model (addon: parse, validate, compile engines), then two scored rows",
  documented: "CoreError ERR_MODEL_FORMAT with the failed check as `reason`",
  expected: (e) => e instanceof CoreError && e.code === "ERR_MODEL_FORMAT",
  async setup() {
    const seeds = await artifactSeeds();
    return {
      arbitrary: fc.record({
        bytes: mutatedBytes(seeds, { maxEdits: 4 }),
        reseal: fc.oneof(
          { weight: 3, arbitrary: fc.constant(true) },
          { weight: 1, arbitrary: fc.constant(false) },
        ),
      }),
      run({ bytes, reseal }) {
        const input = reseal && bytes.length >= 28 ? resealArtifact(Uint8Array.from(bytes)) : bytes;
        const model = ClassifierModel.fromBytes(input);
        try {
          const rows = new Float64Array(model.nFeatures * 2);
          rows.fill(Number.NaN, model.nFeatures);
          const proba = model.predictProba(rows, 2);
          if (proba.length !== 2 * model.nClasses)
            throw new Error(`predictProba returned ${proba.length} values`);
        } finally {
          model.dispose();
        }
      },
    };
  },
};
