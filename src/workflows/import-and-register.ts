// Import → register (→ promote), the bring-your-own-model counterpart of train-and-register: the
// CLI's `mlops models import` calls it. The import and registration are the service layer's
// (src/services/model-import.ts, shared with RegistryService.ImportModelVersion); this adds the
// promotion, audited like a training run's.
import { readFile } from "node:fs/promises";
import { basename, resolve } from "node:path";
import type { ImportFormatOption } from "../models/import/index.js";
import { type ImportVersionResult, importAndRegister } from "../services/model-import.js";
import { type ArtifactStore, parseStage, type Stage, type Store } from "../store/index.js";
import { defaultActor } from "./train-and-register.js";

export interface ImportAndRegisterOptions {
  store: Store;
  artifacts: Pick<ArtifactStore, "put">;
  /** The model file. Required. */
  path: string;
  /** Registered model; created when missing. Default "ml_classifier" (what `mlops serve` serves). */
  modelName?: string;
  /** Default "auto" (by content). */
  format?: ImportFormatOption;
  featureNames?: readonly string[];
  classes?: readonly (string | number)[];
  /** Stage to move the new version to (case-insensitive), archiving the versions there. */
  promote?: Stage | string;
  /** Audit actor. Default `cli:<os user>`. */
  actor?: string;
  experiment?: string;
  description?: string;
  onRun?: (run: { id: string; name: string }) => void;
}

export interface ImportAndRegisterResult extends ImportVersionResult {
  modelName: string;
  stage: Stage;
  archivedVersions: number[];
}

export async function importAndRegisterFile(
  options: ImportAndRegisterOptions,
): Promise<ImportAndRegisterResult> {
  const { store } = options;
  const path = resolve(options.path);
  const promote = options.promote === undefined ? undefined : parseStage(options.promote);
  const modelName = options.modelName ?? "ml_classifier";
  const content = new Uint8Array(await readFile(path));
  const result = await importAndRegister(store, options.artifacts, {
    name: modelName,
    content,
    format: options.format,
    featureNames: options.featureNames,
    classes: options.classes,
    source: path,
    experiment: options.experiment,
    description: options.description,
    onRun: options.onRun,
  });
  let stage: Stage = result.version.stage;
  const archivedVersions: number[] = [];
  if (promote !== undefined && promote !== stage) {
    const archive = promote === "Production" || promote === "Staging";
    if (archive) {
      for (const v of await store.listModelVersions(modelName)) {
        if (v.stage === promote && v.version !== result.version.version) archivedVersions.push(v.version);
      }
    }
    const moved = await store.transitionStage(modelName, result.version.version, promote, {
      archiveExisting: archive,
      actor: options.actor ?? defaultActor("cli"),
      comment: `promoted after importing ${basename(path)} (run ${result.runId})`,
    });
    stage = moved.stage;
  }
  return { ...result, modelName, stage, archivedVersions };
}
