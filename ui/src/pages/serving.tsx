// What this server serves now (/model-info) and how it is doing: request rate, p95 latency and error
// rate of the prediction routes over the last minutes, from the server's own /metrics, scraped
// every few seconds (kept for the tab, so a reload keeps the curve).
import { useEffect, useMemo, useState } from "preact/hooks";
import { Link } from "wouter-preact";
import { type ApiError, getJson, getText, toApiError } from "../api.js";
import { Chart, type ChartOption } from "../chart.js";
import { Cmd, Empty, ErrorBox, Loading, useLoad } from "../components.js";
import { dateTime } from "../format.js";
import { between, parsePrometheus, type Snapshot, snapshot } from "../prometheus.js";

interface ModelInfo {
  model_name: string;
  model_version: string;
  stage: string;
  aliases: string[];
  run_id: string | null;
  loaded_at: string;
  artifact_sha256: string;
  family: string;
  n_features: number;
  n_classes: number;
  class_labels: (string | number)[];
  scorer?: { engine?: string; isa?: string };
}

const SCRAPE_MS = 5000;
const KEEP_MS = 15 * 60_000;
const STORE_KEY = "mlops.serving.snapshots";

function useSnapshots(): { snaps: Snapshot[]; error?: ApiError } {
  const [snaps, setSnaps] = useState<Snapshot[]>(() => {
    try {
      const kept = JSON.parse(sessionStorage.getItem(STORE_KEY) ?? "[]") as Snapshot[];
      return kept.filter((s) => s.atMs > Date.now() - KEEP_MS);
    } catch {
      return [];
    }
  });
  const [error, setError] = useState<ApiError>();
  useEffect(() => {
    let stopped = false;
    const scrape = async () => {
      try {
        const { status, text } = await getText("/metrics");
        if (status !== 200) throw new Error(`/metrics answered ${status}`);
        const snap = snapshot(parsePrometheus(text), Date.now());
        if (stopped) return;
        setError(undefined);
        setSnaps((old) => {
          // A restarted server counts from zero again: start the window over.
          const last = old.at(-1);
          const base = last && snap.requests < last.requests ? [] : old;
          const next = [...base, snap].filter((s) => s.atMs > snap.atMs - KEEP_MS);
          sessionStorage.setItem(STORE_KEY, JSON.stringify(next));
          return next;
        });
      } catch (e) {
        if (!stopped)
          setError(e instanceof Error ? { code: "unavailable", message: e.message } : toApiError(e));
      }
    };
    void scrape();
    const first = setTimeout(scrape, 1500);
    const timer = setInterval(scrape, SCRAPE_MS);
    return () => {
      stopped = true;
      clearTimeout(first);
      clearInterval(timer);
    };
  }, []);
  return { snaps, error };
}

function Figures(props: { snaps: Snapshot[] }) {
  const { snaps } = props;
  const windows = useMemo(
    () => snaps.slice(1).map((s, i) => ({ at: s.atMs, ...between(snaps[i] as Snapshot, s) })),
    [snaps],
  );
  const whole = snaps.length >= 2 ? between(snaps[0] as Snapshot, snaps.at(-1) as Snapshot) : undefined;
  const minutes =
    snaps.length >= 2 ? ((snaps.at(-1) as Snapshot).atMs - (snaps[0] as Snapshot).atMs) / 60_000 : 0;
  const option = useMemo<ChartOption>(
    () => ({
      tooltip: { trigger: "axis" },
      legend: { data: ["requests/s", "p95 ms", "errors %"] },
      grid: { left: 56, right: 56, top: 36, bottom: 32 },
      xAxis: { type: "time" },
      yAxis: [
        { type: "value", name: "req/s" },
        { type: "value", name: "ms / %" },
      ],
      series: [
        { name: "requests/s", type: "line", showSymbol: false, data: windows.map((w) => [w.at, w.rate]) },
        {
          name: "p95 ms",
          type: "line",
          yAxisIndex: 1,
          showSymbol: false,
          data: windows.map((w) => [w.at, w.p95 === undefined ? null : w.p95 * 1000]),
        },
        {
          name: "errors %",
          type: "line",
          yAxisIndex: 1,
          showSymbol: false,
          data: windows.map((w) => [w.at, w.errorRate === undefined ? null : w.errorRate * 100]),
        },
      ],
    }),
    [windows],
  );
  if (!whole)
    return <p class="muted">Measuring… (the figures need two scrapes of /metrics, a few seconds apart)</p>;
  return (
    <>
      <dl class="figures" data-testid="serving-figures">
        <div>
          <dt>Request rate</dt>
          <dd data-testid="serving-rate">{whole.rate.toFixed(2)} req/s</dd>
        </div>
        <div>
          <dt>p95 latency</dt>
          <dd data-testid="serving-p95">
            {whole.p95 === undefined ? "—" : `${(whole.p95 * 1000).toFixed(2)} ms`}
          </dd>
        </div>
        <div>
          <dt>Error rate</dt>
          <dd data-testid="serving-errors">
            {whole.errorRate === undefined ? "—" : `${(whole.errorRate * 100).toFixed(2)} %`}
          </dd>
        </div>
        <div>
          <dt>Requests</dt>
          <dd>
            {whole.requests} in the last{" "}
            {minutes < 1 ? `${Math.round(minutes * 60)} s` : `${minutes.toFixed(1)} min`}
          </dd>
        </div>
      </dl>
      <Chart option={option} height={260} label="Request rate, p95 latency and error rate over time" />
    </>
  );
}

