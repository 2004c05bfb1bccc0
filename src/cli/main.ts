// The `mlops` command line: bin/mlops.js calls run(process.argv).
import type { Command } from "commander";
import { registerGc } from "./gc.js";
import { registerExperiments } from "./lifecycle.js";
import { registerMigrate } from "./migrate.js";
import { registerModels } from "./models.js";
import { createProgram, runProgram } from "./program.js";
import { registerRuns } from "./runs.js";
import { registerServe } from "./serve.js";
import { registerTrain } from "./train.js";

/** The whole program; exported so tests and docs can inspect the commands without running them. */
export function buildProgram(): Command {
  const program = createProgram();
  registerTrain(program);
  registerServe(program);
  registerModels(program);
  registerRuns(program);
  registerExperiments(program);
  registerGc(program);
  registerMigrate(program);
  return program;
}

/**
 * Parses `argv` (process.argv form: node, script, args…) and runs the command. Sets
 * process.exitCode rather than exiting, so output is flushed and long-running commands
 * (serve) keep the process alive: 0 ok, 1 failure, 2 usage error, 130 cancelled.
 */
export async function run(argv: string[]): Promise<void> {
  await runProgram(buildProgram(), argv);
}
