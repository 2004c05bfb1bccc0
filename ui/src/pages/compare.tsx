// Compare 2…N runs: params, metrics and tags side by side with "differences only", a parallel
// coordinates chart over every param and metric, and a scatter of any two of them.
import { useMemo, useState } from "preact/hooks";
import { Link, useSearch } from "wouter-preact";
import type { Run } from "../../../src/gen/mlops/v1/tracking_pb.js";
import { tracking } from "../api.js";
import { Chart, type ChartOption } from "../chart.js";
import { ErrorBox, Loading, useLoad } from "../components.js";
import { dateTime, duration, metric, statusName } from "../format.js";

interface Row {
  id: string;
  group: "Run" | "Params" | "Metrics" | "Tags";
  label: string;
  values: string[];
  /** Numeric values for the charts (metrics, numeric params). */
  numbers?: (number | undefined)[];
}

const latest = (r: Run, k: string) => r.metrics.find((m) => m.key === k)?.value;

function rowsOf(runs: Run[]): Row[] {
  const keys = (pick: (r: Run) => string[]) => [...new Set(runs.flatMap(pick))].sort();
  const rows: Row[] = [
    { id: "run:id", group: "Run", label: "Run ID", values: runs.map((r) => r.runId) },
    { id: "run:status", group: "Run", label: "Status", values: runs.map((r) => statusName(r.status)) },
    { id: "run:start", group: "Run", label: "Started", values: runs.map((r) => dateTime(r.startTimeMs)) },
    {
      id: "run:duration",
      group: "Run",
      label: "Duration",
      values: runs.map((r) => duration(r.startTimeMs, r.endTimeMs)),
    },
    { id: "run:experiment", group: "Run", label: "Experiment", values: runs.map((r) => r.experimentId) },
  ];
  for (const k of keys((r) => Object.keys(r.params))) {
    const values = runs.map((r) => r.params[k] ?? "");
    const nums = values.map((v) => (v !== "" && Number.isFinite(Number(v)) ? Number(v) : undefined));
    rows.push({
      id: `param:${k}`,
      group: "Params",
      label: k,
      values,
      numbers: nums.every((n, i) => n !== undefined || values[i] === "") ? nums : undefined,
    });
  }
  for (const k of keys((r) => r.metrics.map((m) => m.key))) {
    const nums = runs.map((r) => latest(r, k));
    rows.push({ id: `metric:${k}`, group: "Metrics", label: k, values: nums.map(metric), numbers: nums });
  }
  for (const k of keys((r) => Object.keys(r.tags))) {
    rows.push({ id: `tag:${k}`, group: "Tags", label: k, values: runs.map((r) => r.tags[k] ?? "") });
  }
  return rows;
}

const differs = (row: Row) => new Set(row.values).size > 1;

function ParallelChart(props: { runs: Run[]; rows: Row[] }) {
  const dims = props.rows.filter((r) => r.group === "Params" || r.group === "Metrics");
  const option = useMemo<ChartOption>(
    () => ({
      tooltip: { trigger: "item" },
      parallelAxis: dims.map((d, i) =>
        d.numbers
          ? {
              dim: i,
              name: `${d.group === "Params" ? "params" : "metrics"}.${d.label}`,
              type: "value",
              scale: true,
            }
          : {
              dim: i,
              name: `params.${d.label}`,
              type: "category",
              // Whole category names: MLflow cuts them at 10 characters (mlflow#15484).
              data: [...new Set(d.values)].sort(),
              axisLabel: { interval: 0, width: 200, overflow: "break" },
            },
      ),
      parallel: {
        left: 40,
        right: 120,
        top: 50,
        bottom: 30,
        parallelAxisDefault: { nameRotate: 20, nameLocation: "end" },
      },
      series: [
        {
          type: "parallel",
          lineStyle: { width: 2, opacity: 0.8 },
          data: props.runs.map((r, j) => ({
            name: r.runName || r.runId,
            value: dims.map((d) => (d.numbers ? (d.numbers[j] ?? null) : d.values[j])),
          })),
        },
      ],
    }),
    [props.runs, props.rows],
  );
  if (dims.length < 2)
    return <p class="muted">The runs need two params or metrics for a parallel coordinates chart.</p>;
  return (
    <Chart
      option={option}
      height={340}
      label="Parallel coordinates of the runs' params and metrics"
      testId="parallel-chart"
    />
  );
}

