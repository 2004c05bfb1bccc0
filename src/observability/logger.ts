import { destination, type Logger, pino } from "pino";

export type { Logger };

export interface LoggerOptions {
  /** pino level. Default `info`. */
  level?: string;
  /** Where JSON lines go. Default stdout (fd 1). */
  destination?: number | string;
  /** Fields on every line (e.g. `{worker: 2}`). */
  base?: Record<string, unknown>;
}

/** Structured JSON logs; one line per event, machine-readable first. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    { level: options.level ?? "info", base: { pid: process.pid, ...(options.base ?? {}) } },
    destination({ dest: options.destination ?? 1, sync: false }),
  );
}
