import type { Logger } from "../observability/logger.js";

/**
 * On the first SIGTERM or SIGINT: log, drain with `close` (the app's own shutdown timeout bounds
 * it), flush the logger and exit 0, or 1 when closing failed. Later signals are ignored, so a second
 * Ctrl-C does not cut the drain short.
 */
export function drainOnSignal(logger: Logger, close: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "draining in-flight calls, then exiting");
    close().then(
      () => logger.flush(() => process.exit(0)),
      (err) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}
