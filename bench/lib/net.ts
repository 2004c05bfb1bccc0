// Loopback helpers: free ports and bounded waiting for a server to answer.
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** A TCP port that was free on 127.0.0.1 a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
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
