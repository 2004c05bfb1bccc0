/**
 * Training: GBDT, random forest and logistic regression, run by the native core off the JS thread.
 * Algorithms, defaults and guarantees are described in docs/training.md; options in train-options.ts.
 */
import { ERR_TRAIN_CANCELLED, ERR_TRAIN_INVALID, TrainError, toCoreError } from "./errors.js";
import { ClassifierModel } from "./model.js";
import { type Binding, type ClassLabels, loadAddon } from "./native.js";
import { resolveTrainOptions, type TrainOptions } from "./train-options.js";

/** The rows to learn from. `y` holds class ids 0..K-1; every class must occur. NaN in `x` means missing. */
export interface TrainDataset {
  /** Row-major `nRows × nFeatures`. ±Infinity is rejected. */
  x: Float64Array;
  y: Float64Array;
  nRows: number;
  nFeatures: number;
  /** Stored in the model when given (one per feature). */
  featureNames?: string[];
  /** The original class value of each class id, stored in the model; absent or "none": the ids themselves. */
  classLabels?: ClassLabels;
}

export interface TrainHooks {
  /** Called on the JS thread after each round (gbdt), tree (rf) or iteration (logreg): done = 1..total. */
  onProgress?: (done: number, total: number) => void;
  /** Aborting cancels training; the promise rejects with ERR_TRAIN_CANCELLED. */
  signal?: AbortSignal;
}

function cancelled(signal: AbortSignal): TrainError {
  return new TrainError(ERR_TRAIN_CANCELLED, "cancelled", "training was cancelled", { cause: signal.reason });
}

/**
 * Trains a model on `data`. The returned model went through the artifact parser and its validation
 * (`ClassifierModel.fromBytes`), exactly as a stored one would. The same data, options and seed give
 * byte-identical artifacts whatever `threads` is. Rejects with {@link TrainError}: ERR_TRAIN_INVALID
 * for bad data or options, ERR_TRAIN_CANCELLED when `hooks.signal` aborts; an error thrown by
 * `onProgress` stops training and rejects the promise with that error.
 */
export async function train(
  data: TrainDataset,
  options: TrainOptions = {},
  hooks: TrainHooks = {},
): Promise<ClassifierModel> {
  const resolved = resolveTrainOptions(options);
  // A count is checked against the data here, so the message can say how many features there are.
  if (
    resolved.model === "rf" &&
    typeof resolved.maxFeatures === "number" &&
    Number.isInteger(resolved.maxFeatures) &&
    resolved.maxFeatures > data.nFeatures
  ) {
    throw new TrainError(
      ERR_TRAIN_INVALID,
      "bad_param",
      `maxFeatures: ${resolved.maxFeatures} features per split, but the data has ${data.nFeatures} features`,
    );
  }
  const { onProgress, signal } = hooks;
  if (signal?.aborted) throw cancelled(signal);
  let handle: Binding.TrainHandle;
  try {
    handle = loadAddon().train(
      data.x,
      data.y,
      data.nRows,
      data.nFeatures,
      {
        ...resolved,
        threads: options.threads ?? 0,
        featureNames: data.featureNames,
        paramsJson: JSON.stringify(resolved),
        ...(data.classLabels && data.classLabels.kind !== "none"
          ? { classLabels: { kind: data.classLabels.kind, values: data.classLabels.values } }
          : {}),
      },
      onProgress,
    );
  } catch (error) {
    throw toCoreError(error);
  }
  const onAbort = () => handle.cancel();
  signal?.addEventListener("abort", onAbort, { once: true });
  let bytes: Uint8Array;
  try {
    bytes = await handle.promise;
  } catch (error) {
    const e = toCoreError(error);
    if (e instanceof TrainError && e.code === ERR_TRAIN_CANCELLED && signal?.aborted) throw cancelled(signal);
    throw e;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  return ClassifierModel.fromBytes(bytes);
}
