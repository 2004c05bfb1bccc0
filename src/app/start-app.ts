import { describeDatabase } from "../config/config.js";
import { type App, type AppOptions, createApp } from "./create-app.js";

/**
 * {@link createApp}, then one `listening` line naming the ports and the version served: the line
 * operators (and the cluster tests) wait for.
 */
export async function startApp(options: AppOptions): Promise<App> {
  const { config, logger } = options;
  const app = await createApp(options);
  const served = app.models.current();
  const where = `http ${config.host}:${app.httpPort}, grpc ${config.host}:${app.grpcPort}`;
  logger.info(
    {
      httpPort: app.httpPort,
      grpcPort: app.grpcPort,
      host: config.host,
      model: served ? { name: served.name, version: served.version } : null,
      dataDir: config.dataDir,
      database: describeDatabase(config),
    },
    served
      ? `listening: ${where}; serving ${served.name} v${served.version}`
      : `listening: ${where}; no Production model yet (PredictService NOT_SERVING)${
          app.models.missingModelHint() ? `: ${app.models.missingModelHint()}` : ""
        }`,
  );
  return app;
}
