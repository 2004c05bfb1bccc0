// Bring your own model, measured on its own (the full `npm run bench` runs the same section):
//
//   node --import tsx bench/import-scoring.ts [--cell-ms 1000] [--json]
//
// What is measured and why: bench/lib/import-goals.ts.
import { parseArgs } from "node:util";
import { importLines, importVerdicts, measureImports } from "./lib/import-goals.js";

const { values: args } = parseArgs({
  options: { "cell-ms": { type: "string", default: "1000" }, json: { type: "boolean", default: false } },
});
const section = await measureImports({ cellMs: Number(args["cell-ms"]) });
for (const line of importLines(section)) console.log(line);
const verdicts = importVerdicts(section);
console.log("\ngoals:");
for (const v of verdicts) console.log(`  ${v.status.toUpperCase().padEnd(4)} ${v.name}: ${v.detail}`);
if (args.json) console.log(JSON.stringify({ section, verdicts }));