function ScatterChart(props: { runs: Run[]; rows: Row[] }) {
  const numeric = props.rows.filter((r) => r.numbers);
  const [x, setX] = useState(numeric[0]?.id ?? "");
  const [y, setY] = useState(numeric[1]?.id ?? numeric[0]?.id ?? "");
  const rx = numeric.find((r) => r.id === x);
  const ry = numeric.find((r) => r.id === y);
  const option = useMemo<ChartOption>(
    () => ({
      tooltip: {
        trigger: "item",
        formatter: (p: { data: [number, number, string] }) => `${p.data[2]}: (${p.data[0]}, ${p.data[1]})`,
      },
      grid: { left: 64, right: 24, top: 24, bottom: 48 },
      xAxis: { type: "value", name: rx?.label, nameLocation: "middle", nameGap: 28, scale: true },
      yAxis: { type: "value", name: ry?.label, nameLocation: "middle", nameGap: 48, scale: true },
      series: [
        {
          type: "scatter",
          symbolSize: 12,
          label: {
            show: true,
            position: "right",
            formatter: (p: { data: [number, number, string] }) => p.data[2],
          },
          data: props.runs
            .map((r, j) => [rx?.numbers?.[j], ry?.numbers?.[j], r.runName || r.runId.slice(0, 8)])
            .filter((p) => p[0] !== undefined && p[1] !== undefined),
        },
      ],
    }),
    [props.runs, rx, ry],
  );
  if (numeric.length === 0) return <p class="muted">No numeric params or metrics to plot.</p>;
  const options = numeric.map((r) => (
    <option key={r.id} value={r.id}>
      {r.group.toLowerCase()}.{r.label}
    </option>
  ));
  return (
    <div>
      <div class="toolbar">
        <label>
          X axis
          <select value={x} onChange={(e) => setX(e.currentTarget.value)} data-testid="scatter-x">
            {options}
          </select>
        </label>
        <label>
          Y axis
          <select value={y} onChange={(e) => setY(e.currentTarget.value)} data-testid="scatter-y">
            {options}
          </select>
        </label>
      </div>
      <Chart
        option={option}
        height={320}
        label={`Scatter of ${ry?.label} against ${rx?.label}`}
        testId="scatter-chart"
      />
    </div>
  );
}

export function ComparePage() {
  const ids = (new URLSearchParams(useSearch()).get("runs") ?? "").split(",").filter(Boolean);
  const got = useLoad(() => Promise.all(ids.map((runId) => tracking.getRun({ runId }))), [ids.join(",")]);
  const [diffOnly, setDiffOnly] = useState(false);
  const runs = (got.data ?? []).map((g) => g.run).filter((r): r is Run => r !== undefined);
  const rows = useMemo(() => rowsOf(runs), [got.data]);
  if (ids.length < 2) {
    return (
      <section>
        <h1>Compare runs</h1>
        <p>Select two or more runs in a runs table, then press Compare.</p>
      </section>
    );
  }
  if (got.error) return <ErrorBox error={got.error} />;
  if (!got.data) return <Loading what="the runs" />;
  const shown = rows.filter((r) => !diffOnly || r.group === "Run" || differs(r));
  return (
    <section>
      <h1>Compare {runs.length} runs</h1>
      <label class="check">
        <input
          type="checkbox"
          checked={diffOnly}
          onChange={(e) => setDiffOnly(e.currentTarget.checked)}
          data-testid="diff-only"
        />
        Differences only
      </label>
      <div class="table-scroll">
        <table class="grid compare" data-testid="compare-table">
          <thead>
            <tr>
              <th scope="col">Field</th>
              {runs.map((r) => (
                <th key={r.runId} scope="col">
                  <Link href={`/runs/${r.runId}`}>{r.runName || r.runId}</Link>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((row) => (
              <tr
                key={row.id}
                class={row.group !== "Run" && differs(row) ? "diff" : ""}
                data-testid="compare-row"
                data-field={row.id}
              >
                <th scope="row">
                  <span class="muted">{row.group === "Run" ? "" : `${row.group.toLowerCase()}.`}</span>
                  {row.label}
                </th>
                {row.values.map((v, i) => (
                  <td key={runs[i]?.runId} class={row.numbers ? "num" : ""}>
                    {v}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>Parallel coordinates</h2>
      <ParallelChart runs={runs} rows={rows} />
      <h2>Scatter</h2>
      <ScatterChart runs={runs} rows={rows} />
    </section>
  );
}
