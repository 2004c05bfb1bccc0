// The server's own /metrics (Prometheus text format), read by the serving page: request rate, p95
// latency and error rate of the prediction routes between two scrapes.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(LABEL))
      labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, "$1");
    out.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return out;
}

/** The prediction routes, on every transport (REST, gRPC, Connect, Open Inference Protocol). */
export const isServingEndpoint = (endpoint: string): boolean =>
  /predict|Predict|infer|ModelInfer/.test(endpoint);

const OK = new Set(["200", "OK"]);

/** Cumulative counts at one scrape. */
export interface Snapshot {
  atMs: number;
  requests: number;
  errors: number;
  /** Duration histogram: upper bound → cumulative count, summed over serving endpoints. */
  buckets: [number, number][];
}

export function snapshot(samples: Sample[], atMs: number): Snapshot {
  let requests = 0;
  let errors = 0;
  const buckets = new Map<number, number>();
  for (const s of samples) {
    const endpoint = s.labels.endpoint ?? "";
    if (!isServingEndpoint(endpoint)) continue;
    if (s.name === "api_requests_total") {
      requests += s.value;
      if (!OK.has(s.labels.status ?? "")) errors += s.value;
    } else if (s.name === "api_request_duration_seconds_bucket") {
      const le = s.labels.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(s.labels.le);
      buckets.set(le, (buckets.get(le) ?? 0) + s.value);
    }
  }
  return { atMs, requests, errors, buckets: [...buckets].sort((a, b) => a[0] - b[0]) };
}

export interface Window {
  /** Requests per second. */
  rate: number;
  /** Seconds; undefined without requests. */
  p95?: number;
  /** Share of requests that failed, 0..1; undefined without requests. */
  errorRate?: number;
  requests: number;
}

/** The figures between two snapshots; p95 interpolated inside its histogram bucket, as Prometheus does. */
export function between(a: Snapshot, b: Snapshot): Window {
  const seconds = Math.max(0.001, (b.atMs - a.atMs) / 1000);
  const requests = Math.max(0, b.requests - a.requests);
  const errors = Math.max(0, b.errors - a.errors);
  const before = new Map(a.buckets);
  const delta = b.buckets.map(([le, n]) => [le, Math.max(0, n - (before.get(le) ?? 0))] as [number, number]);
  const total = delta.at(-1)?.[1] ?? 0;
  let p95: number | undefined;
  if (total > 0) {
    const rank = 0.95 * total;
    let prevLe = 0;
    let prevN = 0;
    for (const [le, n] of delta) {
      if (n >= rank) {
        p95 =
          le === Number.POSITIVE_INFINITY
            ? prevLe
            : prevLe + ((le - prevLe) * (rank - prevN)) / Math.max(1e-9, n - prevN);
        break;
      }
      prevLe = le;
      prevN = n;
    }
  }
  return {
    rate: requests / seconds,
    p95,
    errorRate: requests > 0 ? errors / requests : undefined,
    requests,
  };
}
