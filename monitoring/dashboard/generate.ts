// Writes the generated dashboard JSON: `node --import tsx monitoring/dashboard/generate.ts`.
// With --check it writes nothing and exits 1 when the committed file is out of date.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildMlopsApiDashboard } from "./mlops-api.js";
import { DASHBOARD_JSON_PATH, renderDashboardJson } from "./render.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const target = join(root, DASHBOARD_JSON_PATH);
const json = renderDashboardJson(buildMlopsApiDashboard());

if (process.argv.includes("--check")) {
  let current = "";
  try {
    current = readFileSync(target, "utf8");
  } catch {}
  if (current !== json) {
    process.stderr.write(`${DASHBOARD_JSON_PATH} is out of date: run monitoring/dashboard/generate.ts\n`);
    process.exit(1);
  }
} else {
  writeFileSync(target, json);
  process.stdout.write(`wrote ${DASHBOARD_JSON_PATH}\n`);
}
