// The registry on PostgreSQL and stateless replicas, measured on their own (issue 13):
//
//   npm run bench:registry [-- --quick] [--json]
//
// What is measured and why: bench/lib/registry-goals.ts.
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { machineInfo } from "./lib/machine.js";
import { measureRegistry, registryLines, registryVerdicts } from "./lib/registry-goals.js";

const { values: args } = parseArgs({
  options: { quick: { type: "boolean", default: false }, json: { type: "boolean", default: false } },
});
const m = machineInfo();
// The 1-minute load average says how shared the machine was: absolute latencies depend on it.
const load = () => loadavg()[0]!.toFixed(1);
console.log(
  `machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, node ${m.node}; load average ${load()}`,
);
const section = await measureRegistry(args.quick ? { opsPerClient: 60, cellS: 3, rounds: 1 } : {});
for (const line of registryLines(section)) console.log(line);
console.log(`load average after: ${load()}`);
const verdicts = registryVerdicts(section);
console.log("\ngoals:");
for (const v of verdicts) console.log(`  ${v.status.toUpperCase().padEnd(4)} ${v.name}: ${v.detail}`);
if (args.json) console.log(JSON.stringify({ machine: m, section, verdicts }));
process.exit(0);
