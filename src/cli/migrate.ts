// `mlops migrate`: brings the registry's schema up to date and exits. Every `mlops serve` migrates on
// start anyway (once, under PostgreSQL's advisory lock, however many replicas start together); this
// is for a deployment that migrates in a step of its own, e.g. a Kubernetes Job before the rollout.
import type { Command } from "commander";
import { describeDatabase } from "../config/config.js";
import { createStore } from "../store/index.js";
import { cliConfig } from "./context.js";
import { jsonText, write } from "./format.js";

export function registerMigrate(program: Command): void {
  program
    .command("migrate")
    .description("apply pending registry schema migrations (PostgreSQL or SQLite) and exit")
    .option("--json", "print {database, applied} as JSON")
    .action(async (flags: { json?: boolean }, cmd: Command) => {
      const config = cliConfig(cmd);
      let applied: readonly string[] = [];
      const store = await createStore({
        dataDir: config.dataDir,
        url: config.databaseUrl,
        poolSize: 1,
        onMigrated: (ids) => {
          applied = ids;
        },
      });
      await store.close();
      const database = describeDatabase(config);
      if (flags.json) write(jsonText({ database, applied }));
      else
        write(
          applied.length === 0
            ? `${database}: schema up to date`
            : `${database}: applied ${applied.join(", ")}`,
        );
    });
}
