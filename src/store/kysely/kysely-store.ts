// The dialect-neutral Store: every query is Kysely, so the same code serves
// SQLite today and PostgreSQL next; only the Kysely instance and the
// DialectHooks differ.

import type { Kysely } from "kysely";
import { sql } from "kysely";
import { StoreError } from "../errors.js";
import type { Store } from "../store.js";
import * as artifactFiles from "./artifact-files.js";
import { listAuditEvents } from "./audit.js";
import type { StoreContext } from "./context.js";
import type { DialectHooks, ServingChannel } from "./dialect-hooks.js";
import * as experiments from "./experiments.js";
import * as lifecycle from "./lifecycle.js";
import * as loggedModels from "./logged-models.js";
import { migrateToLatest } from "./migrate.js";
import * as models from "./models.js";
import * as promotions from "./promotions.js";
import * as registryDeletes from "./registry-deletes.js";
import * as runData from "./run-data.js";
import * as runs from "./runs.js";
import type { Database } from "./schema.js";
import { createServingChanges } from "./serving-changes.js";
import { createTransactionRunner } from "./transactions.js";
import * as versions from "./versions.js";

export interface KyselyStoreOptions {
  /** Give up on a contended write after this long, with StoreError("UNAVAILABLE"). */
  writeTimeoutMs: number;
  /** Stamps stored timestamps. */
  now: () => number;
  /** Hears other processes' serving changes (PostgreSQL: LISTEN); owned by the store. Default none. */
  channel?: ServingChannel;
  /** Told which migrations this open applied. */
  onMigrated?: (applied: readonly string[]) => void;
}

