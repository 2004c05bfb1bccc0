// The `mlops` command line: bin/mlops.js calls run(process.argv).
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Command, CommanderError, Option } from "commander";
import { CLI_LOG_LEVEL } from "./context.js";
import { CliError, EXIT, errorCode, formatError } from "./errors.js";
import { registerGc } from "./gc.js";
import { registerExperiments } from "./lifecycle.js";
import { registerMigrate } from "./migrate.js";
import { registerModels } from "./models.js";
import { registerRuns } from "./runs.js";
import { registerServe } from "./serve.js";
import { registerTrain } from "./train.js";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

function packageVersion(): string {
  try {
    // src/cli or dist/cli → the package root.
    const path = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "package.json");
    return (JSON.parse(readFileSync(path, "utf8")) as { version: string }).version;
  } catch {
    return "0.0.0";
  }
}

/** The whole program; exported so tests and docs can inspect the commands without running them. */
export function buildProgram(): Command {
  const program = new Command("mlops")
    .description("train, track, register and serve tabular classifiers")
    // Short flag only: a global `--version` would swallow `models describe --version <n>`.
    .version(packageVersion(), "-V", "output the version number (also `mlops --version`)")
    .option("--data-dir <dir>", "registry, tracking and artifacts (env MLOPS_DATA_DIR, default ./.mlops)")
    .option(
      "--artifact-url <url>",
      "keep artifacts in s3://bucket/prefix or file:///dir instead of the data dir (env MLOPS_ARTIFACT_URL)",
    )
    .option(
      "--database-url <url>",
      "PostgreSQL registry shared by replicas, postgres://user:pass@host:port/db (env MLOPS_DATABASE_URL; default SQLite in the data dir)",
    )
    .addOption(
      new Option(
        "--log-level <level>",
        `pino level (env MLOPS_LOG_LEVEL; default ${CLI_LOG_LEVEL} for data commands, info for serve)`,
      ).choices(LOG_LEVELS),
    )
    .showHelpAfterError("(add --help for usage)")
    // Errors become exceptions so run() decides the exit code; subcommands inherit this when created.
    .exitOverride();
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
 * A reader that went away (`mlops … --json | head -1`) ends the CLI quietly with 0, as a Unix tool
 * does, instead of an unhandled `write EPIPE` stack. Node ignores SIGPIPE, so this is the error event.
 */
function quietOnClosedStdout(): void {
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(EXIT.ok);
    throw error;
  });
}

/**
 * Parses `argv` (process.argv form: node, script, args…) and runs the command. Sets
 * process.exitCode rather than exiting, so output is flushed and long-running commands
 * (serve) keep the process alive: 0 ok, 1 failure, 2 usage error, 130 cancelled.
 */
export async function run(argv: string[]): Promise<void> {
  quietOnClosedStdout();
  const program = buildProgram();
  // `mlops --version` on its own still works.
  const args = argv.length === 3 && argv[2] === "--version" ? [...argv.slice(0, 2), "-V"] : argv;
  try {
    await program.parseAsync(args);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed the message (or the help/version it was asked for).
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    process.stderr.write(`${formatError(error)}\n`);
    process.exitCode = error instanceof CliError ? error.exitCode : EXIT.failure;
    if (errorCode(error) === undefined && process.env.MLOPS_DEBUG) console.error(error);
  }
}
