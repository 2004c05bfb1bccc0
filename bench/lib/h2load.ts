// gRPC load with h2load (nghttp2): a C load generator that is not the bottleneck, unlike a grpc-js
// client. h2load prints no percentiles, so each request's time comes from its --log-file.
// h2load judges success by HTTP status alone; a gRPC error is a 200 with a grpc-status trailer and
// no message, so the DATA byte count is checked against one good reply per request.
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runToCompletion } from "./children.js";
import { SampleBuffer, summarize } from "./latency-stats.js";
import type { LoadResult } from "./load-result.js";

export interface H2loadOptions {
  /** Full URL of the method, e.g. `http://127.0.0.1:50051/mlops.v1.PredictService/Predict`. Required. */
  url: string;
  /** The framed request body (see grpcFrame). Required. */
  body: Uint8Array;
  /** Connections (h2load -c). Required. */
  connections: number;
  /** Concurrent streams per connection (h2load -m). Default 1. */
  streams?: number;
  /** Measured seconds (h2load -D). Required. */
  durationS: number;
  /** A discarded run of this many seconds first. Default 0. */
  warmupS?: number;
  /** h2load threads (-t); never more than connections. Default 1. */
  threads?: number;
  /** Run h2load under `taskset -c <cpus>`. Default none. */
  cpus?: string;
  /** Bytes of one framed reply; when set, fewer DATA bytes than ok × this count as errors. Default none. */
  replyFrameBytes?: number;
}

/** Whether h2load is on PATH. */
export function h2loadAvailable(): boolean {
  return spawnSync("h2load", ["--version"], { stdio: "ignore" }).status === 0;
}

export interface H2loadSummary {
  finishedS: number;
  reqPerS: number;
  total: number;
  succeeded: number;
  failed: number;
  errored: number;
  timeout: number;
  status2xx: number;
  status3xx: number;
  status4xx: number;
  status5xx: number;
  dataBytes: number;
  /** Mean of "time for request", ms. */
  meanMs: number;
}

function toMs(value: string, unit: string): number {
  const v = Number(value);
  return unit === "us" ? v / 1000 : unit === "ms" ? v : v * 1000;
}

function num(text: string, re: RegExp, what: string): number {
  const m = text.match(re);
  if (!m) throw new Error(`h2load output: no ${what}`);
  return Number(m[1]);
}

/** Parses h2load's text report. Throws when a line it relies on is missing. */
export function parseH2loadOutput(text: string): H2loadSummary {
  const finished = text.match(/finished in ([\d.]+)(ms|s),\s+([\d.]+) req\/s/);
  if (!finished) throw new Error("h2load output: no 'finished in' line");
  const requests = text.match(
    /requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/,
  );
  if (!requests) throw new Error("h2load output: no 'requests:' line");
  const codes = text.match(/status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/);
  if (!codes) throw new Error("h2load output: no 'status codes:' line");
  const timeLine = text.match(
    /time for request:\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)/,
  );
  return {
    finishedS: finished[2] === "ms" ? Number(finished[1]) / 1000 : Number(finished[1]),
    reqPerS: Number(finished[3]),
    total: Number(requests[1]),
    succeeded: Number(requests[2]),
    failed: Number(requests[3]),
    errored: Number(requests[4]),
    timeout: Number(requests[5]),
    status2xx: Number(codes[1]),
    status3xx: Number(codes[2]),
    status4xx: Number(codes[3]),
    status5xx: Number(codes[4]),
    dataBytes: num(text, /traffic:.*?,\s+[\d.]+\w*B? \((\d+)\) data/, "data bytes"),
    meanMs: timeLine ? toMs(timeLine[5]!, timeLine[6]!) : Number.NaN,
  };
}

/** Per-request times (ms) of successful (HTTP 2xx) requests from an h2load --log-file. */
export function parseH2loadLog(text: string): { okMs: Float64Array; failed: number } {
  const samples = new SampleBuffer();
  let failed = 0;
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const cols = line.split("\t");
    const status = Number(cols[1]);
    const us = Number(cols[2]);
    if (status >= 200 && status < 300 && Number.isFinite(us)) samples.push(us / 1000);
    else failed++;
  }
  return { okMs: samples.values().slice(), failed };
}

function h2loadArgs(options: H2loadOptions, bodyPath: string, durationS: number, logPath?: string): string[] {
  const threads = Math.max(1, Math.min(options.threads ?? 1, options.connections));
  return [
    "-D",
    `${Math.max(1, Math.round(durationS * 1000))}ms`,
    "-c",
    String(options.connections),
    "-m",
    String(options.streams ?? 1),
    "-t",
    String(threads),
    "-d",
    bodyPath,
    "-H",
    "content-type: application/grpc",
    "-H",
    "te: trailers",
    ...(logPath ? ["--log-file", logPath] : []),
    options.url,
  ];
}

/** Runs h2load for `durationS` (after an optional warm-up run) and summarizes it. */
export async function runH2load(options: H2loadOptions): Promise<LoadResult> {
  const dir = await mkdtemp(join(tmpdir(), "mlops-h2load-"));
  try {
    const bodyPath = join(dir, "body.bin");
    const logPath = join(dir, "requests.log");
    await writeFile(bodyPath, options.body);
    const limitMs = (d: number) => (d + 30) * 1000;
    const run = (durationS: number, log?: string) =>
      runToCompletion(
        {
          name: "h2load",
          command: "h2load",
          args: h2loadArgs(options, bodyPath, durationS, log),
          cpus: options.cpus,
        },
        limitMs(durationS),
      );
    if ((options.warmupS ?? 0) > 0) await run(options.warmupS!);
    const text = await run(options.durationS, logPath);
    const summary = parseH2loadOutput(text);
    const log = parseH2loadLog(await readFile(logPath, "utf8"));
    const notes: string[] = [];
    let missingReplies = 0;
    if (options.replyFrameBytes && options.replyFrameBytes > 0) {
      const expected = summary.succeeded * options.replyFrameBytes;
      if (summary.dataBytes < expected) {
        missingReplies = Math.ceil((expected - summary.dataBytes) / options.replyFrameBytes);
        notes.push(`${missingReplies} replies without a message (gRPC errors behind HTTP 200)`);
      }
    }
    const ok = summary.succeeded - missingReplies;
    const nonOk = summary.status3xx + summary.status4xx + summary.status5xx;
    const durationS = summary.finishedS > 0 ? summary.finishedS : options.durationS;
    return {
      generator: "h2load",
      connections: options.connections,
      inflightPerConnection: options.streams ?? 1,
      durationS,
      ok,
      rps: ok / durationS,
      latencyMs: summarize(log.okMs),
      latencySource: "per-request",
      // "failed" covers errored, timed-out and non-2xx requests; the statuses are counted apart.
      errors: Math.max(summary.failed - nonOk, summary.errored + summary.timeout) + missingReplies,
      non2xx: nonOk,
      notes: notes.length ? notes : undefined,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
