// GetRun's description of a run's artifact: read back from the artifact store (re-hashed there) and
// parsed as the artifact format, so the run page shows what was stored, not what was claimed.
import { create } from "@bufbuild/protobuf";
import { ModelFamily } from "../../gen/mlops/v1/model_pb.js";
import { type RunArtifact, RunArtifactSchema } from "../../gen/mlops/v1/tracking_pb.js";
import { readArtifact } from "../../models/artifact/read.js";
import type { ArtifactStore } from "../../store/index.js";

const FAMILIES = {
  gbdt: ModelFamily.GBDT,
  random_forest: ModelFamily.RANDOM_FOREST,
  logistic: ModelFamily.LOGISTIC,
} as const;

export async function describeArtifact(artifacts: ArtifactStore, sha256: string): Promise<RunArtifact> {
  let bytes: Uint8Array;
  try {
    bytes = await artifacts.get(sha256);
  } catch (error) {
    return create(RunArtifactSchema, { sha256, error: (error as Error).message });
  }
  try {
    const version = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
    const spec = readArtifact(bytes);
    return create(RunArtifactSchema, {
      sha256,
      sizeBytes: BigInt(bytes.byteLength),
      format: `mlops-model v${version}`,
      family: FAMILIES[spec.family] ?? ModelFamily.UNSPECIFIED,
      nFeatures: spec.nFeatures,
      nClasses: spec.nClasses,
      nTrees: Math.max(0, spec.treeNodeOffsets.length - 1),
    });
  } catch (error) {
    return create(RunArtifactSchema, {
      sha256,
      sizeBytes: BigInt(bytes.byteLength),
      error: `not a readable mlops artifact: ${(error as Error).message}`,
    });
  }
}
