import { isStoreError } from "./errors.js";
import type { Store } from "./store.js";

/** The id of the experiment named `name`, created when missing; safe against a concurrent creator. */
export async function getOrCreateExperiment(store: Store, name: string): Promise<string> {
  try {
    return (await store.getExperimentByName(name)).id;
  } catch (error) {
    if (!isStoreError(error, "NOT_FOUND")) throw error;
  }
  try {
    return (await store.createExperiment({ name })).id;
  } catch (error) {
    // Another process created it between our read and write.
    if (isStoreError(error, "ALREADY_EXISTS")) return (await store.getExperimentByName(name)).id;
    throw error;
  }
}

/** Creates the registered model `name` unless it exists; safe against a concurrent creator. */
export async function ensureRegisteredModel(store: Store, name: string): Promise<void> {
  try {
    await store.getRegisteredModel(name);
  } catch (error) {
    if (!isStoreError(error, "NOT_FOUND")) throw error;
    try {
      await store.createRegisteredModel({ name });
    } catch (createError) {
      if (!isStoreError(createError, "ALREADY_EXISTS")) throw createError;
    }
  }
}
