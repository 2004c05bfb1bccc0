// `mlops models list | describe | promote | alias | history | delete | import | export`: the registry, for daily use.
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { type Command, Option } from "commander";
import { type Stage, Stage as StageEnum } from "../gen/mlops/v1/model_pb.js";

const STAGE_PRODUCTION = StageEnum.PRODUCTION;

import {
  type AuditEvent,
  AuditEventType,
  type ModelVersion,
  RegistryService,
} from "../gen/mlops/v1/registry_pb.js";
import { IMPORT_FORMATS, type ImportFormatOption } from "../models/import/index.js";
import { stageFromStore } from "../services/mapping/enums.js";
import { parseClasses } from "../services/model-import.js";
import { CLASS_LABELS_TAG } from "../workflows/class-labels.js";
import { importAndRegisterFile } from "../workflows/import-and-register.js";
import { type CliContext, withContext } from "./context.js";
import { CliError, EXIT } from "./errors.js";
import { formatMap, formatMetric, formatTime, jsonText, shortSha, stageLabel, write } from "./format.js";
import * as parse from "./parse.js";
import { call, messageJson, responseJson } from "./rpc.js";
import { formatFields, formatTable } from "./table.js";

const M = RegistryService.method;
const PAGE = 1000;

interface JsonFlag {
  json?: boolean;
}

/** Every page of a paged listing. */
async function allPages<T>(
  fetch: (pageToken: string) => Promise<{ items: T[]; nextPageToken: string }>,
): Promise<T[]> {
  const items: T[] = [];
  let token = "";
  do {
    const page = await fetch(token);
    items.push(...page.items);
    token = page.nextPageToken;
  } while (token !== "");
  return items;
}

const listVersions = (ctx: CliContext, name: string) =>
  allPages(async (pageToken) => {
    const res = await call(
      M.listModelVersions,
      ctx.registry.listModelVersions,
      { name, pageSize: PAGE, pageToken },
      ctx.call,
    );
    return { items: res.modelVersions, nextPageToken: res.nextPageToken };
  });

const HEADLINE_METRICS = ["accuracy", "f1", "roc_auc", "log_loss"] as const;

function versionsTable(versions: ModelVersion[]): string {
  const metricKeys = HEADLINE_METRICS.filter((k) => versions.some((v) => k in v.metrics));
  return formatTable(
    ["VERSION", "STAGE", "ALIASES", ...metricKeys.map((k) => k.toUpperCase()), "RUN", "SHA256", "CREATED"],
    versions.map((v) => [
      v.version,
      stageLabel(v.stage),
      v.aliases.join(",") || "-",
      ...metricKeys.map((k) => formatMetric(v.metrics[k])),
      v.runId || "-",
      shortSha(v.artifactSha256),
      formatTime(v.createdAtMs),
    ]),
    { align: ["right", "left", "left", ...metricKeys.map(() => "right" as const)] },
  );
}

async function list(ctx: CliContext, flags: JsonFlag): Promise<void> {
  const models = await allPages(async (pageToken) => {
    const res = await call(
      M.listRegisteredModels,
      ctx.registry.listRegisteredModels,
      { pageSize: PAGE, pageToken },
      ctx.call,
    );
    return { items: res.registeredModels, nextPageToken: res.nextPageToken };
  });
  if (flags.json) {
    write(jsonText(messageJson(M.listRegisteredModels.output, { registeredModels: models })));
    return;
  }
  const inStage = (versions: ModelVersion[], stage: Stage) => {
    const v = versions.find((x) => x.stage === stage);
    return v ? `v${v.version}` : "-";
  };
  write(
    formatTable(
      ["NAME", "LATEST", "PRODUCTION", "STAGING", "ALIASES", "UPDATED"],
      models.map((m) => {
        const latest = Math.max(0, ...m.latestVersions.map((v) => Number(v.version)));
        return [
          m.name,
          latest === 0 ? "-" : `v${latest}`,
          inStage(m.latestVersions, stageFromStore("Production")),
          inStage(m.latestVersions, stageFromStore("Staging")),
          formatMap(Object.fromEntries(Object.entries(m.aliases).map(([a, v]) => [a, `v${v}`]))),
          formatTime(m.updatedAtMs),
        ];
      }),
      { empty: "no registered models (train one: mlops train)" },
    ),
  );
}

