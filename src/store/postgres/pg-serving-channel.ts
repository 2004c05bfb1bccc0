// LISTEN on one dedicated connection (outside the pool: a pooled connection is shared and LISTEN is
// per session), reconnecting with backoff while the database is away.
import pg from "pg";
import type { ServingChannel } from "../kysely/dialect-hooks.js";
import { SERVING_CHANNEL } from "./postgres-hooks.js";

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 2000;

export function createPgServingChannel(config: pg.ClientConfig): ServingChannel {
  let emit: ((name: string | null) => void) | undefined;
  let client: pg.Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  let backoff = RECONNECT_MIN_MS;
  let closed = false;
  let connecting: Promise<void> | undefined;
  let everConnected = false;

  const scheduleReconnect = () => {
    if (closed || !emit || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, backoff);
    timer.unref();
    backoff = Math.min(backoff * 2, RECONNECT_MAX_MS);
  };

  function connect(): Promise<void> {
    connecting ??= (async () => {
      const c = new pg.Client(config);
      c.on("error", () => {
        if (client === c) client = undefined;
        c.end().catch(() => {});
        scheduleReconnect();
      });
      c.on("end", () => {
        if (client === c) {
          client = undefined;
          scheduleReconnect();
        }
      });
      c.on("notification", (msg) => {
        if (msg.channel === SERVING_CHANNEL) emit?.(msg.payload ?? null);
      });
      try {
        await c.connect();
        await c.query(`LISTEN ${SERVING_CHANNEL}`);
      } catch {
        c.end().catch(() => {});
        scheduleReconnect();
        return;
      }
      if (closed || !emit) {
        await c.end().catch(() => {});
        return;
      }
      client = c;
      backoff = RECONNECT_MIN_MS;
      // Whatever changed while nobody listened was not heard: tell the listener to re-read.
      if (everConnected) emit?.(null);
      everConnected = true;
    })().finally(() => {
      connecting = undefined;
    });
    return connecting;
  }

  async function disconnect(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    await connecting;
    const c = client;
    client = undefined;
    await c?.end().catch(() => {});
  }

  return {
    subscribe(listener) {
      if (closed) return () => {};
      emit = listener;
      void connect();
      return () => {
        emit = undefined;
        void disconnect();
      };
    },
    async close() {
      closed = true;
      emit = undefined;
      await disconnect();
    },
  };
}
