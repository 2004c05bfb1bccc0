// The core's goals (bench/lib/core-goals.ts) in a process of their own, the section as JSON on
// stdout. The full bench runs them here: in its own process, after the load tests, with its other
// threads and a heap of ~250 MB, RF batches measured 1.1–1.8× slower than in a fresh process
// (four full runs against standalone bench:core runs, 2026-12-07, docs/benchmarks.md).
//
//   node --import tsx bench/core-goals.ts [--cell-ms 750]
import { parseArgs } from "node:util";
import { measureCore } from "./lib/core-goals.js";

const { values } = parseArgs({ options: { "cell-ms": { type: "string", default: "750" } } });
process.stdout.write(JSON.stringify(await measureCore({ cellMs: Number(values["cell-ms"]) })));