async function describe(
  ctx: CliContext,
  name: string,
  flags: JsonFlag & { version?: number },
): Promise<void> {
  if (flags.version !== undefined) {
    const res = await call(
      M.getModelVersion,
      ctx.registry.getModelVersion,
      { name, version: String(flags.version) },
      ctx.call,
    );
    if (flags.json) return write(jsonText(responseJson(M.getModelVersion, res)));
    const v = res.modelVersion!;
    write(
      formatFields([
        ["name", v.name],
        ["version", v.version],
        ["stage", stageLabel(v.stage)],
        ["aliases", v.aliases.join(", ") || "-"],
        ["run", v.runId || "-"],
        ["source", v.source],
        ["sha256", v.artifactSha256],
        ["created", formatTime(v.createdAtMs)],
        ["updated", formatTime(v.updatedAtMs)],
        ["description", v.description || "-"],
        ["classes", v.tags[CLASS_LABELS_TAG] ?? "-"],
        ["tags", formatMap(v.tags)],
      ]),
    );
    write("\nsource run metrics:\n");
    write(
      formatTable(
        ["METRIC", "VALUE"],
        Object.entries(v.metrics)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([k, value]) => [k, formatMetric(value)]),
        { align: ["left", "right"] },
      ),
    );
    return;
  }

  const got = await call(M.getRegisteredModel, ctx.registry.getRegisteredModel, { name }, ctx.call);
  const versions = await listVersions(ctx, name);
  if (flags.json) {
    write(
      jsonText({
        ...(responseJson(M.getRegisteredModel, got) as object),
        ...(messageJson(M.listModelVersions.output, { modelVersions: versions }) as object),
      }),
    );
    return;
  }
  const m = got.registeredModel!;
  write(
    formatFields([
      ["name", m.name],
      ["description", m.description || "-"],
      ["aliases", formatMap(Object.fromEntries(Object.entries(m.aliases).map(([a, v]) => [a, `v${v}`])))],
      ["tags", formatMap(m.tags)],
      ["created", formatTime(m.createdAtMs)],
      ["updated", formatTime(m.updatedAtMs)],
    ]),
  );
  write("\nversions:\n");
  write(versionsTable(versions));
}

interface PromoteFlags extends JsonFlag {
  archiveExisting?: boolean;
  comment?: string;
  yes?: boolean;
}

/**
 * Moving the only Production version elsewhere leaves a server of this model with nothing to serve
 * (503): say so, and go ahead only with --yes.
 */
async function confirmLeavingProduction(
  ctx: CliContext,
  name: string,
  version: number,
  stage: string,
  flags: PromoteFlags,
): Promise<void> {
  if (stage === "Production" || flags.yes) return;
  const production = (await listVersions(ctx, name)).filter((v) => v.stage === STAGE_PRODUCTION);
  if (production.length === 1 && production[0]?.version === String(version)) {
    throw new CliError(
      "USAGE",
      `v${version} is the only Production version of ${name}: moving it to ${stage} leaves a server of ` +
        `${name} with nothing to serve (/predict answers 503) until another version is promoted; ` +
        "add --yes to go ahead",
      EXIT.usage,
    );
  }
}

async function promote(
  ctx: CliContext,
  name: string,
  version: number,
  stage: string,
  flags: PromoteFlags,
): Promise<void> {
  await confirmLeavingProduction(ctx, name, version, stage, flags);
  // Archiving the old Production version is what a promotion means; elsewhere it must be asked for.
  const archive = flags.archiveExisting ?? stage === "Production";
  const res = await call(
    M.transitionModelVersionStage,
    ctx.registry.transitionModelVersionStage,
    {
      name,
      version: String(version),
      stage: stageFromStore(stage),
      archiveExistingVersions: archive,
      comment: flags.comment ?? "",
    },
    ctx.call,
  );
  if (flags.json) return write(jsonText(responseJson(M.transitionModelVersionStage, res)));
  const archived = res.archivedVersions.map((v) => `v${v.version}`);
  write(
    `${name} v${res.modelVersion?.version} → ${stageLabel(res.modelVersion!.stage)}` +
      (archived.length > 0 ? ` (archived ${archived.join(", ")})` : "") +
      "\n",
  );
}

