// One registered model: description, tags, its versions (stage, aliases, tags, source run, created)
// and its history from the audit log.
import { useEffect, useState } from "preact/hooks";
import { Link, useLocation } from "wouter-preact";
import type { ModelVersion } from "../../../src/gen/mlops/v1/registry_pb.js";
import { registry } from "../api.js";
import { ConfirmButton, ErrorBox, Loading, useAction, useLoad } from "../components.js";
import { dateTime, stageName } from "../format.js";
import { HistoryList, modelHistory, StagesAt } from "../history.js";

async function allVersions(name: string): Promise<ModelVersion[]> {
  const out: ModelVersion[] = [];
  let pageToken = "";
  do {
    const page = await registry.listModelVersions({ name, pageSize: 1000, pageToken });
    out.push(...page.modelVersions);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return out.sort((a, b) => Number(b.version) - Number(a.version));
}

export function EditableDescription(props: {
  text: string;
  save: (text: string) => Promise<unknown>;
  label: string;
}) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(props.text);
  const [run, error, busy] = useAction();
  useEffect(() => setDraft(props.text), [props.text]);
  if (!editing) {
    return (
      <div>
        <p class="note" data-testid="description">
          {props.text || <span class="muted">No description.</span>}
        </p>
        <button type="button" onClick={() => setEditing(true)}>
          Edit description
        </button>
      </div>
    );
  }
  return (
    <form
      onSubmit={async (e) => {
        e.preventDefault();
        if (await run(() => props.save(draft))) setEditing(false);
      }}
    >
      <label>
        {props.label}
        <textarea rows={3} value={draft} onInput={(e) => setDraft(e.currentTarget.value)} />
      </label>
      <button type="submit" disabled={busy}>
        Save
      </button>
      <button type="button" onClick={() => setEditing(false)}>
        Cancel
      </button>
      <ErrorBox error={error} />
    </form>
  );
}

export function ModelPage(props: { name: string }) {
  const model = useLoad(() => registry.getRegisteredModel({ name: props.name }), [props.name]);
  const versions = useLoad(() => allVersions(props.name), [props.name]);
  const history = useLoad(() => modelHistory(props.name), [props.name]);
  const [run, error] = useAction();
  const [, navigate] = useLocation();
  const m = model.data?.registeredModel;
  if (model.error) return <ErrorBox error={model.error} />;
  if (!m) return <Loading what="the model" />;
  const live = (versions.data ?? []).some((v) => ["Staging", "Production"].includes(stageName(v.stage)));
  return (
    <section>
      <p class="crumbs">
        <Link href="/models">Models</Link> /
      </p>
      <h1>
        Model <span data-testid="model-name">{m.name}</span>
      </h1>
      <div class="columns-2">
        <div class="panel">
          <h2>Description</h2>
          <EditableDescription
            label="Description of the model"
            text={m.description}
            save={async (description) => {
              await registry.updateRegisteredModel({ name: m.name, description });
              model.reload();
            }}
          />
        </div>
        <div class="panel">
          <h2>Details</h2>
          <p>
            Created {dateTime(m.createdAtMs)}, last modified {dateTime(m.updatedAtMs)}.
          </p>
          <p>
            Tags:{" "}
            {Object.keys(m.tags).length === 0
              ? "none"
              : Object.entries(m.tags).map(([k, v]) => (
                  <span key={k} class="chip">
                    {k}={v}
                  </span>
                ))}
          </p>
          <ConfirmButton
            label="Delete model"
            confirm={`Delete ${m.name} and every version`}
            disabled={live}
            title={live ? "Archive the Staging and Production versions first" : undefined}
            onConfirm={async () => {
              if (await run(() => registry.deleteRegisteredModel({ name: m.name }))) navigate("/models");
            }}
          />
          <ErrorBox error={error} />
        </div>
      </div>
      <h2>Versions</h2>
      <ErrorBox error={versions.error} />
      {versions.data ? (
        <table class="grid" data-testid="model-versions-table">
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Stage</th>
              <th scope="col">Aliases</th>
              <th scope="col">Tags</th>
              <th scope="col">Source run</th>
              <th scope="col">Created</th>
              <th scope="col">Description</th>
            </tr>
          </thead>
          <tbody>
            {versions.data.map((v) => (
              <tr
                key={v.version}
                data-testid="model-version-row"
                data-version={v.version}
                data-stage={stageName(v.stage)}
              >
                <td>
                  <Link href={`/models/${encodeURIComponent(m.name)}/versions/${v.version}`}>
                    Version {v.version}
                  </Link>
                </td>
                <td>
                  <span class={`stage stage-${stageName(v.stage)}`}>{stageName(v.stage)}</span>
                </td>
                <td>
                  {v.aliases.map((a) => (
                    <span key={a} class="chip">
                      @{a}
                    </span>
                  ))}
                </td>
                <td>
                  {Object.entries(v.tags).map(([k, val]) => (
                    <span key={k} class="chip">
                      {k}={val}
                    </span>
                  ))}
                </td>
                <td>{v.runId ? <Link href={`/runs/${v.runId}`}>{v.runId.slice(0, 8)}</Link> : "—"}</td>
                <td>{dateTime(v.createdAtMs)}</td>
                <td class="clip">{v.description}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <Loading what="versions" />
      )}
      <h2>History</h2>
      <ErrorBox error={history.error} />
      {history.data && versions.data ? <StagesAt events={history.data} versions={versions.data} /> : null}
      {history.data ? <HistoryList events={history.data} /> : <Loading what="the history" />}
    </section>
  );
}
