// The web UI at scale, measured on its own:
//
//   node --import tsx bench/ui.ts [--runs 10000] [--data-dir DIR] [--json]     (npm run bench:ui)
//
// --data-dir keeps the populated store between runs (populating 10,000 runs takes minutes).
//
// What is measured and why: bench/lib/ui-goals.ts. Needs dist/ui (`npm run build`).
import { parseArgs } from "node:util";
import { measureUi, uiLines, uiVerdicts } from "./lib/ui-goals.js";

const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "10000" },
    "data-dir": { type: "string" },
    json: { type: "boolean", default: false },
  },
});
const section = await measureUi({ runs: Number(args.runs), dataDir: args["data-dir"] });
for (const line of uiLines(section)) console.log(line);
const verdicts = uiVerdicts(section);
console.log("\ngoals:");
for (const v of verdicts) console.log(`  ${v.status.toUpperCase().padEnd(4)} ${v.name}: ${v.detail}`);
if (args.json) console.log(JSON.stringify({ section, verdicts }));