async function alias(
  ctx: CliContext,
  name: string,
  aliasName: string,
  version: number | undefined,
  flags: JsonFlag & { delete?: boolean },
): Promise<void> {
  if (flags.delete) {
    if (version !== undefined)
      throw new CliError("USAGE", "give a version or --delete, not both", EXIT.usage);
    const res = await call(
      M.deleteModelAlias,
      ctx.registry.deleteModelAlias,
      { name, alias: aliasName },
      ctx.call,
    );
    if (flags.json) return write(jsonText(responseJson(M.deleteModelAlias, res)));
    write(`${name}@${aliasName} deleted\n`);
    return;
  }
  if (version === undefined)
    throw new CliError("USAGE", "give the version to point the alias at, or --delete", EXIT.usage);
  const res = await call(
    M.setModelAlias,
    ctx.registry.setModelAlias,
    { name, alias: aliasName, version: String(version) },
    ctx.call,
  );
  if (flags.json) return write(jsonText(responseJson(M.setModelAlias, res)));
  write(`${name}@${aliasName} → v${res.modelVersion?.version}\n`);
}

function describeChange(e: AuditEvent): [string, string] {
  switch (e.type) {
    case AuditEventType.STAGE_TRANSITION:
      return ["stage", `${stageLabel(e.fromStage)} → ${stageLabel(e.toStage)}`];
    case AuditEventType.ALIAS_SET:
      return ["alias set", `@${e.alias}: ${e.fromVersion ? `v${e.fromVersion}` : "-"} → v${e.toVersion}`];
    case AuditEventType.ALIAS_DELETED:
      return ["alias deleted", `@${e.alias}: v${e.fromVersion || e.version} → -`];
    case AuditEventType.MODEL_VERSION_DELETED:
      return ["version deleted", `${stageLabel(e.fromStage)} → -`];
    case AuditEventType.REGISTERED_MODEL_DELETED:
      return ["model deleted", "-"];
    default:
      return ["-", "-"];
  }
}

async function history(
  ctx: CliContext,
  name: string,
  flags: JsonFlag & { version?: number; limit?: number },
): Promise<void> {
  // The registry answers NOT_FOUND for an unknown model; the audit log alone would just be empty.
  await call(M.getRegisteredModel, ctx.registry.getRegisteredModel, { name }, ctx.call);
  let events = await allPages(async (pageToken) => {
    const res = await call(
      M.listAuditEvents,
      ctx.registry.listAuditEvents,
      { name, version: flags.version === undefined ? "" : String(flags.version), pageSize: PAGE, pageToken },
      ctx.call,
    );
    return { items: res.events, nextPageToken: res.nextPageToken };
  });
  if (flags.limit !== undefined) events = events.slice(-flags.limit);
  if (flags.json) {
    return write(jsonText(messageJson(M.listAuditEvents.output, { events })));
  }
  write(
    formatTable(
      ["TIME", "VERSION", "EVENT", "CHANGE", "ACTOR", "COMMENT"],
      events.map((e) => {
        const [event, change] = describeChange(e);
        return [formatTime(e.createdAtMs), `v${e.version}`, event, change, e.actor, e.comment || "-"];
      }),
      { align: ["left", "right"], empty: `no stage or alias changes for ${name} yet` },
    ),
  );
}

async function remove(
  ctx: CliContext,
  name: string,
  version: number | undefined,
  flags: JsonFlag & { yes?: boolean },
): Promise<void> {
  if (version !== undefined) {
    const res = await call(
      M.deleteModelVersion,
      ctx.registry.deleteModelVersion,
      { name, version: String(version) },
      ctx.call,
    );
    if (flags.json) return write(jsonText(responseJson(M.deleteModelVersion, res)));
    write(
      `${name} v${version} deleted (its artifact goes at the next mlops gc unless something else uses it)\n`,
    );
    return;
  }
  const versions = await listVersions(ctx, name);
  if (versions.length > 0 && !flags.yes) {
    throw new CliError(
      "USAGE",
      `this deletes ${name} with all ${versions.length} of its versions (${versions.map((v) => `v${v.version}`).join(", ")}); ` +
        `add --yes to go ahead, or give a version to delete only that one`,
      EXIT.usage,
    );
  }
  const res = await call(M.deleteRegisteredModel, ctx.registry.deleteRegisteredModel, { name }, ctx.call);
  if (flags.json) return write(jsonText(responseJson(M.deleteRegisteredModel, res)));
  write(`${name} deleted with ${versions.length} version${versions.length === 1 ? "" : "s"}\n`);
}

