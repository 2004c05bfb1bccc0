// What every data command needs: validated config, the store, the services over it, and who is acting.
import type { Command } from "commander";
import { type Config, loadConfig, storeOptionsOf } from "../config/config.js";
import { createLogger, type Logger } from "../observability/logger.js";
import type { CallContext } from "../rpc/context.js";
import { createRegistryService } from "../services/registry-service.js";
import { createTrackingService } from "../services/tracking-service.js";
import { type ArtifactStore, createArtifactStore, createStore, type Store } from "../store/index.js";
import { defaultActor } from "../workflows/train-and-register.js";
import { CLI_LOG_LEVEL } from "./program.js";

/** Options defined on the program itself, valid before or after the subcommand. */
export interface GlobalFlags {
  dataDir?: string;
  artifactUrl?: string;
  databaseUrl?: string;
  logLevel?: string;
}

export interface CliContext {
  config: Config;
  store: Store;
  artifacts: ArtifactStore;
  registry: ReturnType<typeof createRegistryService>;
  tracking: ReturnType<typeof createTrackingService>;
  /** `cli:<os user>`, recorded on every mutation. */
  actor: string;
  call: CallContext;
  logger: Logger;
}

export function cliConfig(cmd: Command, overrides: { modelName?: string } = {}): Config {
  const flags = cmd.optsWithGlobals() as GlobalFlags;
  return loadConfig({
    dataDir: flags.dataDir,
    artifactUrl: flags.artifactUrl,
    databaseUrl: flags.databaseUrl,
    logLevel: flags.logLevel ?? (process.env.MLOPS_LOG_LEVEL || CLI_LOG_LEVEL),
    modelName: overrides.modelName,
  });
}

/** Opens the data directory for one command and closes it afterwards, whatever happens. */
export async function withContext<T>(
  cmd: Command,
  fn: (ctx: CliContext) => Promise<T>,
  overrides: { modelName?: string } = {},
): Promise<T> {
  const config = cliConfig(cmd, overrides);
  const store = await createStore(storeOptionsOf(config));
  const artifacts = createArtifactStore({ dataDir: config.dataDir, url: config.artifactUrl });
  const actor = defaultActor("cli");
  try {
    return await fn({
      config,
      store,
      artifacts,
      registry: createRegistryService({ store, artifacts }),
      tracking: createTrackingService({ store, artifacts }),
      actor,
      call: { transport: "cli", actor },
      logger: createLogger({ level: config.logLevel, destination: 2 }),
    });
  } finally {
    artifacts.close();
    await store.close();
  }
}
