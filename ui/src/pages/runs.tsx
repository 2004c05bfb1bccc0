// The runs of one or several experiments: a column per param, metric (latest value) and tag, plus
// attributes; a column chooser; sorting, filtering (MLflow's syntax) and paging done by the server;
// selection for compare; CSV download of every matching run.
import { useEffect, useMemo, useState } from "preact/hooks";
import { Link, useLocation, useSearch } from "wouter-preact";
import { type Run, RunStatus, ViewType } from "../../../src/gen/mlops/v1/tracking_pb.js";
import { type ApiError, toApiError, tracking } from "../api.js";
import { Cmd, Empty, ErrorBox, Loading, useAction, useLoad } from "../components.js";
import { dateTime, duration, metric, stageName, statusName, toCsv } from "../format.js";

interface Column {
  id: string;
  label: string;
  group: "Attributes" | "Params" | "Metrics" | "Tags";
  /** The order_by field, when the server can sort by it. */
  sort?: string;
  numeric?: boolean;
  value(run: Run): string;
  cell?(run: Run): preact.ComponentChildren;
}

const SOURCE_TAG = "mlops.source";
const DATA_TAG = "mlops.data";

/** A key as order_by spells it: backticks when it holds a space. */
const quoteKey = (key: string) => (/\s/.test(key) ? `\`${key}\`` : key);

const latest = (run: Run, key: string) => run.metrics.find((m) => m.key === key)?.value;

function attributeColumns(): Column[] {
  return [
    {
      id: "attr:name",
      label: "Run name",
      group: "Attributes",
      sort: "run_name",
      value: (r) => r.runName,
      cell: (r) => <Link href={`/runs/${r.runId}`}>{r.runName || r.runId}</Link>,
    },
    {
      id: "attr:status",
      label: "Status",
      group: "Attributes",
      sort: "status",
      value: (r) => statusName(r.status),
    },
    {
      id: "attr:start",
      label: "Started",
      group: "Attributes",
      sort: "start_time",
      value: (r) => dateTime(r.startTimeMs),
    },
    {
      id: "attr:duration",
      label: "Duration",
      group: "Attributes",
      value: (r) => duration(r.startTimeMs, r.endTimeMs),
    },
    {
      id: "attr:source",
      label: "Source",
      group: "Attributes",
      sort: `tags.${SOURCE_TAG}`,
      value: (r) => r.tags[SOURCE_TAG] ?? "",
    },
    {
      id: "attr:data",
      label: "Dataset",
      group: "Attributes",
      sort: `tags.${DATA_TAG}`,
      value: (r) => r.tags[DATA_TAG] ?? "",
    },
    {
      id: "attr:versions",
      label: "Registered",
      group: "Attributes",
      value: (r) => r.modelVersions.map((v) => `${v.name} v${v.version}`).join("; "),
      cell: (r) =>
        r.modelVersions.map((v) => (
          <Link
            key={`${v.name}/${v.version}`}
            class="chip"
            href={`/models/${encodeURIComponent(v.name)}/versions/${v.version}`}
          >
            {v.name} v{v.version}
            {stageName(v.stage) !== "None" ? ` (${stageName(v.stage)})` : ""}
          </Link>
        )),
    },
  ];
}

function keyColumns(keys: { metricKeys: string[]; paramKeys: string[]; tagKeys: string[] }): Column[] {
  return [
    ...keys.paramKeys.map(
      (k): Column => ({
        id: `param:${k}`,
        label: k,
        group: "Params",
        sort: `params.${quoteKey(k)}`,
        value: (r) => r.params[k] ?? "",
      }),
    ),
    ...keys.metricKeys.map(
      (k): Column => ({
        id: `metric:${k}`,
        label: k,
        group: "Metrics",
        sort: `metrics.${quoteKey(k)}`,
        numeric: true,
        value: (r) => metric(latest(r, k)),
      }),
    ),
    ...keys.tagKeys.map(
      (k): Column => ({
        id: `tag:${k}`,
        label: k,
        group: "Tags",
        sort: `tags.${quoteKey(k)}`,
        value: (r) => r.tags[k] ?? "",
      }),
    ),
  ];
}

const defaultVisible = (c: Column) => c.group !== "Tags";

