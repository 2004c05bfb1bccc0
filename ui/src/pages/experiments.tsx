// Experiments: run counts and last activity; create, rename, delete and restore; open the runs of
// one or several.
import { useState } from "preact/hooks";
import { Link, useLocation } from "wouter-preact";
import { type Experiment, LifecycleStage, ViewType } from "../../../src/gen/mlops/v1/tracking_pb.js";
import { tracking } from "../api.js";
import { Cmd, ConfirmButton, Empty, ErrorBox, Loading, useAction, useLoad } from "../components.js";
import { dateTime } from "../format.js";

const VIEWS = { active: ViewType.ACTIVE_ONLY, deleted: ViewType.DELETED_ONLY, all: ViewType.ALL } as const;

async function allExperiments(viewType: ViewType): Promise<Experiment[]> {
  const out: Experiment[] = [];
  let pageToken = "";
  do {
    const page = await tracking.listExperiments({ viewType, pageSize: 1000, pageToken });
    out.push(...page.experiments);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return out;
}

function RenameForm(props: { experiment: Experiment; done: (changed: boolean) => void }) {
  const [name, setName] = useState(props.experiment.name);
  const [run, error, busy] = useAction();
  return (
    <form
      class="inline"
      onSubmit={async (e) => {
        e.preventDefault();
        if (await run(() => tracking.updateExperiment({ experimentId: props.experiment.experimentId, name })))
          props.done(true);
      }}
    >
      <label>
        New name for {props.experiment.name}
        <input value={name} onInput={(e) => setName(e.currentTarget.value)} required maxLength={256} />
      </label>
      <button type="submit" disabled={busy}>
        Save
      </button>
      <button type="button" onClick={() => props.done(false)}>
        Cancel
      </button>
      <ErrorBox error={error} />
    </form>
  );
}

export function ExperimentsPage() {
  const [view, setView] = useState<keyof typeof VIEWS>("active");
  const list = useLoad(() => allExperiments(VIEWS[view]), [view]);
  const [newName, setNewName] = useState("");
  const [renaming, setRenaming] = useState<string>();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [run, actionError, busy] = useAction();
  const [, navigate] = useLocation();

  const experiments = list.data ?? [];
  const noRuns = list.data !== undefined && experiments.every((e) => e.runCount === 0);
  const toggle = (id: string) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };

  return (
    <section>
      <h1>Experiments</h1>
      <div class="toolbar">
        <form
          class="inline"
          onSubmit={async (e) => {
            e.preventDefault();
            if (await run(() => tracking.createExperiment({ name: newName.trim() }))) {
              setNewName("");
              list.reload();
            }
          }}
        >
          <label>
            New experiment
            <input
              value={newName}
              onInput={(e) => setNewName(e.currentTarget.value)}
              placeholder="churn-model"
              required
              maxLength={256}
              data-testid="new-experiment-name"
            />
          </label>
          <button type="submit" disabled={busy || newName.trim() === ""} data-testid="create-experiment">
            Create
          </button>
        </form>
        <label>
          Show
          <select value={view} onChange={(e) => setView(e.currentTarget.value as keyof typeof VIEWS)}>
            <option value="active">Active</option>
            <option value="deleted">Deleted</option>
            <option value="all">All</option>
          </select>
        </label>
        <button
          type="button"
          disabled={selected.size === 0}
          onClick={() => navigate(`/experiments/${[...selected].join(",")}`)}
        >
          Runs of the selected ({selected.size})
        </button>
      </div>
      <ErrorBox error={actionError} />
      <ErrorBox error={list.error} />
      {list.loading && !list.data ? <Loading what="experiments" /> : null}
      {noRuns && view === "active" ? (
        <Empty>
          <p>
            <strong>No runs yet.</strong> Train a model and it shows up here, with its run, metrics and a
            registered version:
          </p>
          <p>
            <Cmd>mlops train --promote Production</Cmd>
          </p>
          <p class="muted">
            Or log runs from code through the API (<a href="/docs">API docs</a>), as MLflow clients do.
          </p>
        </Empty>
      ) : null}
      {experiments.length > 0 ? (
        <table class="grid" data-testid="experiments-table">
          <thead>
            <tr>
              <th scope="col">
                <span class="sr-only">Select</span>
              </th>
              <th scope="col">Name</th>
              <th scope="col">ID</th>
              <th scope="col" class="num">
                Runs
              </th>
              <th scope="col">Last activity</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {experiments.map((e) => {
              const deleted = e.lifecycleStage === LifecycleStage.DELETED;
              return (
                <tr key={e.experimentId} data-testid="experiment-row" data-experiment-id={e.experimentId}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Select experiment ${e.name}`}
                      checked={selected.has(e.experimentId)}
                      onChange={() => toggle(e.experimentId)}
                    />
                  </td>
                  <td>
                    {renaming === e.experimentId ? (
                      <RenameForm
                        experiment={e}
                        done={(changed) => {
                          setRenaming(undefined);
                          if (changed) list.reload();
                        }}
                      />
                    ) : (
                      <Link href={`/experiments/${e.experimentId}`}>{e.name}</Link>
                    )}
                    {deleted ? <span class="badge">deleted</span> : null}
                  </td>
                  <td>{e.experimentId}</td>
                  <td class="num">{e.runCount}</td>
                  <td>{dateTime(e.lastActivityMs)}</td>
                  <td>{dateTime(e.createdAtMs)}</td>
                  <td class="actions">
                    {deleted ? (
                      <button
                        type="button"
                        onClick={async () => {
                          if (await run(() => tracking.restoreExperiment({ experimentId: e.experimentId })))
                            list.reload();
                        }}
                      >
                        Restore
                      </button>
                    ) : (
                      <>
                        <button type="button" onClick={() => setRenaming(e.experimentId)}>
                          Rename
                        </button>
                        <ConfirmButton
                          label="Delete"
                          confirm={`Delete ${e.name} and its runs`}
                          disabled={e.experimentId === "0"}
                          title={
                            e.experimentId === "0" ? "The Default experiment cannot be deleted" : undefined
                          }
                          onConfirm={async () => {
                            if (await run(() => tracking.deleteExperiment({ experimentId: e.experimentId })))
                              list.reload();
                          }}
                        />
                      </>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : list.data ? (
        <p class="muted">No {view === "deleted" ? "deleted " : ""}experiments.</p>
      ) : null}
    </section>
  );
}
