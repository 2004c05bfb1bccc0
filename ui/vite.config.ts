// `npm run build` builds the web UI (docs/decisions/0007-web-ui-stack.md) into dist/ui, served at
// /ui/ by src/transports/http/ui.ts. Every asset is local: nothing is fetched from a CDN.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/ui/",
  logLevel: "warn",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: fileURLToPath(new URL("../dist/ui", import.meta.url)),
    emptyOutDir: true,
    assetsDir: "assets",
    // ECharts alone is ~600 kB minified; the app loads it once, from this server.
    chunkSizeWarningLimit: 1500,
    sourcemap: false,
  },
});
