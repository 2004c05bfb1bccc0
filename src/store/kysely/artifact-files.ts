// The artifact tree: "/"-separated paths (MLflow's artifact proxy, a run's files) pointing at
// digests in the content-addressed artifact store. Folders are implicit: a folder is any prefix of
// a file's path, so a path cannot be a file and a folder at once.
import { sql } from "kysely";
import { invalid, notFound } from "../errors.js";
import type { ArtifactFileEntry } from "../types.js";
import { checkSha256 } from "../validation.js";
import type { StoreContext } from "./context.js";
import { num } from "./rows.js";
import type { Db } from "./schema.js";

const MAX_PATH = 1024;

/** A relative path of non-empty segments, none "." or "..", no backslash or control characters. */
export function checkArtifactPath(path: unknown, allowRoot = false): string {
  if (typeof path !== "string" || path.length > MAX_PATH) {
    throw invalid(`invalid artifact path: must be a string of at most ${MAX_PATH} characters`);
  }
  if (path === "" && allowRoot) return path;
  const segments = path.split("/");
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  const bad = /[\u0000-\u001f\u007f\\]/;
  if (path === "" || segments.some((s) => s === "" || s === "." || s === ".." || bad.test(s))) {
    throw invalid(
      `invalid artifact path ${JSON.stringify(path)}: "/"-separated names, none empty, "." or ".."`,
    );
  }
  return path;
}

/**
 * Everything under `folder`: a prefix test by substr, which compares the same way on SQLite and
 * PostgreSQL whatever the collation (LIKE is case-insensitive on SQLite; ranges follow collations).
 */
function under(folder: string) {
  const prefix = `${folder}/`;
  // substr counts characters (code points) on both dialects.
  return sql<boolean>`substr(path, 1, ${[...prefix].length}) = ${prefix}`;
}

const toEntry = (r: { path: string; sha256: string; size: unknown; updated_at_ms: unknown }) => ({
  path: r.path,
  sha256: r.sha256,
  size: num(r.size as number),
  updatedAtMs: num(r.updated_at_ms as number),
});

async function filesUnder(db: Db, folder: string) {
  let q = db.selectFrom("artifact_files").selectAll();
  if (folder !== "") q = q.where(under(folder));
  return q.orderBy("path").execute();
}

export async function putArtifactFile(
  ctx: StoreContext,
  entry: Omit<ArtifactFileEntry, "updatedAtMs">,
): Promise<ArtifactFileEntry> {
  const path = checkArtifactPath(entry?.path);
  const sha256 = checkSha256(entry.sha256);
  if (!Number.isSafeInteger(entry.size) || entry.size < 0) throw invalid("invalid artifact size");
  return ctx.tx.write(async (trx) => {
    if ((await filesUnder(trx, path)).length > 0) {
      throw invalid(`artifact path "${path}" is a folder: it has files under it`);
    }
    const segments = path.split("/");
    const parents = segments.slice(0, -1).map((_, i) => segments.slice(0, i + 1).join("/"));
    if (parents.length > 0) {
      const clash = await trx
        .selectFrom("artifact_files")
        .select("path")
        .where("path", "in", parents)
        .executeTakeFirst();
      if (clash) throw invalid(`artifact path "${path}" lies under the file "${clash.path}"`);
    }
    const now = ctx.now();
    await trx
      .insertInto("artifact_files")
      .values({ path, sha256, size: entry.size, updated_at_ms: now })
      .onConflict((oc) => oc.column("path").doUpdateSet({ sha256, size: entry.size, updated_at_ms: now }))
      .execute();
    return { path, sha256, size: entry.size, updatedAtMs: now };
  });
}

export async function getArtifactFile(ctx: StoreContext, path: string): Promise<ArtifactFileEntry> {
  checkArtifactPath(path);
  return ctx.tx.read(async (trx) => {
    const row = await trx
      .selectFrom("artifact_files")
      .selectAll()
      .where("path", "=", path)
      .executeTakeFirst();
    if (!row) throw notFound(`artifact file "${path}"`);
    return toEntry(row);
  });
}

export async function listArtifactFiles(ctx: StoreContext, prefix: string): Promise<ArtifactFileEntry[]> {
  checkArtifactPath(prefix, true);
  return ctx.tx.read(async (trx) => (await filesUnder(trx, prefix)).map(toEntry));
}

export async function deleteArtifactFiles(ctx: StoreContext, path: string): Promise<number> {
  checkArtifactPath(path);
  return ctx.tx.write(async (trx) => {
    const file = await trx.deleteFrom("artifact_files").where("path", "=", path).executeTakeFirst();
    const folder = await trx.deleteFrom("artifact_files").where(under(path)).executeTakeFirst();
    return Number(file.numDeletedRows) + Number(folder.numDeletedRows);
  });
}
