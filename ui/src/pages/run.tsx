// One run: details, editable description, params, metrics and tags, metric history charts by step,
// its artifact and the model versions registered from it.
import { useEffect, useMemo, useState } from "preact/hooks";
import { Link } from "wouter-preact";
import { ModelFamily } from "../../../src/gen/mlops/v1/model_pb.js";
import { LifecycleStage, type Metric } from "../../../src/gen/mlops/v1/tracking_pb.js";
import { tracking } from "../api.js";
import { Chart, type ChartOption } from "../chart.js";
import { ErrorBox, Loading, useAction, useLoad } from "../components.js";
import { bytes, dateTime, duration, metric, stageName, statusName } from "../format.js";

/** Where MLflow keeps a run's description; MLflow clients see the same text. */
export const NOTE_TAG = "mlflow.note.content";
const HIDDEN_TAGS = new Set([NOTE_TAG]);
const MAX_POINTS = 10_000;

async function history(runId: string, key: string): Promise<Metric[]> {
  const out: Metric[] = [];
  let pageToken = "";
  do {
    const page = await tracking.getMetricHistory({ runId, key, pageSize: 1000, pageToken });
    out.push(...page.metrics);
    pageToken = page.nextPageToken;
  } while (pageToken && out.length < MAX_POINTS);
  return out;
}

function MetricChart(props: { runId: string; metricKey: string }) {
  const points = useLoad(() => history(props.runId, props.metricKey), [props.runId, props.metricKey]);
  const option = useMemo<ChartOption>(
    () => ({
      title: { text: props.metricKey, textStyle: { fontSize: 13 } },
      tooltip: { trigger: "axis" },
      grid: { left: 56, right: 16, top: 36, bottom: 32 },
      xAxis: { type: "value", name: "step", nameLocation: "middle", nameGap: 22, minInterval: 1 },
      yAxis: { type: "value", scale: true },
      series: [
        {
          type: "line",
          name: props.metricKey,
          showSymbol: (points.data?.length ?? 0) < 50,
          data: (points.data ?? []).map((p) => [Number(p.step), Number.isFinite(p.value) ? p.value : null]),
        },
      ],
    }),
    [points.data, props.metricKey],
  );
  if (points.error) return <ErrorBox error={points.error} />;
  return (
    <Chart
      option={option}
      height={220}
      label={`History of ${props.metricKey} by step`}
      testId="metric-chart"
    />
  );
}

