import type { Logger } from "../observability/logger.js";

/**
 * On the first SIGTERM or SIGINT: log, stop with `stop(signal)` (the app's own shutdown timeout
 * bounds it), flush the logger and exit 0, or 1 when stopping failed. Later signals are ignored, so
 * a second Ctrl-C does not cut the drain short.
 */
export function drainOnSignal(logger: Logger, stop: (signal: NodeJS.Signals) => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "draining in-flight calls, then exiting");
    stop(signal).then(
      () => logger.flush(() => process.exit(0)),
      (err) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("SIGINT", () => onSignal("SIGINT"));
}

/**
 * The grace period a signal gets: SIGTERM (an orchestrator stopping the process) the configured
 * one, SIGINT (Ctrl-C at a terminal, no load balancer in front) none.
 */
export function graceFor(signal: NodeJS.Signals, drainGraceS: number): number {
  return signal === "SIGTERM" ? drainGraceS : 0;
}