function useColumnChoice(storageKey: string) {
  const [choice, setChoice] = useState<Record<string, boolean>>(() => {
    try {
      return JSON.parse(localStorage.getItem(storageKey) ?? "{}");
    } catch {
      return {};
    }
  });
  const set = (id: string, visible: boolean) => {
    const next = { ...choice, [id]: visible };
    setChoice(next);
    localStorage.setItem(storageKey, JSON.stringify(next));
  };
  const visible = (c: Column) => choice[c.id] ?? defaultVisible(c);
  return { visible, set };
}

/** "invalid filter at character 18: …" → 17, to mark the token in the filter. */
function errorPosition(error: ApiError | undefined): number | undefined {
  const m = error ? /at character (\d+)/.exec(error.message) : null;
  return m ? Number(m[1]) - 1 : undefined;
}

function FilterError(props: { filter: string; error: ApiError }) {
  const at = errorPosition(props.error);
  return (
    <ErrorBox error={props.error}>
      {at !== undefined && at <= props.filter.length ? (
        <pre class="filter-echo" data-testid="filter-error">
          {props.filter.slice(0, at)}
          <mark>{props.filter.slice(at, at + Math.max(1, tokenLength(props.filter, at))) || " "}</mark>
          {props.filter.slice(at + Math.max(1, tokenLength(props.filter, at)))}
        </pre>
      ) : null}
    </ErrorBox>
  );
}

function tokenLength(text: string, at: number): number {
  const m = /^(\S+)/.exec(text.slice(at));
  return m ? (m[1] as string).length : 0;
}

const PAGE_SIZES = [25, 50, 100, 250, 1000];

