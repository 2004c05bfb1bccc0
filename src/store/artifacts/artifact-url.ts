// MLOPS_ARTIFACT_URL: where artifacts live when not in the data directory.
import { invalid } from "../errors.js";

export type ArtifactLocation =
  | { kind: "local" /** Folder that holds `sha256/`. */; dir: string }
  | {
      kind: "s3";
      bucket: string /** Key prefix without leading or trailing "/", possibly "". */;
      prefix: string;
    };

// S3's bucket naming rules (3-63 characters, lowercase letters, digits, dots and hyphens).
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** `s3://bucket[/prefix]` or `file:///absolute/dir`; anything else is INVALID_ARGUMENT. */
export function parseArtifactUrl(url: string): ArtifactLocation {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(
      `artifact URL ${JSON.stringify(url)} is not a URL: expected s3://bucket/prefix or file:///dir`,
    );
  }
  if (parsed.protocol === "s3:") {
    const bucket = parsed.hostname;
    if (!BUCKET.test(bucket)) throw invalid(`artifact URL ${JSON.stringify(url)}: invalid bucket name`);
    if (parsed.search || parsed.hash || parsed.username || parsed.port) {
      throw invalid(`artifact URL ${JSON.stringify(url)}: only s3://bucket/prefix is understood`);
    }
    const prefix = decodeURIComponent(parsed.pathname).replace(/^\/+|\/+$/g, "");
    // URL resolves dot segments away; a prefix that had them is refused, not silently changed.
    const raw = url.slice(url.indexOf(bucket) + bucket.length);
    if (raw.split(/[/?#]/).some((part) => /^(\.|%2e){1,2}$/i.test(part))) {
      throw invalid(`artifact URL ${JSON.stringify(url)}: the prefix may not contain . or .. segments`);
    }
    return { kind: "s3", bucket, prefix };
  }
  if (parsed.protocol === "file:") {
    if (parsed.hostname !== "" || parsed.search || parsed.hash) {
      throw invalid(`artifact URL ${JSON.stringify(url)}: expected file:///absolute/dir`);
    }
    return { kind: "local", dir: decodeURIComponent(parsed.pathname) };
  }
  throw invalid(`artifact URL ${JSON.stringify(url)}: unknown scheme; expected s3:// or file://`);
}