const jsonOption = () => new Option("--json", "print the API's JSON instead of a table");

interface ImportFlags extends JsonFlag {
  name?: string;
  format: ImportFormatOption;
  featureNames?: string;
  classes?: string;
  promote?: string;
  experiment?: string;
  description?: string;
}

const commaList = (v: string | undefined): string[] | undefined =>
  v === undefined ? undefined : v.split(",").map((s) => s.trim());

async function importFile(ctx: CliContext, file: string, flags: ImportFlags): Promise<void> {
  const path = resolve(file);
  if (!existsSync(path)) throw new CliError("NOT_FOUND", `no such file: ${path}`);
  const classes = commaList(flags.classes);
  const r = await importAndRegisterFile({
    store: ctx.store,
    artifacts: ctx.artifacts,
    path,
    modelName: flags.name ?? ctx.config.modelName,
    format: flags.format,
    featureNames: commaList(flags.featureNames),
    classes: classes && parseClasses(classes),
    promote: flags.promote,
    actor: ctx.actor,
    experiment: flags.experiment,
    description: flags.description,
  });
  r.imported.model.dispose();
  if (flags.json) {
    write(
      jsonText({
        model_name: r.modelName,
        version: String(r.version.version),
        stage: r.stage,
        format: r.imported.format,
        format_version: r.imported.formatVersion,
        objective: r.imported.objective,
        n_trees: r.imported.nTrees,
        n_features: r.imported.nFeatures,
        classes: r.imported.classes,
        feature_names: r.imported.featureNames,
        run_id: r.runId,
        artifact_sha256: r.artifactSha256,
        origin_sha256: r.originSha256,
        archived_versions: r.archivedVersions,
      }),
    );
    return;
  }
  write(
    formatFields([
      ["format", `${r.imported.format} ${r.imported.formatVersion}`.trim()],
      ["objective", r.imported.objective],
      ["trees", String(r.imported.nTrees)],
      [
        "features",
        `${r.imported.nFeatures}${r.imported.featureNames.length ? ` (${r.imported.featureNames.join(", ")})` : ""}`,
      ],
      ["classes", r.imported.classes.map(String).join(", ")],
      ["run", r.runId],
      ["sha256", r.artifactSha256],
      ["origin", `${r.originSha256} (the file as given, kept beside the version)`],
    ]),
  );
  write(
    `\nregistered ${r.modelName} v${r.version.version} → ${r.stage}` +
      (r.archivedVersions.length > 0
        ? ` (archived ${r.archivedVersions.map((v) => `v${v}`).join(", ")})`
        : "") +
      "\n",
  );
}

async function exportVersion(
  ctx: CliContext,
  name: string,
  version: number,
  flags: { format: string; output?: string },
): Promise<void> {
  const res = await call(
    M.exportModelVersion,
    ctx.registry.exportModelVersion,
    { name, version: String(version), format: flags.format },
    ctx.call,
  );
  const out = resolve(flags.output ?? res.fileName);
  await writeFile(out, res.content);
  write(`${name} v${version} → ${out} (${res.format}, ${res.content.length} bytes)\n`);
}

