import type { Store } from "../store/index.js";

export interface RegistryHealthOptions {
  store: Store;
  /** How often to ping the store, in ms; 0 turns the watch off. Default 2000 (the model poll's). */
  intervalMs?: number;
  /** Called with the new state on each change (not on every ping). */
  onChange(reachable: boolean): void;
}

/**
 * Keeps the gRPC health of the registry-backed services true to the store: a load balancer or a
 * client checking RegistryService's health sees NOT_SERVING while the database is down, as /health
 * reports "degraded". Pings never overlap; a slow ping delays the next instead of piling up.
 * Returns the function that stops the watch.
 */
export function watchRegistryHealth(options: RegistryHealthOptions): () => void {
  const intervalMs = options.intervalMs ?? 2000;
  if (intervalMs <= 0) return () => {};
  let reachable = true;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    let now = true;
    try {
      await options.store.ping();
    } catch {
      now = false;
    }
    if (stopped) return;
    if (now !== reachable) {
      reachable = now;
      options.onChange(now);
    }
    timer = setTimeout(() => void tick(), intervalMs);
    timer.unref();
  };
  timer = setTimeout(() => void tick(), intervalMs);
  timer.unref();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
