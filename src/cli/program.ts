// What every entry of the `mlops` command shares: the program with its global options, and the
// parse-and-run loop with its exit codes. main.ts adds every command; worker-main.ts only serve.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Command, CommanderError, Option } from "commander";
import { CliError, EXIT, errorCode, formatError } from "./errors.js";

/** The CLI logs little and to stderr; `warn` unless `--log-level` or MLOPS_LOG_LEVEL says otherwise. */
export const CLI_LOG_LEVEL = "warn";

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

/** The `mlops` program with its global options and no commands. */
export function createProgram(): Command {
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
export async function runProgram(program: Command, argv: string[]): Promise<void> {
  quietOnClosedStdout();
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
