// What a `mlops serve --workers N` worker runs (bin/mlops.js picks it in a cluster worker): the same
// argv parsed by the same serve command, without the other commands' modules (the trainers, the
// importers, the progress bars), which a worker never runs and would hold for its lifetime.
import { createProgram, runProgram } from "./program.js";
import { registerServe } from "./serve.js";

export async function run(argv: string[]): Promise<void> {
  const program = createProgram();
  registerServe(program);
  await runProgram(program, argv);
}
