// A model version registered from an MLflow model folder in the artifact tree (what MLflow clients
// upload through the artifact proxy): its MLmodel file picks the flavor, the importers convert the
// flavor's file into the native artifact, so the version serves like any other. A flavor they do
// not read registers an unservable version that says why.

import { ServiceError } from "../rpc/service-error.js";
import type { ArtifactStore, Store } from "../store/index.js";
import { isStoreError } from "../store/index.js";
import { loggedModelArtifactRoot, parseSource, runArtifactRoot } from "./mapping/artifact-paths.js";
import { importedVersionTags } from "./model-import.js";
import { loadImporters, loadMlmodel } from "./on-demand.js";

/** What a version registered from an MLflow model gets. */
export interface MlflowArtifact {
  /** The converted artifact's digest; "" when unservable. */
  artifactSha256: string;
  unservableReason?: string;
  tags: Record<string, string>;
  /** The model folder in the artifact tree. */
  folder: string;
}

export const MLFLOW_FLAVOR_TAG = "mlops.mlflow_flavor";

/** The folder of the artifact tree that `source` (or the logged model `modelId`) names, if any. */
export async function mlflowFolder(
  store: Store,
  source: string,
  modelId?: string,
): Promise<string | undefined> {
  const ref = parseSource(source);
  if (ref?.kind === "tree") return ref.path;
  if (ref?.kind === "run") {
    const run = await store.getRun(ref.runId);
    const root = runArtifactRoot(run.experimentId, run.id);
    return ref.path === "" ? root : `${root}/${ref.path}`;
  }
  const id = ref?.kind === "logged-model" ? ref.modelId : modelId;
  if (id === undefined) return undefined;
  const model = await store.getLoggedModel(id);
  return loggedModelArtifactRoot(model.experimentId, model.id);
}

async function readFile(store: Store, artifacts: Pick<ArtifactStore, "get">, path: string) {
  const entry = await store.getArtifactFile(path);
  return { bytes: await artifacts.get(entry.sha256), sha256: entry.sha256 };
}

/**
 * Converts the MLflow model in `folder`; undefined when the folder holds no MLmodel file. A file
 * the importer refuses as malformed is INVALID_ARGUMENT on `source`; a feature it does not convert
 * (UNIMPLEMENTED) makes the version unservable, as an unknown flavor does.
 */
export async function convertMlflowModel(
  store: Store,
  artifacts: Pick<ArtifactStore, "get" | "put">,
  folder: string,
): Promise<MlflowArtifact | undefined> {
  let mlmodel: Uint8Array;
  try {
    mlmodel = (await readFile(store, artifacts, `${folder}/MLmodel`)).bytes;
  } catch (error) {
    if (isStoreError(error, "NOT_FOUND")) return undefined;
    throw error;
  }
  const { loadableFlavor, parseMlmodel, unservableReason } = await loadMlmodel();
  const model = parseMlmodel(new TextDecoder().decode(mlmodel));
  const flavor = loadableFlavor(model);
  if (!flavor) return { artifactSha256: "", unservableReason: unservableReason(model), tags: {}, folder };
  const dataPath = `${folder}/${flavor.dataPath}`;
  let data: { bytes: Uint8Array; sha256: string };
  try {
    data = await readFile(store, artifacts, dataPath);
  } catch (error) {
    if (!isStoreError(error, "NOT_FOUND")) throw error;
    throw new ServiceError(
      "INVALID_ARGUMENT",
      `source: the MLmodel's ${flavor.flavor} flavor names ${flavor.dataPath}, which was not uploaded`,
      {
        violation: { field: "source", expected: "an MLflow model folder with every file its MLmodel names" },
      },
    );
  }
  const tags = { [MLFLOW_FLAVOR_TAG]: flavor.flavor };
  // XGBoost before 2.0 wrote `.xgb` in its legacy binary format; JSON and UBJSON both open with "{".
  if (flavor.format === "xgboost" && data.bytes[0] !== 0x7b) {
    return {
      artifactSha256: "",
      unservableReason: `${flavor.dataPath} is in XGBoost's legacy binary format, which mlops does not read: log it with model_format="json" or "ubj" (the default from XGBoost 2.0)`,
      tags,
      folder,
    };
  }
  try {
    const { importModel } = await loadImporters();
    const imported = importModel(data.bytes, { format: flavor.format });
    try {
      const artifact = await artifacts.put(imported.artifact);
      return {
        artifactSha256: artifact.sha256,
        tags: { ...importedVersionTags(imported, data.sha256), ...tags },
        folder,
      };
    } finally {
      imported.model.dispose();
    }
  } catch (error) {
    if (error instanceof ServiceError && error.code === "UNIMPLEMENTED") {
      return { artifactSha256: "", unservableReason: `${flavor.dataPath}: ${error.message}`, tags, folder };
    }
    if (error instanceof ServiceError && error.code === "INVALID_ARGUMENT") {
      throw new ServiceError(
        "INVALID_ARGUMENT",
        `source: ${flavor.dataPath} (${flavor.flavor} flavor): ${error.message}`,
        {
          violation: { field: "source", expected: `a valid ${flavor.flavor} model file` },
          cause: error,
        },
      );
    }
    throw error;
  }
}
