// page_size and page_token handling. Store listings that page themselves keep the store's own
// opaque token; listings the service pages in memory use the cursors below, whose kind tag
// makes a token from one listing useless in another.
import { invalidArgument } from "../../rpc/service-error.js";
import { decodeToken, encodeToken } from "../../store/index.js";

/** page_size 0 means this many. */
export const DEFAULT_PAGE_SIZE = 100;
/** Larger page_size values are clamped to this. */
export const MAX_PAGE_SIZE = 1000;

const TOKEN_EXPECTED = "the next_page_token of a previous response to the same request";

/** page_size → a limit: 0 → 100, above 1000 → 1000, negative → INVALID_ARGUMENT. */
export function pageSize(size: number, field = "page_size"): number {
  if (!Number.isInteger(size) || size < 0) throw invalidArgument(field, "an integer >= 0", String(size));
  if (size === 0) return DEFAULT_PAGE_SIZE;
  return Math.min(size, MAX_PAGE_SIZE);
}

/** A store token in, a proto token out: "" ⇄ absent. */
export const tokenIn = (token: string): string | undefined => (token === "" ? undefined : token);
export const tokenOut = (token: string | null | undefined): string => token ?? "";

type CursorKey = string | number;

export const encodeCursor: (kind: string, key: readonly CursorKey[]) => string = encodeToken;

/** Decodes a cursor made by encodeCursor(kind, …) with the given key types; INVALID_ARGUMENT otherwise. */
export function decodeCursor(
  token: string,
  kind: string,
  types: readonly ("string" | "number")[],
  field = "page_token",
): CursorKey[] {
  try {
    return decodeToken(token, kind, types);
  } catch {
    throw invalidArgument(field, TOKEN_EXPECTED);
  }
}

export interface InMemoryPage<T> {
  items: T[];
  nextPageToken: string;
}

/**
 * One page of `items`, which must be sorted ascending by the unique `key`. The token holds the
 * last key returned, so inserts and deletes between pages neither repeat nor skip items.
 */
export function pageByKey<T, K extends CursorKey>(
  items: readonly T[],
  key: (item: T) => K,
  options: { kind: string; keyType: "string" | "number"; size: number; token: string },
): InMemoryPage<T> {
  let start = 0;
  if (options.token !== "") {
    // decodeCursor checked that the token holds exactly one key of keyType.
    const [after] = decodeCursor(options.token, options.kind, [options.keyType]) as [K];
    start = items.findIndex((item) => key(item) > after);
    if (start < 0) start = items.length;
  }
  const page = items.slice(start, start + options.size);
  const last = page.at(-1);
  const more = start + options.size < items.length;
  return {
    items: page,
    nextPageToken: more && last !== undefined ? encodeCursor(options.kind, [key(last)]) : "",
  };
}

/** One page of `items` by position, for listings with no unique sort key (metric points). */
export function pageByOffset<T>(
  items: readonly T[],
  options: { kind: string; size: number; token: string },
): InMemoryPage<T> {
  const start =
    options.token === "" ? 0 : (decodeCursor(options.token, options.kind, ["number"])[0] as number);
  if (!Number.isSafeInteger(start) || start < 0) throw invalidArgument("page_token", TOKEN_EXPECTED);
  const end = start + options.size;
  return {
    items: items.slice(start, end),
    nextPageToken: end < items.length ? encodeCursor(options.kind, [end]) : "",
  };
}