export function RunsPage(props: { ids: string }) {
  const experimentIds = useMemo(() => props.ids.split(",").filter(Boolean), [props.ids]);
  const search = useSearch();
  const [, navigate] = useLocation();
  const params = new URLSearchParams(search);
  const filter = params.get("filter") ?? "";
  const order = params.get("order") ?? "";
  const view = params.get("view") ?? "active";
  const size = Number(params.get("size") ?? 100) || 100;
  const [draft, setDraft] = useState(filter);
  const [tokens, setTokens] = useState<string[]>([""]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [run, actionError, busy] = useAction();
  const [csvError, setCsvError] = useState<ApiError>();
  const [csvBusy, setCsvBusy] = useState(false);
  const columns = useColumnChoice(`mlops.runs.columns.${props.ids}`);

  useEffect(() => setDraft(filter), [filter]);

  const viewType =
    view === "deleted" ? ViewType.DELETED_ONLY : view === "all" ? ViewType.ALL : ViewType.ACTIVE_ONLY;
  const setQuery = (changes: Record<string, string>) => {
    const next = new URLSearchParams(search);
    for (const [k, v] of Object.entries(changes)) {
      if (v === "") next.delete(k);
      else next.set(k, v);
    }
    setTokens([""]);
    const q = next.toString();
    navigate(`/experiments/${props.ids}${q ? `?${q}` : ""}`, { replace: true });
  };

  const pageToken = tokens.at(-1) ?? "";
  const request: { experimentIds: string[]; filter: string; orderBy: string[]; viewType: ViewType } = {
    experimentIds,
    filter,
    orderBy: order ? [order] : [],
    viewType,
  };
  const page = useLoad(
    () => tracking.searchRuns({ ...request, pageSize: size, pageToken }),
    [props.ids, filter, order, viewType, size, pageToken],
  );

  const experiments = useLoad(
    () => Promise.all(experimentIds.map((id) => tracking.getExperiment({ experimentId: id }))),
    [props.ids],
  );
  // Every key of the experiments' runs, asked for once the first page is there (the server answers
  // one query at a time: the page comes first); until then, the keys of the page's own runs.
  const firstPage = page.data !== undefined;
  const keys = useLoad(
    async () => (firstPage ? tracking.listRunKeys({ experimentIds, viewType }) : undefined),
    [props.ids, viewType, firstPage],
  );
  const pageKeys = useMemo(() => {
    const set = (pick: (r: Run) => string[]) => [...new Set((page.data?.runs ?? []).flatMap(pick))].sort();
    return {
      metricKeys: set((r) => r.metrics.map((m) => m.key)),
      paramKeys: set((r) => Object.keys(r.params)),
      tagKeys: set((r) => Object.keys(r.tags)),
    };
  }, [page.data]);
  const all = useMemo(() => {
    const merged = (a: string[], b: string[] = []) => [...new Set([...a, ...b])].sort();
    const k = keys.data;
    return [
      ...attributeColumns(),
      ...keyColumns({
        metricKeys: merged(pageKeys.metricKeys, k?.metricKeys),
        paramKeys: merged(pageKeys.paramKeys, k?.paramKeys),
        tagKeys: merged(pageKeys.tagKeys, k?.tagKeys),
      }),
    ];
  }, [keys.data, pageKeys]);
  const shown = all.filter(columns.visible);
  const runs = page.data?.runs ?? [];
  const total = page.data?.totalSize ?? 0;
  const first = (tokens.length - 1) * size;

  const sortBy = (c: Column) => {
    if (!c.sort) return;
    const [field, dir] = order.split(/\s+(?=(?:ASC|DESC)$)/i);
    const current = field === c.sort ? (dir ?? "ASC").toUpperCase() : undefined;
    const next = current === undefined ? (c.numeric ? "DESC" : "ASC") : current === "DESC" ? "ASC" : "DESC";
    setQuery({ order: `${c.sort} ${next}` });
  };
  const sortState = (c: Column): "ascending" | "descending" | undefined => {
    if (!c.sort || !order) return undefined;
    const m = /^(.*?)(?:\s+(ASC|DESC))?$/i.exec(order);
    if (m?.[1] !== c.sort) return undefined;
    return (m[2] ?? "ASC").toUpperCase() === "DESC" ? "descending" : "ascending";
  };

  const toggle = (id: string) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };

  async function downloadCsv() {
    setCsvBusy(true);
    setCsvError(undefined);
    try {
      const rows: string[][] = [
        [
          "run_id",
          ...shown.map((c) => (c.group === "Attributes" ? c.label : `${c.group.toLowerCase()}.${c.label}`)),
        ],
      ];
      let token = "";
      do {
        const p = await tracking.searchRuns({ ...request, pageSize: 1000, pageToken: token });
        for (const r of p.runs) rows.push([r.runId, ...shown.map((c) => c.value(r))]);
        token = p.nextPageToken;
      } while (token);
      const url = URL.createObjectURL(new Blob([toCsv(rows)], { type: "text/csv" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = `runs-${props.ids.replaceAll(",", "-")}.csv`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      setCsvError(toApiError(e));
    } finally {
      setCsvBusy(false);
    }
  }

  const names = experiments.data?.map((e) => e.experiment?.name ?? "").join(", ");
  const groups = ["Attributes", "Params", "Metrics", "Tags"] as const;

  return (
    <section>
      <p class="crumbs">
        <Link href="/experiments">Experiments</Link> /
      </p>
      <h1>Runs{names ? ` of ${names}` : ""}</h1>
      <ErrorBox error={experiments.error} />
      <form
        class="filter"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery({ filter: draft.trim() });
        }}
      >
        <label for="runs-filter">Filter (MLflow syntax)</label>
        <input
          id="runs-filter"
          data-testid="runs-filter"
          value={draft}
          onInput={(e) => setDraft(e.currentTarget.value)}
          placeholder="metrics.roc_auc > 0.99 and params.model = 'gbdt'"
          spellcheck={false}
        />
        <button type="submit" data-testid="runs-filter-apply">
          Apply
        </button>
        {filter ? (
          <button type="button" onClick={() => setQuery({ filter: "" })}>
            Clear
          </button>
        ) : null}
      </form>
      {page.error && filter ? (
        <FilterError filter={filter} error={page.error} />
      ) : (
        <ErrorBox error={page.error} />
      )}
      <div class="toolbar">
        <label>
          Show
          <select
            value={view}
            onChange={(e) =>
              setQuery({ view: e.currentTarget.value === "active" ? "" : e.currentTarget.value })
            }
          >
            <option value="active">Active runs</option>
            <option value="deleted">Deleted runs</option>
            <option value="all">All runs</option>
          </select>
        </label>
        <details class="columns">
          <summary>Columns ({shown.length})</summary>
          <div class="column-groups" data-testid="column-chooser">
            {groups.map((g) => {
              const cols = all.filter((c) => c.group === g);
              if (cols.length === 0) return null;
              return (
                <fieldset key={g}>
                  <legend>{g}</legend>
                  {cols.map((c) => (
                    <label key={c.id} class="check">
                      <input
                        type="checkbox"
                        checked={columns.visible(c)}
                        onChange={(e) => columns.set(c.id, e.currentTarget.checked)}
                        data-column={c.id}
                      />
                      {c.label}
                    </label>
                  ))}
                </fieldset>
              );
            })}
          </div>
        </details>
        <button
          type="button"
          data-testid="compare-selected"
          disabled={selected.size < 2}
          onClick={() => navigate(`/compare?runs=${[...selected].join(",")}`)}
        >
          Compare ({selected.size})
        </button>
        {view === "deleted" ? (
          <button
            type="button"
            disabled={selected.size === 0 || busy}
            onClick={async () => {
              if (
                await run(() => Promise.all([...selected].map((runId) => tracking.restoreRun({ runId }))))
              ) {
                setSelected(new Set());
                page.reload();
              }
            }}
          >
            Restore ({selected.size})
          </button>
        ) : (
          <button
            type="button"
            class="danger"
            disabled={selected.size === 0 || busy}
            onClick={async () => {
              if (await run(() => Promise.all([...selected].map((runId) => tracking.deleteRun({ runId }))))) {
                setSelected(new Set());
                page.reload();
              }
            }}
          >
            Delete ({selected.size})
          </button>
        )}
        <button
          type="button"
          onClick={downloadCsv}
          disabled={csvBusy || total === 0}
          data-testid="download-csv"
        >
          {csvBusy ? "Preparing CSV…" : `Download ${total} runs (CSV)`}
        </button>
      </div>
      <ErrorBox error={actionError} />
      <ErrorBox error={csvError} />
      {page.loading && !page.data ? <Loading what="runs" /> : null}
      {page.data && total === 0 && !filter && view === "active" ? (
        <Empty>
          <p>
            <strong>No runs here yet.</strong> Train one into this experiment:
          </p>
          <p>
            <Cmd>{`mlops train --experiment ${JSON.stringify(experiments.data?.[0]?.experiment?.name ?? "Default")}`}</Cmd>
          </p>
        </Empty>
      ) : null}
      {page.data && total === 0 && filter ? <p class="muted">No run matches the filter.</p> : null}
      {runs.length > 0 ? (
        <>
          <div class="table-scroll">
            <table class="grid runs" data-testid="runs-table" aria-busy={page.loading}>
              <thead>
                <tr>
                  <th scope="col" rowSpan={2}>
                    <span class="sr-only">Select</span>
                  </th>
                  {groups.map((g) => {
                    const n = shown.filter((c) => c.group === g).length;
                    return n > 0 ? (
                      <th key={g} scope="colgroup" colSpan={n} class="group">
                        {g}
                      </th>
                    ) : null;
                  })}
                </tr>
                <tr>
                  {shown.map((c) => (
                    <th
                      key={c.id}
                      scope="col"
                      aria-sort={sortState(c)}
                      data-column={c.id}
                      class={c.numeric ? "num" : ""}
                    >
                      {c.sort ? (
                        <button
                          type="button"
                          class="sort"
                          onClick={() => sortBy(c)}
                          aria-label={`Sort by ${c.label}`}
                        >
                          {c.label}
                          <span aria-hidden="true">
                            {sortState(c) === "descending" ? " ▼" : sortState(c) === "ascending" ? " ▲" : ""}
                          </span>
                        </button>
                      ) : (
                        c.label
                      )}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {runs.map((r) => (
                  <tr
                    key={r.runId}
                    data-testid="run-row"
                    data-run-id={r.runId}
                    class={r.status === RunStatus.FAILED ? "failed" : ""}
                  >
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`Select run ${r.runName || r.runId}`}
                        checked={selected.has(r.runId)}
                        onChange={() => toggle(r.runId)}
                      />
                    </td>
                    {shown.map((c) => (
                      <td key={c.id} class={c.numeric ? "num" : ""} data-column={c.id}>
                        {c.cell ? c.cell(r) : c.value(r)}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <nav class="pager" aria-label="Pages of runs">
            <button
              type="button"
              disabled={tokens.length <= 1}
              onClick={() => setTokens(tokens.slice(0, -1))}
            >
              Previous
            </button>
            <span data-testid="runs-range">
              {first + 1}–{first + runs.length} of {total}
            </span>
            <button
              type="button"
              data-testid="next-page"
              disabled={!page.data?.nextPageToken}
              onClick={() => setTokens([...tokens, page.data?.nextPageToken ?? ""])}
            >
              Next
            </button>
            <label>
              Per page
              <select
                value={String(size)}
                onChange={(e) =>
                  setQuery({ size: e.currentTarget.value === "100" ? "" : e.currentTarget.value })
                }
              >
                {PAGE_SIZES.map((n) => (
                  <option key={n} value={String(n)}>
                    {n}
                  </option>
                ))}
              </select>
            </label>
          </nav>
        </>
      ) : null}
    </section>
  );
}
