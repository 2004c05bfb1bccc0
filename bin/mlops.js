#!/usr/bin/env node
// The `mlops` command. The CLI is compiled TypeScript (npm run build) under dist/.
import cluster from "node:cluster";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// A `serve --workers N` worker parses the same argv with the serve command alone (worker-main.js),
// so it does not load the other commands' modules.
const entry = cluster.isWorker ? "worker-main.js" : "main.js";
const main = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "cli", entry);
if (!existsSync(main)) {
  process.stderr.write("mlops: dist/ is missing; run `npm run build` (or `npm ci`) first\n");
  process.exit(1);
}
const { run } = await import(main);
await run(process.argv);