export function registerModels(program: Command): void {
  const models = program
    .command("models")
    .description("registered models: list, describe, promote, alias, history, delete, import, export");

  models
    .command("list")
    .description("registered models with their latest versions per stage and their aliases")
    .addOption(jsonOption())
    .action((flags: JsonFlag, cmd: Command) => withContext(cmd, (ctx) => list(ctx, flags)));

  models
    .command("describe")
    .description("a model's versions, aliases and tags, or one version with its source run's metrics")
    .argument("<name>", "registered model name")
    .option("--version <n>", "describe this version only", parse.version)
    .addOption(jsonOption())
    .action((name: string, flags: JsonFlag & { version?: number }, cmd: Command) =>
      withContext(cmd, (ctx) => describe(ctx, name, flags)),
    );

  models
    .command("promote")
    .description("move a version to a stage (None, Staging, Production, Archived; any case)")
    .argument("<name>", "registered model name")
    .argument("<version>", "version number", parse.version)
    .argument("<stage>", "target stage", parse.stage)
    .option("--archive-existing", "archive the versions already in the target stage (default for Production)")
    .option("--no-archive-existing", "keep the versions already in the target stage where they are")
    .option("--comment <text>", "recorded in the audit log")
    .option(
      "--yes",
      "confirm moving the only Production version elsewhere (the server then has nothing to serve)",
    )
    .addOption(jsonOption())
    .action((name: string, version: number, stage: string, flags: PromoteFlags, cmd: Command) =>
      withContext(cmd, (ctx) => promote(ctx, name, version, stage, flags)),
    );

  models
    .command("alias")
    .description("point an alias at a version, or delete it with --delete")
    .argument("<name>", "registered model name")
    .argument("<alias>", "alias, e.g. champion")
    .argument("[version]", "version the alias should point at", parse.version)
    .option("--delete", "delete the alias")
    .addOption(jsonOption())
    .action(
      (
        name: string,
        aliasName: string,
        version: number | undefined,
        flags: JsonFlag & { delete?: boolean },
        cmd: Command,
      ) => withContext(cmd, (ctx) => alias(ctx, name, aliasName, version, flags)),
    );

  models
    .command("import")
    .description(
      "import a model saved by XGBoost (JSON), LightGBM (text) or ONNX-ML (e.g. scikit-learn via skl2onnx) as a new version",
    )
    .argument("<file>", "the model file")
    .option(
      "--name <name>",
      "registered model (env MLOPS_MODEL_NAME, default ml_classifier); created when missing",
    )
    .addOption(
      new Option("--format <format>", "the file's format; auto tells them apart by content")
        .choices(["auto", ...IMPORT_FORMATS])
        .default("auto"),
    )
    .option("--feature-names <a,b,…>", "feature names, one per feature (replace the file's own)")
    .option(
      "--classes <c0,c1,…>",
      "class labels in class-index order, for files that store none (numbers if all are)",
    )
    .option(
      "--promote <stage>",
      "move the new version to this stage (Production archives the current one)",
      parse.stage,
    )
    .option("--experiment <name>", 'experiment of the import run (default "Default")')
    .option("--description <text>", "version description (default: what was imported)")
    .addOption(jsonOption())
    .action((file: string, flags: ImportFlags, cmd: Command) =>
      withContext(cmd, (ctx) => importFile(ctx, file, flags)),
    );

  models
    .command("export")
    .description("write a version (trained or imported) as an ONNX-ML model that onnxruntime scores the same")
    .argument("<name>", "registered model name")
    .argument("<version>", "version number", parse.version)
    .addOption(new Option("--format <format>", "output format").choices(["onnx"]).default("onnx"))
    .option("--output <file>", "where to write it (default <name>-v<version>.onnx)")
    .action((name: string, version: number, flags: { format: string; output?: string }, cmd: Command) =>
      withContext(cmd, (ctx) => exportVersion(ctx, name, version, flags)),
    );

  models
    .command("history")
    .description("audit log of a model's stage and alias changes and deletions, oldest first")
    .argument("<name>", "registered model name")
    .option("--version <n>", "only this version's events", parse.version)
    .option("--limit <n>", "only the newest n events", parse.integer(1))
    .addOption(jsonOption())
    .action((name: string, flags: JsonFlag & { version?: number; limit?: number }, cmd: Command) =>
      withContext(cmd, (ctx) => history(ctx, name, flags)),
    );

  models
    .command("delete")
    .description(
      "delete one version, or the whole model with --yes; refused while a version is in Staging or Production",
    )
    .argument("<name>", "registered model name")
    .argument("[version]", "only this version", parse.version)
    .option("--yes", "confirm deleting the whole model with every version")
    .addOption(jsonOption())
    .action((name: string, version: number | undefined, flags: JsonFlag & { yes?: boolean }, cmd: Command) =>
      withContext(cmd, (ctx) => remove(ctx, name, version, flags)),
    );
}