/** Migrates the database to the latest schema, then returns a Store over it. Owns `db`. */
export async function openKyselyStore(
  db: Kysely<Database>,
  hooks: DialectHooks,
  options: KyselyStoreOptions,
): Promise<Store> {
  const tx = createTransactionRunner(db, hooks, options.writeTimeoutMs);
  const serving = createServingChanges(tx, hooks, options.channel);
  const ctx: StoreContext = { tx, now: options.now, hooks, servingChanged: serving.record };
  try {
    const applied = await migrateToLatest(tx, hooks, options.now);
    options.onMigrated?.(applied);
  } catch (error) {
    await serving.close();
    await tx.close();
    throw error;
  }
  return {
    createExperiment: (input) => experiments.createExperiment(ctx, input),
    getExperiment: (id) => experiments.getExperiment(ctx, id),
    getExperimentByName: (name) => experiments.getExperimentByName(ctx, name),
    listExperiments: (query) => experiments.listExperiments(ctx, query),
    setExperimentTag: (id, key, value) => experiments.setExperimentTag(ctx, id, key, value),
    deleteExperimentTag: (id, key) => experiments.deleteExperimentTag(ctx, id, key),
    renameExperiment: (id, name) => experiments.renameExperiment(ctx, id, name),
    deleteExperiment: (id, opts) => lifecycle.deleteExperiment(ctx, id, opts),
    restoreExperiment: (id, opts) => lifecycle.restoreExperiment(ctx, id, opts),

    createRun: (input) => runs.createRun(ctx, input),
    getRun: (runId) => runs.getRun(ctx, runId),
    updateRun: (runId, patch) => runs.updateRun(ctx, runId, patch),
    searchRuns: (query) => runs.searchRuns(ctx, query),
    listRunKeys: (ids, view) => runs.listRunKeys(ctx, ids, view),
    logParam: (runId, key, value) => runData.logParam(ctx, runId, key, value),
    logParams: (runId, params) => runData.logBatch(ctx, runId, { params }),
    logMetric: (runId, metric) => runData.logBatch(ctx, runId, { metrics: [metric] }),
    logMetrics: (runId, metrics) => runData.logBatch(ctx, runId, { metrics }),
    logBatch: (runId, batch) => runData.logBatch(ctx, runId, batch),
    getMetricHistory: (runId, key) => runData.getMetricHistory(ctx, runId, key),
    setRunTag: (runId, key, value) => runData.logBatch(ctx, runId, { tags: { [key]: value } }),
    deleteRunTag: (runId, key) => runData.deleteRunTag(ctx, runId, key),
    deleteRun: (runId, opts) => lifecycle.deleteRun(ctx, runId, opts),
    restoreRun: (runId, opts) => lifecycle.restoreRun(ctx, runId, opts),
    logInputs: (runId, datasets) => loggedModels.logInputs(ctx, runId, datasets),
    logOutputs: (runId, outputs) => loggedModels.logOutputs(ctx, runId, outputs),

    createLoggedModel: (input) => loggedModels.createLoggedModel(ctx, input),
    getLoggedModel: (id) => loggedModels.getLoggedModel(ctx, id),
    searchLoggedModels: (query) => loggedModels.searchLoggedModels(ctx, query),
    finalizeLoggedModel: (id, status, message) => loggedModels.finalizeLoggedModel(ctx, id, status, message),
    setLoggedModelTags: (id, tags) => loggedModels.setLoggedModelTags(ctx, id, tags),
    deleteLoggedModelTag: (id, key) => loggedModels.deleteLoggedModelTag(ctx, id, key),
    logLoggedModelParams: (id, params) => loggedModels.logLoggedModelParams(ctx, id, params),
    deleteLoggedModel: (id) => loggedModels.deleteLoggedModel(ctx, id),

    putArtifactFile: (entry) => artifactFiles.putArtifactFile(ctx, entry),
    getArtifactFile: (path) => artifactFiles.getArtifactFile(ctx, path),
    listArtifactFiles: (prefix) => artifactFiles.listArtifactFiles(ctx, prefix),
    deleteArtifactFiles: (path) => artifactFiles.deleteArtifactFiles(ctx, path),

    createRegisteredModel: (input) => models.createRegisteredModel(ctx, input),
    getRegisteredModel: (name) => models.getRegisteredModel(ctx, name),
    listRegisteredModels: (query) => models.listRegisteredModels(ctx, query),
    updateRegisteredModel: (name, patch) => models.updateRegisteredModel(ctx, name, patch),
    setRegisteredModelTag: (name, key, value) => models.setRegisteredModelTag(ctx, name, key, value),
    deleteRegisteredModelTag: (name, key) => models.deleteRegisteredModelTag(ctx, name, key),
    renameRegisteredModel: (name, newName) => models.renameRegisteredModel(ctx, name, newName),

    createModelVersion: (input) => versions.createModelVersion(ctx, input),
    getModelVersion: (name, version) => versions.getModelVersion(ctx, name, version),
    listModelVersions: (name) => versions.listModelVersions(ctx, name),
    searchModelVersions: (query) => versions.searchModelVersions(ctx, query),
    updateModelVersion: (name, version, patch) => versions.updateModelVersion(ctx, name, version, patch),
    setModelVersionTag: (name, version, key, value) =>
      versions.setModelVersionTag(ctx, name, version, key, value),
    deleteModelVersionTag: (name, version, key) => versions.deleteModelVersionTag(ctx, name, version, key),
    transitionStage: (name, version, stage, opts) =>
      promotions.transitionStage(ctx, name, version, stage, opts),
    deleteModelVersion: (name, version, opts) => registryDeletes.deleteModelVersion(ctx, name, version, opts),
    deleteRegisteredModel: (name, opts) => registryDeletes.deleteRegisteredModel(ctx, name, opts),

    setAlias: (name, alias, version, opts) => promotions.setAlias(ctx, name, alias, version, opts),
    deleteAlias: (name, alias, opts) => promotions.deleteAlias(ctx, name, alias, opts),
    resolveAlias: (name, alias) => promotions.resolveAlias(ctx, name, alias),

    purgeDeleted: (opts) => lifecycle.purgeDeleted(ctx, opts),
    referencedArtifacts: (opts) => lifecycle.referencedArtifacts(ctx, opts),

    listAuditEvents: (query) => listAuditEvents(ctx, query),
    async ping() {
      try {
        await tx.read((trx) => sql`select 1`.execute(trx));
      } catch (error) {
        if (error instanceof StoreError) throw error;
        throw new StoreError("UNAVAILABLE", `database did not answer: ${String(error)}`, { cause: error });
      }
    },
    onServingChange: (listener) => serving.subscribe(listener),
    async close() {
      await serving.close();
      await tx.close();
    },
  };
}
