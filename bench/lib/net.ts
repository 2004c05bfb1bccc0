// Loopback helpers: free ports and bounded waiting for a server to answer.
import { randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** Lowest port handed out: clear of the well-known and registered services users run locally. */
const PORT_FLOOR = 15_000;
/** Ports this process has handed out, never handed out twice. */
const handedOut = new Set<number>();

/**
 * The kernel's range for outgoing connections and `listen(0)`. A port picked there can be taken
 * by any connection opened before the caller binds it (seen in CI: Prometheus failed to bind).
 */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    return Number.isInteger(low) ? low : 32_768;
  } catch {
    return 32_768;
  }
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

function osPickedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error("no port assigned"))));
    });
  });
}

/**
 * A TCP port free on 127.0.0.1 a moment ago, for a child process to bind. It is drawn at random
 * below the ephemeral range, so no outgoing connection or `listen(0)` can take it in between, and
 * concurrent test files rarely draw the same one; the OS picks only where that range leaves no room.
 */
export async function freePort(): Promise<number> {
  const low = ephemeralLow();
  if (low - PORT_FLOOR >= 1_000) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = PORT_FLOOR + randomInt(low - PORT_FLOOR);
      if (handedOut.has(port) || !(await canBind(port))) continue;
      handedOut.add(port);
      return port;
    }
  }
  return osPickedPort();
}

export interface WaitOptions {
  /** Give up after this long. Required. */
  timeoutMs: number;
  /** Pause between tries. Default 100 ms. */
  intervalMs?: number;
  /** What is awaited, for the error. Default "condition". */
  what?: string;
  /** Stop early (and reject) when this returns a reason, e.g. the server exited. Default none. */
  abortReason?: () => string | undefined;
}

/** Polls `check` until it returns true; errors thrown by `check` count as "not yet". */
export async function waitUntil(check: () => Promise<boolean>, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let last = "";
  for (;;) {
    const reason = options.abortReason?.();
    if (reason) throw new Error(`${options.what ?? "condition"}: ${reason}`);
    try {
      if (await check()) return;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `${options.what ?? "condition"} not met within ${options.timeoutMs} ms${last ? ` (${last})` : ""}`,
      );
    }
    await sleep(options.intervalMs ?? 100);
  }
}

/** One HTTP request on loopback with a short timeout; resolves with status and body text. */
export async function httpCall(
  url: string,
  init: { method?: string; body?: string; timeoutMs?: number } = {},
): Promise<{ status: number; text: string }> {
  const res = await fetch(url, {
    method: init.method ?? "GET",
    body: init.body,
    headers: init.body === undefined ? undefined : { "content-type": "application/json" },
    signal: AbortSignal.timeout(init.timeoutMs ?? 2000),
  });
  return { status: res.status, text: await res.text() };
}
