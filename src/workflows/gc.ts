// `mlops gc`: empties the trash, as `mlflow gc` does (runs and experiments soft-deleted long enough
// ago are purged for good), then removes the artifact files nothing refers to any more. An artifact
// a model version or a remaining run names is never removed; neither is one written (or put again)
// within the grace period, which covers a registration between its `put` and its database row.
import type { ArtifactStore, PurgeResult, Store, StoredArtifact } from "../store/index.js";

export interface CollectGarbageOptions {
  store: Store;
  artifacts: Pick<ArtifactStore, "list" | "remove">;
  /** Recorded on each purge's audit event. Required. */
  actor: string;
  /** Report what would go; change nothing. Default false. */
  dryRun?: boolean;
  /** Keep unreferenced artifacts younger than this, in ms. Default {@link GC_DEFAULTS}.graceMs (1 hour). */
  graceMs?: number;
  /** Purge only runs and experiments deleted at least this long ago, in ms. Default 0: every deleted one. */
  olderThanMs?: number;
  /** Clock. Default Date.now. */
  now?: () => number;
}

export const GC_DEFAULTS = Object.freeze({ graceMs: 60 * 60 * 1000, olderThanMs: 0 });

export interface GcReport {
  dryRun: boolean;
  /** Runs and experiments purged (dry: that would be), and deleted runs kept because a version names them. */
  purged: PurgeResult;
  /** Artifacts removed (dry: that would be). */
  removed: StoredArtifact[];
  /** Unreferenced artifacts kept because they are younger than the grace period. */
  young: StoredArtifact[];
  /** Artifacts kept because something refers to them. */
  referenced: number;
  /** Bytes of `removed`. */
  bytes: number;
}

export async function collectGarbage(options: CollectGarbageOptions): Promise<GcReport> {
  const { store, artifacts, actor } = options;
  const dryRun = options.dryRun ?? false;
  const graceMs = options.graceMs ?? GC_DEFAULTS.graceMs;
  const olderThanMs = options.olderThanMs ?? GC_DEFAULTS.olderThanMs;
  const now = options.now ?? Date.now;
  for (const [name, v] of [
    ["graceMs", graceMs],
    ["olderThanMs", olderThanMs],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 0)
      throw new RangeError(`CollectGarbageOptions.${name} must be an integer >= 0`);
  }

  const start = now();
  const purged = await store.purgeDeleted({
    actor,
    dryRun,
    // "deleted before" is exclusive: with 0 it takes every run deleted up to now.
    deletedBeforeMs: Math.max(0, start - olderThanMs + 1),
  });
  // Listed files first, references second: a file that appears in between is not looked at, and a
  // reference added in between is seen.
  const stored = await artifacts.list();
  const refs = await store.referencedArtifacts({ exceptRuns: dryRun ? purged.runs : [] });
  const report: GcReport = { dryRun, purged, removed: [], young: [], referenced: 0, bytes: 0 };
  for (const a of stored) {
    if (refs.has(a.sha256)) {
      report.referenced++;
    } else if (start - a.mtimeMs < graceMs) {
      report.young.push(a);
    } else {
      if (!dryRun && !(await artifacts.remove(a.sha256))) continue;
      report.removed.push(a);
      report.bytes += a.size;
    }
  }
  return report;
}