export function ServingPage() {
  const info = useLoad(async () => {
    // GET / says whether a model is served (always 200), so an idle server costs no failed request.
    const root = await getJson<{ model: unknown }>("/");
    if (!root.model) return null;
    try {
      return await getJson<ModelInfo>("/model-info");
    } catch (e) {
      if (toApiError(e).code === "unavailable") return null; // unloaded in between
      throw e;
    }
  }, []);
  const { snaps, error } = useSnapshots();
  useEffect(() => {
    const t = setInterval(info.reload, 10_000);
    return () => clearInterval(t);
  }, []);
  const m = info.data;
  return (
    <section>
      <h1>Serving</h1>
      <ErrorBox error={info.error} />
      {info.loading && info.data === undefined ? <Loading what="the served model" /> : null}
      {m === null ? (
        <Empty>
          <p>
            <strong>No model is served.</strong> The server serves the newest Production version of its model.
            Train and promote one:
          </p>
          <p>
            <Cmd>mlops train --promote Production</Cmd>
          </p>
          <p class="muted">
            or promote a version from its page (<Link href="/models">Models</Link>).
          </p>
        </Empty>
      ) : null}
      {m ? (
        <div
          class="panel"
          data-testid="served-model"
          data-version={m.model_version}
          data-model={m.model_name}
        >
          <h2>
            <Link href={`/models/${encodeURIComponent(m.model_name)}/versions/${m.model_version}`}>
              {m.model_name} version {m.model_version}
            </Link>{" "}
            <span class={`stage stage-${m.stage}`}>{m.stage}</span>
          </h2>
          <table class="kv">
            <tbody>
              <tr>
                <th scope="row">Loaded at</th>
                <td>{dateTime(Date.parse(m.loaded_at))}</td>
              </tr>
              <tr>
                <th scope="row">Artifact sha256</th>
                <td>
                  <code class="wrap">{m.artifact_sha256}</code>
                </td>
              </tr>
              <tr>
                <th scope="row">Model</th>
                <td>
                  {m.family}, {m.n_features} features
                  {m.scorer?.engine
                    ? `, scored by ${m.scorer.engine}${m.scorer.isa ? ` (${m.scorer.isa})` : ""}`
                    : ""}
                </td>
              </tr>
              <tr>
                <th scope="row">Classes</th>
                <td data-testid="served-classes">{m.class_labels.map(String).join(", ")}</td>
              </tr>
              <tr>
                <th scope="row">Aliases</th>
                <td>{m.aliases.length ? m.aliases.map((a) => `@${a}`).join(", ") : "none"}</td>
              </tr>
              <tr>
                <th scope="row">Source run</th>
                <td>{m.run_id ? <Link href={`/runs/${m.run_id}`}>{m.run_id}</Link> : "—"}</td>
              </tr>
            </tbody>
          </table>
        </div>
      ) : null}
      <h2>Traffic (prediction routes, from /metrics)</h2>
      <ErrorBox error={error} />
      <Figures snaps={snaps} />
    </section>
  );
}
