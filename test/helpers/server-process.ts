// A server as a child process (`mlops serve`, a library fixture), with its stdout and stderr
// collected and waits on what it logs: the tests that signal or kill a real server use it.
import { type ChildProcess, spawn } from "node:child_process";
import { ROOT } from "../cli/helpers.js";

export interface ServerProcess {
  child: ChildProcess;
  httpPort: number;
  logs(): string;
  /** Resolves once `pattern` has matched `count` times in the output; rejects if the process exits first. */
  logged(pattern: RegExp, count?: number, timeoutMs?: number): Promise<void>;
  exited: Promise<number | null>;
  /** SIGKILLs it when it still runs (for afterEach). */
  kill(): void;
}

/**
 * Starts `node <args>` in the repository root with `env` over process.env. MLOPS_SHUTDOWN_TIMEOUT_S
 * defaults to 5 and MLOPS_DRAIN_GRACE_S to 0, so that a stop is quick unless a test asks otherwise.
 */
export function spawnServer(args: string[], env: Record<string, string>, httpPort: number): ServerProcess {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, MLOPS_SHUTDOWN_TIMEOUT_S: "5", MLOPS_DRAIN_GRACE_S: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let logs = "";
  const watchers = new Set<() => void>();
  const onData = (d: string) => {
    logs += d;
    for (const w of watchers) w();
  };
  child.stdout?.setEncoding("utf8").on("data", onData);
  child.stderr?.setEncoding("utf8").on("data", onData);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const logged = (pattern: RegExp, count = 1, timeoutMs = 60_000) =>
    new Promise<void>((resolve, reject) => {
      const global = new RegExp(
        pattern.source,
        pattern.flags.includes("g") ? pattern.flags : `${pattern.flags}g`,
      );
      const timer = setTimeout(
        () => done(new Error(`no ${count} × ${pattern} in ${timeoutMs} ms:\n${logs}`)),
        timeoutMs,
      );
      const check = () => {
        if ((logs.match(global)?.length ?? 0) >= count) done();
      };
      const done = (error?: Error) => {
        clearTimeout(timer);
        watchers.delete(check);
        if (error) reject(error);
        else resolve();
      };
      watchers.add(check);
      exited.then((code) => done(new Error(`exited (${code}) before ${count} × ${pattern}:\n${logs}`)));
      check();
    });
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  return { child, httpPort, logs: () => logs, logged, exited, kill };
}
