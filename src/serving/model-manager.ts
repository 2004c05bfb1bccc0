import type { ClassifierModel } from "../core/model.js";
import type { Logger } from "../observability/logger.js";
import type { ModelVersion, Store } from "../store/index.js";

/** An immutable snapshot of what is being served; a swap replaces the whole object. */
export interface ServedModel {
  readonly name: string;
  readonly version: number;
  readonly stage: string;
  readonly aliases: readonly string[];
  readonly runId: string | null;
  readonly sha256: string;
  readonly loadedAt: Date;
  /** Latest value of each metric of the source run (held-out evaluation), if known. */
  readonly metrics: Readonly<Record<string, number>>;
  readonly model: ClassifierModel;
}

/** Where verified artifact bytes come from (content-addressed; a mismatch throws DATA_LOSS). */
export interface ArtifactSource {
  get(sha256: string): Promise<Uint8Array>;
}

export interface ModelManagerOptions {
  store: Store;
  artifacts: ArtifactSource;
  /** Registered model to serve. */
  modelName: string;
  /** Turns verified bytes into a scoring model; validates the file (throws on a malformed one). */
  loadModel: (bytes: Uint8Array) => ClassifierModel;
  logger: Logger;
  /** Called after every change of the served snapshot (including to undefined). */
  onChange?: (served: ServedModel | undefined) => void;
  /** How often to look for a new Production version, in ms; 0 turns polling off. Default 2000. */
  pollIntervalMs?: number;
  /**
   * Versions other than the served one kept loaded for callers that ask for them by number (a
   * Predict selector, the Open Inference Protocol's `/versions/{v}`), least recently used dropped
   * first. Default 4.
   */
  maxOtherVersions?: number;
}

export interface ModelManager {
  /** The snapshot to use for one request; undefined while nothing is loaded. */
  current(): ServedModel | undefined;
  /** The last load failure, cleared by the next successful load. */
  lastError(): Error | undefined;
  /**
   * While nothing is served and the registry holds no model of the served name but holds others:
   * a sentence naming them (a typo'd `--model-name`). Updated by refresh().
   */
  missingModelHint(): string | undefined;
  /**
   * Looks up the newest Production version and serves it: load, validate, then swap, so a failed
   * load keeps the old model. A call made while a refresh runs is answered by one more refresh
   * after it, so a promotion is never missed.
   */
  refresh(): Promise<ServedModel | undefined>;
  /**
   * The registered version `version` of the served model's name, ready to score: the served snapshot
   * when it is that version, else loaded (validated like the served one) and kept among the
   * `maxOtherVersions` most recently used. A kept version is checked against the registry again
   * after `pollIntervalMs`, so a deleted one stops scoring. Rejects with the store's NOT_FOUND for a
   * version that is not registered, and with the loader's error for one that does not load.
   */
  version(version: number): Promise<ServedModel>;
  /** Starts polling (see pollIntervalMs). */
  start(): void;
  stop(): void;
}

