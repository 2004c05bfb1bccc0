// Bring your own model, transport-free: import a file (src/models/import), keep both it and the
// converted artifact in the artifact store, record the import as a tracked run and register the
// artifact as the next version. RegistryService.ImportModelVersion and the CLI's `models import`
// (through src/workflows/import-and-register.ts) both call this.
import type { ClassifierModel } from "../core/index.js";
import type { ImportedModel, ImportFormatOption } from "../models/import/index.js";
import type { ArtifactStore, ModelVersion, Store } from "../store/index.js";
import { ensureRegisteredModel, getOrCreateExperiment, ORIGIN_TAG } from "../store/index.js";
import { loadImporters } from "./on-demand.js";

/** Version and run tags an import writes (the class labels tag matches training's). */
export const IMPORT_TAGS = {
  classLabels: "mlops.class_labels",
  originSha256: ORIGIN_TAG,
  originFormat: "mlops.origin_format",
} as const;

export interface ImportVersionInput {
  name: string;
  /** The origin file's bytes. */
  content: Uint8Array;
  format?: ImportFormatOption;
  featureNames?: readonly string[];
  classes?: readonly (string | number)[];
  description?: string;
  /** Where the file came from; recorded as the version's source. Default `import:<format>`. */
  source?: string;
  /** Default "Default". */
  experiment?: string;
  /** Called once the run exists. */
  onRun?: (run: { id: string; name: string }) => void;
}

export interface ImportVersionResult {
  imported: ImportedModel;
  version: ModelVersion;
  runId: string;
  originSha256: string;
  artifactSha256: string;
}

const MAX_PARAM_VALUE = 6000;
const MAX_TAG_VALUE = 5000;
const PARAM_KEY = /^[A-Za-z0-9_\-./ ]{1,250}$/;

/** "a,b" → strings; "1,2" → numbers: labels as the API and the CLI take them. */
export function parseClasses(values: readonly string[]): (string | number)[] | undefined {
  if (values.length === 0) return undefined;
  const numbers = values.map((v) => (v.trim() === "" ? Number.NaN : Number(v)));
  return numbers.every((n) => Number.isFinite(n)) ? numbers : [...values];
}

function labelsJson(model: ClassifierModel): string {
  return JSON.stringify(Array.from({ length: model.nClasses }, (_, k) => model.classLabel(k)));
}

/** The tags a version made from an imported file carries: its origin file, format and labels. */
export function importedVersionTags(imported: ImportedModel, originSha256: string): Record<string, string> {
  const labels = labelsJson(imported.model);
  return {
    [IMPORT_TAGS.originSha256]: originSha256,
    [IMPORT_TAGS.originFormat]: imported.format,
    ...(labels.length <= MAX_TAG_VALUE ? { [IMPORT_TAGS.classLabels]: labels } : {}),
  };
}

/**
 * Imports and registers. A file that does not import fails before any run exists; a failure after
 * that ends the run FAILED with the message in its `mlops.error` tag, and rethrows.
 */
export async function importAndRegister(
  store: Store,
  artifacts: Pick<ArtifactStore, "put">,
  input: ImportVersionInput,
): Promise<ImportVersionResult> {
  const { importModel } = await loadImporters();
  const imported = importModel(input.content, {
    format: input.format,
    featureNames: input.featureNames,
    classes: input.classes,
  });
  const run = await store.createRun({
    experimentId: await getOrCreateExperiment(store, input.experiment ?? "Default"),
    tags: {
      "mlops.source": "import",
      [IMPORT_TAGS.originFormat]: imported.format,
      "mlops.origin_version": imported.formatVersion.slice(0, MAX_TAG_VALUE),
    },
  });
  input.onRun?.({ id: run.id, name: run.name });
  try {
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(imported.params)) {
      const key = `origin.${k}`.slice(0, 250);
      if (PARAM_KEY.test(key)) params[key] = v.slice(0, MAX_PARAM_VALUE);
    }
    Object.assign(params, {
      source: "import",
      origin_format: imported.format,
      origin_version: imported.formatVersion.slice(0, MAX_PARAM_VALUE),
      objective: imported.objective.slice(0, MAX_PARAM_VALUE),
      n_trees: String(imported.nTrees),
      n_features: String(imported.nFeatures),
      class_labels: labelsJson(imported.model).slice(0, MAX_PARAM_VALUE),
    });
    await store.logParams(run.id, params);
    const origin = await artifacts.put(input.content);
    const artifact = await artifacts.put(imported.artifact);
    await store.updateRun(run.id, { artifactSha256: artifact.sha256 });
    await store.setRunTag(run.id, IMPORT_TAGS.originSha256, origin.sha256);
    await ensureRegisteredModel(store, input.name);
    const version = await store.createModelVersion({
      name: input.name,
      artifactSha256: artifact.sha256,
      runId: run.id,
      source: input.source ?? `import:${imported.format}`,
      description:
        input.description ??
        `${imported.format} ${imported.objective} imported: ${imported.nTrees} trees, ${imported.nFeatures} features, ${imported.classes.length} classes`,
      tags: importedVersionTags(imported, origin.sha256),
    });
    await store.setRunTag(run.id, "mlops.model_version", `${input.name}/${version.version}`);
    await store.updateRun(run.id, { status: "FINISHED" });
    return { imported, version, runId: run.id, originSha256: origin.sha256, artifactSha256: artifact.sha256 };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await store.setRunTag(run.id, "mlops.error", message.slice(0, 5000)).catch(() => {});
    await store.updateRun(run.id, { status: "FAILED" }).catch(() => {});
    throw error;
  }
}