function KeyValues(props: { title: string; entries: [string, string][]; testId: string }) {
  return (
    <div class="panel">
      <h2>{props.title}</h2>
      {props.entries.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        <table class="kv" data-testid={props.testId}>
          <tbody>
            {props.entries.map(([k, v]) => (
              <tr key={k}>
                <th scope="row">{k}</th>
                <td>{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function Description(props: { runId: string; text: string; editable: boolean; saved: () => void }) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(props.text);
  const [run, error, busy] = useAction();
  useEffect(() => setDraft(props.text), [props.text]);
  return (
    <div class="panel">
      <h2>Description</h2>
      {editing ? (
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            if (await run(() => tracking.setRunTag({ runId: props.runId, key: NOTE_TAG, value: draft }))) {
              setEditing(false);
              props.saved();
            }
          }}
        >
          <label>
            Description of the run
            <textarea
              rows={4}
              value={draft}
              onInput={(e) => setDraft(e.currentTarget.value)}
              data-testid="run-description-input"
            />
          </label>
          <button type="submit" disabled={busy}>
            Save
          </button>
          <button type="button" onClick={() => setEditing(false)}>
            Cancel
          </button>
          <ErrorBox error={error} />
        </form>
      ) : (
        <>
          <p class="note" data-testid="run-description">
            {props.text || <span class="muted">No description.</span>}
          </p>
          {props.editable ? (
            <button type="button" onClick={() => setEditing(true)}>
              Edit description
            </button>
          ) : null}
        </>
      )}
    </div>
  );
}

export function RunPage(props: { id: string }) {
  const got = useLoad(() => tracking.getRun({ runId: props.id }), [props.id]);
  const run = got.data?.run;
  const artifact = got.data?.artifact;
  const experiment = useLoad(
    async () =>
      run ? (await tracking.getExperiment({ experimentId: run.experimentId })).experiment : undefined,
    [run?.experimentId],
  );
  if (got.error) return <ErrorBox error={got.error} />;
  if (!run) return <Loading what="the run" />;
  const tags = Object.entries(run.tags)
    .filter(([k]) => !HIDDEN_TAGS.has(k))
    .sort(([a], [b]) => a.localeCompare(b));
  const params = Object.entries(run.params).sort(([a], [b]) => a.localeCompare(b));
  const deleted = run.lifecycleStage === LifecycleStage.DELETED;
  return (
    <section>
      <p class="crumbs">
        <Link href="/experiments">Experiments</Link> /{" "}
        <Link href={`/experiments/${run.experimentId}`}>{experiment.data?.name ?? run.experimentId}</Link> /
      </p>
      <h1>
        Run <span data-testid="run-name">{run.runName}</span>
        {deleted ? <span class="badge">deleted</span> : null}
      </h1>
      <div class="columns-2">
        <div class="panel">
          <h2>Details</h2>
          <table class="kv">
            <tbody>
              <tr>
                <th scope="row">Run ID</th>
                <td>
                  <code>{run.runId}</code>
                </td>
              </tr>
              <tr>
                <th scope="row">Status</th>
                <td>{statusName(run.status)}</td>
              </tr>
              <tr>
                <th scope="row">Started</th>
                <td>{dateTime(run.startTimeMs)}</td>
              </tr>
              <tr>
                <th scope="row">Ended</th>
                <td>{dateTime(run.endTimeMs)}</td>
              </tr>
              <tr>
                <th scope="row">Duration</th>
                <td>{duration(run.startTimeMs, run.endTimeMs)}</td>
              </tr>
              <tr>
                <th scope="row">Source</th>
                <td>{run.tags["mlops.source"] ?? "—"}</td>
              </tr>
              <tr>
                <th scope="row">Data source</th>
                <td data-testid="run-data-source">{run.tags["mlops.data"] ?? "—"}</td>
              </tr>
            </tbody>
          </table>
        </div>
        <Description
          runId={run.runId}
          text={run.tags[NOTE_TAG] ?? ""}
          editable={!deleted}
          saved={got.reload}
        />
      </div>
      <div class="columns-3">
        <KeyValues title="Params" entries={params} testId="run-params" />
        <div class="panel">
          <h2>Metrics (latest)</h2>
          {run.metrics.length === 0 ? (
            <p class="muted">None.</p>
          ) : (
            <table class="kv" data-testid="run-metrics">
              <tbody>
                {run.metrics.map((m) => (
                  <tr key={m.key}>
                    <th scope="row">{m.key}</th>
                    <td class="num">{metric(m.value)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
        <KeyValues title="Tags" entries={tags} testId="run-tags" />
      </div>
      <div class="columns-2">
        <div class="panel" data-testid="run-artifact">
          <h2>Artifact</h2>
          {artifact ? (
            <table class="kv">
              <tbody>
                <tr>
                  <th scope="row">sha256</th>
                  <td>
                    <code class="wrap">{artifact.sha256}</code>
                  </td>
                </tr>
                {artifact.error ? (
                  <tr>
                    <th scope="row">Problem</th>
                    <td>{artifact.error}</td>
                  </tr>
                ) : (
                  <>
                    <tr>
                      <th scope="row">Format</th>
                      <td>{artifact.format}</td>
                    </tr>
                    <tr>
                      <th scope="row">Size</th>
                      <td>{bytes(artifact.sizeBytes)}</td>
                    </tr>
                    <tr>
                      <th scope="row">Model</th>
                      <td>
                        {(ModelFamily[artifact.family] ?? "").toLowerCase()}, {artifact.nFeatures} features,{" "}
                        {artifact.nClasses} classes{artifact.nTrees ? `, ${artifact.nTrees} trees` : ""}
                      </td>
                    </tr>
                  </>
                )}
              </tbody>
            </table>
          ) : (
            <p class="muted">This run stored no model artifact.</p>
          )}
        </div>
        <div class="panel">
          <h2>Registered model versions</h2>
          {run.modelVersions.length === 0 ? (
            <p class="muted">None registered from this run.</p>
          ) : (
            <ul data-testid="run-model-versions">
              {run.modelVersions.map((v) => (
                <li key={`${v.name}/${v.version}`}>
                  <Link href={`/models/${encodeURIComponent(v.name)}/versions/${v.version}`}>
                    {v.name} version {v.version}
                  </Link>{" "}
                  <span class={`stage stage-${stageName(v.stage)}`}>{stageName(v.stage)}</span>
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
      <h2>Metric history</h2>
      {run.metrics.length === 0 ? <p class="muted">No metrics logged.</p> : null}
      <div class="charts">
        {run.metrics.map((m) => (
          <MetricChart key={m.key} runId={run.runId} metricKey={m.key} />
        ))}
      </div>
    </section>
  );
}
