// `mlops gc`: purges soft-deleted runs and experiments for good (as `mlflow gc`), then removes the
// artifact files nothing refers to any more. `--dry-run` says what would go and changes nothing.
import { type Command, Option } from "commander";
import { collectGarbage, GC_DEFAULTS, type GcReport } from "../workflows/gc.js";
import { type CliContext, withContext } from "./context.js";
import { jsonText, shortSha, write } from "./format.js";
import * as parse from "./parse.js";

interface GcFlags {
  dryRun?: boolean;
  grace: number;
  olderThan: number;
  json?: boolean;
}

function mib(bytes: number): string {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function summary(r: GcReport, flags: GcFlags): string {
  const will = r.dryRun ? "would purge" : "purged";
  const lines = [
    `${will} ${r.purged.runs.length} deleted run(s) and ${r.purged.experiments.length} deleted experiment(s)`,
  ];
  for (const id of r.purged.runs) lines.push(`  run ${id}`);
  for (const id of r.purged.experiments) lines.push(`  experiment ${id}`);
  if (r.purged.keptRuns.length > 0) {
    lines.push(
      `kept ${r.purged.keptRuns.length} deleted run(s) that a model version names: ${r.purged.keptRuns.join(", ")}`,
    );
  }
  lines.push(
    `${r.dryRun ? "would remove" : "removed"} ${r.removed.length} unreferenced artifact(s), ${mib(r.bytes)}; ` +
      `${r.referenced} referenced artifact(s) kept`,
  );
  for (const a of r.removed) lines.push(`  ${shortSha(a.sha256)}  ${mib(a.size)}`);
  if (r.young.length > 0) {
    lines.push(
      `kept ${r.young.length} unreferenced artifact(s) written less than ${parse.formatDurationFlag(flags.grace)} ago (--grace)`,
    );
  }
  return `${lines.join("\n")}\n`;
}

async function gc(ctx: CliContext, flags: GcFlags): Promise<void> {
  const report = await collectGarbage({
    store: ctx.store,
    artifacts: ctx.artifacts,
    actor: ctx.actor,
    dryRun: flags.dryRun,
    graceMs: flags.grace,
    olderThanMs: flags.olderThan,
  });
  if (flags.json) {
    write(
      jsonText({
        dry_run: report.dryRun,
        purged_runs: report.purged.runs,
        purged_experiments: report.purged.experiments,
        kept_runs: report.purged.keptRuns,
        removed_artifacts: report.removed.map((a) => ({ sha256: a.sha256, size: a.size })),
        removed_bytes: report.bytes,
        young_artifacts: report.young.map((a) => ({ sha256: a.sha256, size: a.size })),
        referenced_artifacts: report.referenced,
      }),
    );
    return;
  }
  write(summary(report, flags));
}

export function registerGc(program: Command): void {
  program
    .command("gc")
    .description(
      "purge deleted runs and experiments for good, then remove artifacts no model version or run refers to",
    )
    .option("--dry-run", "say what would be purged and removed; change nothing")
    .addOption(
      new Option(
        "--older-than <duration>",
        "purge only runs and experiments deleted at least this long ago (e.g. 30d, 12h; default 0: all)",
      )
        .argParser(parse.duration)
        .default(GC_DEFAULTS.olderThanMs, "0"),
    )
    .addOption(
      new Option(
        "--grace <duration>",
        "keep unreferenced artifacts written less than this long ago, for registrations in flight",
      )
        .argParser(parse.duration)
        .default(GC_DEFAULTS.graceMs, "1h"),
    )
    .option("--json", "print the report as JSON")
    .action((flags: GcFlags, cmd: Command) => withContext(cmd, (ctx) => gc(ctx, flags)));
}
