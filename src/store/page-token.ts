// Opaque page tokens: a kind tag and the sort key of the last item returned, so a keyset page
// costs an index seek however deep the listing goes (MLflow's offset paging gets slow with many
// runs), and a token from one listing is useless in another. The services' in-memory pages use
// the same encoding (src/services/mapping/page.ts).
import { StoreError } from "./errors.js";

/** A page token that is not one of this listing's (another listing's, another order's, garbage). */
export class PageTokenError extends StoreError {
  constructor(kind: string) {
    super("INVALID_ARGUMENT", `invalid page token for ${kind}`);
  }
}

export function encodeToken(kind: string, key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify([kind, ...key])).toString("base64url");
}

/** Decodes a token made by encodeToken(kind, …) whose key has the given element types. */
export function decodeToken(
  token: string,
  kind: string,
  types: readonly ("string" | "number")[],
): (string | number)[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    parsed = undefined;
  }
  if (
    !Array.isArray(parsed) ||
    parsed[0] !== kind ||
    parsed.length !== types.length + 1 ||
    !types.every((t, i) => typeof parsed[i + 1] === t)
  ) {
    throw new PageTokenError(kind);
  }
  return parsed.slice(1);
}