export function createModelManager(options: ModelManagerOptions): ModelManager {
  const { store, artifacts, modelName, logger } = options;
  const pollMs = options.pollIntervalMs ?? 2000;
  const maxOthers = options.maxOtherVersions ?? 4;
  /** Other versions by number, least recently used first (Map keeps insertion order). */
  const others = new Map<number, { loading: Promise<ServedModel>; checkedAt: number }>();
  let served: ServedModel | undefined;
  let error: Error | undefined;
  let lastFailure: string | undefined;
  let hint: string | undefined;
  let inFlight: Promise<ServedModel | undefined> | undefined;
  let queued: Promise<ServedModel | undefined> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const set = (next: ServedModel | undefined) => {
    served = next;
    options.onChange?.(next);
  };

  async function runMetrics(runId: string | null): Promise<Record<string, number>> {
    if (!runId) return {};
    try {
      const run = await store.getRun(runId);
      return Object.fromEntries(run.metrics.map((m) => [m.key, m.value]));
    } catch {
      return {};
    }
  }

  async function load(mv: ModelVersion): Promise<ServedModel> {
    const bytes = await artifacts.get(mv.artifactSha256);
    const model = options.loadModel(bytes);
    return {
      name: mv.name,
      version: mv.version,
      stage: mv.stage,
      aliases: [...mv.aliases],
      runId: mv.runId,
      sha256: mv.artifactSha256,
      loadedAt: new Date(),
      metrics: await runMetrics(mv.runId),
      model,
    };
  }

  async function doRefresh(): Promise<ServedModel | undefined> {
    let target: ModelVersion | undefined;
    try {
      const page = await store.searchModelVersions({ name: modelName, stage: "Production", limit: 1 });
      target = page.items[0];
    } catch (err) {
      // The registry being unreachable is no reason to stop serving what we have.
      logger.warn({ err }, "registry lookup failed; keeping the served model");
      return served;
    }
    if (!target) {
      hint = await otherModelsHint();
      if (served)
        logger.warn({ name: modelName, version: served.version }, "no Production version; unloading");
      if (served) set(undefined);
      return served;
    }
    hint = undefined;
    if (served && served.version === target.version && served.sha256 === target.artifactSha256) {
      const sameMeta = served.stage === target.stage && served.aliases.join(",") === target.aliases.join(",");
      if (!sameMeta) set({ ...served, stage: target.stage, aliases: [...target.aliases] });
      return served;
    }
    try {
      const next = await load(target);
      const previous = served?.version;
      error = undefined;
      set(next);
      logger.info({ name: next.name, version: next.version, previous, sha256: next.sha256 }, "model loaded");
    } catch (err) {
      error = err as Error;
      // Polling retries every interval: say it once per version and cause, then quietly.
      const key = `${target.version}:${error.message}`;
      const level = key === lastFailure ? "debug" : "error";
      lastFailure = key;
      logger[level](
        { err, name: modelName, version: target.version, keeping: served?.version ?? null },
        "model load failed; keeping the served model",
      );
      // What we keep serving may have left Production meanwhile: report its real stage.
      if (served) {
        try {
          const mv = await store.getModelVersion(served.name, served.version);
          if (mv.stage !== served.stage || mv.aliases.join(",") !== served.aliases.join(",")) {
            set({ ...served, stage: mv.stage, aliases: [...mv.aliases] });
          }
        } catch {
          // keep the snapshot as it is
        }
      }
    }
    return served;
  }

  /** A hint when `modelName` is not registered but other models are (see missingModelHint). */
  async function otherModelsHint(): Promise<string | undefined> {
    try {
      const names = (await store.listRegisteredModels({ limit: 20 })).items.map((m) => m.name);
      if (names.length === 0 || names.includes(modelName)) return undefined;
      return `this data directory has no model named "${modelName}"; it holds ${names
        .map((n) => `"${n}"`)
        .join(", ")}: serve one of them with --model-name (env MLOPS_MODEL_NAME)`;
    } catch {
      return undefined;
    }
  }

  /** Loads `version` unless the kept copy is fresh or still matches the registry's record. */
  function other(version: number): Promise<ServedModel> {
    const kept = others.get(version);
    others.delete(version);
    let entry = kept;
    if (!kept || Date.now() - kept.checkedAt >= pollMs) {
      const loading = (async () => {
        const mv = await store.getModelVersion(modelName, version);
        const previous = kept && (await kept.loading.catch(() => undefined));
        if (previous && previous.sha256 === mv.artifactSha256) {
          return { ...previous, stage: mv.stage, aliases: [...mv.aliases] };
        }
        return load(mv);
      })();
      entry = { loading, checkedAt: Date.now() };
      // A failure is not kept: the next call tries again.
      loading.catch(() => {
        if (others.get(version) === entry) others.delete(version);
      });
    }
    others.set(version, entry as NonNullable<typeof entry>);
    while (others.size > maxOthers) others.delete(others.keys().next().value as number);
    return (entry as NonNullable<typeof entry>).loading;
  }

  return {
    current: () => served,
    version(version) {
      if (served && served.version === version) return Promise.resolve(served);
      return other(version);
    },
    lastError: () => error,
    missingModelHint: () => hint,
    refresh() {
      if (!inFlight) {
        inFlight = doRefresh().finally(() => {
          inFlight = undefined;
        });
        return inFlight;
      }
      if (!queued) {
        queued = inFlight.then(() => {
          queued = undefined;
          return this.refresh();
        });
      }
      return queued;
    },
    start() {
      if (pollMs <= 0 || timer) return;
      timer = setInterval(() => void this.refresh(), pollMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
