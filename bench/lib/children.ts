// Child processes of the benchmark: each in its own process group, so that stopping one also stops
// what it forked (cluster workers, uvicorn under bash). Every live child is remembered, and all are
// killed on exit, on SIGINT/SIGTERM and on an uncaught failure: a benchmark must leave nothing behind.
import { type ChildProcess, spawn } from "node:child_process";

export interface ChildOptions {
  /** Label used in errors and logs. Required. */
  name: string;
  /** Program to run. Required. */
  command: string;
  /** Its arguments. Default none. */
  args?: string[];
  /** Environment. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Working directory. Default `process.cwd()`. */
  cwd?: string;
  /** When set, the child runs under `taskset -c <cpus>` (a Linux CPU list such as "0-7"). Default none. */
  cpus?: string;
  /** How much of the child's output (stdout and stderr together) is kept for errors. Default 64 KiB. */
  keepOutputBytes?: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Child {
  readonly name: string;
  readonly pid: number;
  /** The last `keepOutputBytes` of output. */
  output(): string;
  /** Settles when the process has exited. */
  readonly exited: Promise<ExitInfo>;
  /**
   * Settles when the process has exited and its output pipes have closed: whatever it forked that
   * shared them (a grandchild under `sh`, uvicorn under bash) has ended too.
   */
  readonly closed: Promise<ExitInfo>;
  /** Whether it is still running. */
  running(): boolean;
  /**
   * Resolves with the first match of `pattern` in the output (already seen or yet to come); rejects
   * on timeout or when the child exits first.
   */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** SIGTERM to the whole group, then SIGKILL after `graceMs` (default 5000). Idempotent. */
  stop(graceMs?: number): Promise<ExitInfo>;
}

const live = new Set<Child>();
let hooksInstalled = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone, or the group leader exited and left no group.
  }
}

/** Synchronously SIGKILLs every live child's group (for exit paths that cannot wait). */
export function killAllChildren(): void {
  for (const child of live) killGroup(child.pid, "SIGKILL");
  live.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", killAllChildren);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      killAllChildren();
      process.exit(130);
    });
  }
}

/** Starts a child in a new process group; it is killed with the benchmark at the latest. */
export function startChild(options: ChildOptions): Child {
  installHooks();
  const keep = options.keepOutputBytes ?? 64 * 1024;
  const argv = options.args ?? [];
  const [command, args] = options.cpus
    ? ["taskset", ["-c", options.cpus, options.command, ...argv]]
    : [options.command, argv];
  const proc: ChildProcess = spawn(command, args, {
    cwd: options.cwd ?? process.cwd(),
    env: options.env ?? process.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (proc.pid === undefined) {
    // The "error" event (ENOENT, EACCES) follows on the next tick: handled here, thrown as this.
    proc.once("error", () => undefined);
    throw new Error(`${options.name}: could not start ${command}`);
  }
  const pid = proc.pid;
  let buffer = "";
  let done: ExitInfo | undefined;
  const watchers = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    buffer += chunk.toString("utf8");
    if (buffer.length > keep * 2) buffer = buffer.slice(-keep);
    for (const w of watchers) w();
  };
  // Always drained: a child blocked on a full pipe would distort the measurement.
  proc.stdout?.on("data", onData);
  proc.stderr?.on("data", onData);
  const exited = new Promise<ExitInfo>((resolve) => {
    proc.on("error", (error) => {
      buffer += `\n[spawn error] ${error.message}\n`;
      done = { code: -1, signal: null };
      resolve(done);
    });
    proc.on("exit", (code, signal) => {
      done = { code, signal };
      resolve(done);
    });
  });
  // Output can still arrive after "exit": whatever waits on output waits for "close".
  let outputEnded = false;
  const closed = new Promise<ExitInfo>((resolve) => {
    const end = () =>
      exited.then((info) => {
        outputEnded = true;
        resolve(info);
      });
    proc.on("close", end);
    proc.on("error", end); // a spawn that fails late may never "close"
  });
  const child: Child = {
    name: options.name,
    pid,
    output: () => buffer.slice(-keep),
    exited,
    closed,
    running: () => done === undefined,
    waitForOutput(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = buffer.match(pattern);
          const exit = done;
          if (m) finish(() => resolve(m));
          else if (exit && outputEnded)
            finish(() => reject(new Error(`${options.name} exited (${fmtExit(exit)}) before ${pattern}`)));
        };
        const timer = setTimeout(
          () => finish(() => reject(new Error(`${options.name}: no ${pattern} within ${timeoutMs} ms`))),
          timeoutMs,
        );
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          watchers.delete(check);
          settle();
        };
        watchers.add(check);
        closed.then(check);
        check();
      });
    },
    async stop(graceMs = 5000) {
      live.delete(child);
      if (done) {
        killGroup(pid, "SIGKILL"); // strays whose leader is gone
        return done;
      }
      killGroup(pid, "SIGTERM");
      const timer = setTimeout(() => killGroup(pid, "SIGKILL"), graceMs);
      const info = await exited;
      clearTimeout(timer);
      killGroup(pid, "SIGKILL");
      return info;
    },
  };
  live.add(child);
  return child;
}

export function fmtExit(info: ExitInfo): string {
  return info.signal ? `signal ${info.signal}` : `code ${info.code}`;
}

/**
 * Runs a command to completion (bounded by `timeoutMs`) and returns all of its output; rejects on a
 * non-zero exit with that output.
 */
export async function runToCompletion(options: ChildOptions, timeoutMs: number): Promise<string> {
  const child = startChild(options);
  const timer = setTimeout(() => void child.stop(1000), timeoutMs);
  try {
    const info = await child.closed;
    if (info.code !== 0) {
      throw new Error(`${options.name} failed (${fmtExit(info)}):\n${child.output().slice(-4000)}`);
    }
    return child.output();
  } finally {
    clearTimeout(timer);
    await child.stop(1000);
  }
}
