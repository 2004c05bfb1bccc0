import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

export class MissingToolError extends Error {
  readonly code = "ERR_MISSING_TOOL";
}

/** The absolute path of `command` on PATH, or undefined. */
export function findOnPath(command: string, path: string = process.env.PATH ?? ""): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

/**
 * The absolute path of `command`, or a MissingToolError naming the Debian package to install.
 * Tests call it instead of skipping: a check that silently does not run proves nothing.
 */
export function requireTool(command: string, debianPackage: string): string {
  const found = findOnPath(command);
  if (!found) {
    throw new MissingToolError(
      `${command} is not installed: install it with \`apt-get update && apt-get install -y ${debianPackage}\` (.ci/run does this in CI)`,
    );
  }
  return found;
}
