#!/usr/bin/env node
// The `mlops` command. The CLI is compiled TypeScript (npm run build) under dist/.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const main = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "cli", "main.js");
if (!existsSync(main)) {
  process.stderr.write("mlops: dist/ is missing; run `npm run build` (or `npm ci`) first\n");
  process.exit(1);
}
const { run } = await import(main);
await run(process.argv);
