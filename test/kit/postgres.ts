// A real PostgreSQL 15 for tests and benches: Debian's initdb and pg_ctl in a temporary directory, on
// a free loopback port, run as a non-root user (PostgreSQL refuses to run as root).
import { execFile, execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { freePort } from "../../bench/lib/net.js";

const run = promisify(execFile);

/** Where Debian puts the server binaries; MLOPS_PG_BIN overrides. */
export const PG_BIN = process.env.MLOPS_PG_BIN ?? "/usr/lib/postgresql/15/bin";

export interface PostgresOptions {
  /**
   * fsync and synchronous_commit on, as a production server runs. Default false: tests do not need
   * durability across a power cut, and it costs the shared machine real I/O.
   */
  durable?: boolean;
  /** max_connections. Default 400 (many processes, each with a pool). */
  maxConnections?: number;
}

export interface PostgresServer {
  readonly port: number;
  /** The superuser's URL of database `name` (default `postgres`). */
  url(name?: string): string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string, template?: string): Promise<string>;
  dropDatabase(name: string): Promise<void>;
  /** pg_ctl stop -m fast: the server goes away, clients see their connections end. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it and removes its directory. Idempotent. */
  destroy(): Promise<void>;
}

export const SUPERUSER = "mlops";

/** The user PostgreSQL runs as: ourselves unless we are root, then `postgres` (Debian's) or `nobody`. */
function serverUser(): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const user of ["postgres", "nobody"]) {
    try {
      execFileSync("id", ["-u", user], { stdio: "ignore" });
      return user;
    } catch {
      // next
    }
  }
  throw new Error("running as root and neither a postgres nor a nobody user exists to run PostgreSQL");
}

function asUser(user: string | undefined, bin: string, args: string[]): [string, string[]] {
  return user ? ["runuser", ["-u", user, "--", bin, ...args]] : [bin, args];
}

export function postgresInstalled(): boolean {
  return existsSync(join(PG_BIN, "initdb")) && existsSync(join(PG_BIN, "pg_ctl"));
}

/** initdb + pg_ctl start on a free port; the caller destroys it. */
export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  if (!postgresInstalled()) {
    throw new Error(`PostgreSQL 15 is not installed (${PG_BIN}): run scripts/install-test-deps.sh`);
  }
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), "mlops-pg-"));
  if (user) {
    const uid = Number(execFileSync("id", ["-u", user]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", user]).toString().trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, "data");
  const [initCmd, initArgs] = asUser(user, join(PG_BIN, "initdb"), [
    "-D",
    data,
    "-U",
    SUPERUSER,
    "--auth=trust",
    "--encoding=UTF8",
    // Byte order for text, as SQLite compares: the same listings on both backends.
    "--locale=C",
    "--no-sync",
  ]);
  await run(initCmd, initArgs, { cwd: dir });
  const durable = options.durable ?? false;
  const settings = [
    `-c listen_addresses=127.0.0.1`,
    `-k ${dir}`,
    `-c max_connections=${options.maxConnections ?? 400}`,
    `-c fsync=${durable ? "on" : "off"}`,
    `-c synchronous_commit=${durable ? "on" : "off"}`,
    `-c full_page_writes=${durable ? "on" : "off"}`,
    "-c shared_buffers=64MB",
  ];
  let port = 0;
  let started = false;

  async function pgCtl(args: string[]): Promise<void> {
    const [cmd, argv] = asUser(user, join(PG_BIN, "pg_ctl"), ["-D", data, ...args]);
    await run(cmd, argv, { cwd: dir, timeout: 60_000 });
  }
  async function start(): Promise<void> {
    await pgCtl([
      "-o",
      `-p ${port} ${settings.join(" ")}`,
      "-l",
      join(dir, "server.log"),
      "-w",
      "-t",
      "60",
      "start",
    ]);
    started = true;
  }
  // A port found free can be taken before the server binds it: try a few.
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await start();
      break;
    } catch (error) {
      if (attempt >= 4) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
  const url = (name = "postgres") => `postgres://${SUPERUSER}@127.0.0.1:${port}/${name}`;
  const admin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ connectionString: url() });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };
  let destroyed = false;
  return {
    port,
    url,
    async createDatabase(name, template) {
      await admin((c) => c.query(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ""}`));
      return url(name);
    },
    async dropDatabase(name) {
      await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
    async stop() {
      if (!started) return;
      await pgCtl(["-m", "fast", "-w", "stop"]);
      started = false;
    },
    start,
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      if (started) await pgCtl(["-m", "immediate", "-w", "stop"]).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
