// The web UI (issue 12, docs/decisions/0007-web-ui-stack.md) at /ui/: the app `npm run build` puts
// in dist/ui, a client of the public API (Connect) on this same port.
import { fileURLToPath } from "node:url";
import type { TemplateRoute } from "./routes.js";
import { singlePageApp } from "./static.js";

/** dist/ui: the same relative path from src/ and from dist/. */
export const UI_DIR = fileURLToPath(new URL("../../../dist/ui", import.meta.url));

/**
 * The UI loads nothing from elsewhere and runs no inline script: whatever a user wrote into a run
 * name or a tag is text, and even a bug that let HTML through could not run it.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

export interface UiOptions {
  /** The built app. Default UI_DIR. */
  dir?: string;
}

/** `/ui`, `/ui/`, deep links up to `/ui/models/<name>/versions/<version>`, and `/ui/assets/{file}`. */
export function uiRoutes(options: UiOptions = {}): TemplateRoute[] {
  return singlePageApp({
    prefix: "/ui",
    dir: options.dir ?? UI_DIR,
    depth: 4,
    headers: { "content-security-policy": CSP, "x-content-type-options": "nosniff" },
    missingHint: "build the UI with `npm run build`",
  });
}
