// JSON as XGBoost writes it: standard JSON plus bare NaN, Infinity and -Infinity (split_conditions of
// categorical nodes are NaN). Those tokens, outside strings, become null and ±1e999 (which
// JSON.parse reads as ±Infinity); everything else is JSON.parse's.
import { type ImportFormat, malformed } from "./errors.js";

const TOKENS = /"(?:[^"\\]|\\.)*"|-?Infinity|NaN/g;

export function parseLenientJson(format: ImportFormat, text: string): unknown {
  const fixed =
    text.includes("NaN") || text.includes("Infinity")
      ? text.replace(TOKENS, (t) =>
          t.charCodeAt(0) === 34 ? t : t === "NaN" ? "null" : t[0] === "-" ? "-1e999" : "1e999",
        )
      : text;
  try {
    return JSON.parse(fixed);
  } catch (error) {
    throw malformed(format, "file", "valid JSON", (error as Error).message);
  }
}
