// One model version: stage, aliases, tags, description, source run, metrics; a stage transition
// with "archive the versions now in that stage" and a comment kept in the audit log; alias set and
// remove; delete where allowed.
import { useEffect, useState } from "preact/hooks";
import { Link, useLocation } from "wouter-preact";
import { registry } from "../api.js";
import { ConfirmButton, ErrorBox, Loading, useAction, useLoad } from "../components.js";
import { dateTime, metric, STAGE_NAMES, type StageName, stageEnum, stageName } from "../format.js";
import { HistoryList, modelHistory } from "../history.js";
import { EditableDescription } from "./model.js";

function TransitionForm(props: { name: string; version: string; stage: StageName; done: () => void }) {
  const [target, setTarget] = useState<StageName>(props.stage);
  const [archive, setArchive] = useState(true);
  const [comment, setComment] = useState("");
  const [message, setMessage] = useState("");
  const [run, error, busy] = useAction();
  useEffect(() => setTarget(props.stage), [props.stage]);
  const archivable = target === "Staging" || target === "Production";
  return (
    <form
      class="panel transition"
      aria-labelledby="transition-title"
      onSubmit={async (e) => {
        e.preventDefault();
        setMessage("");
        const ok = await run(async () => {
          const res = await registry.transitionModelVersionStage({
            name: props.name,
            version: props.version,
            stage: stageEnum(target),
            archiveExistingVersions: archivable && archive,
            comment: comment.trim(),
          });
          const archived = res.archivedVersions.map((v) => `v${v.version}`);
          setMessage(
            `Version ${props.version} is now in ${target}.${archived.length ? ` Archived ${archived.join(", ")}.` : ""}`,
          );
        });
        if (ok) {
          setComment("");
          props.done();
        }
      }}
    >
      <h2 id="transition-title">Stage transition</h2>
      <label for="stage-select">New stage</label>
      <select
        id="stage-select"
        data-testid="stage-select"
        value={target}
        onChange={(e) => setTarget(e.currentTarget.value as StageName)}
      >
        {STAGE_NAMES.map((s) => (
          <option key={s} value={s}>
            {s}
            {s === props.stage ? " (current)" : ""}
          </option>
        ))}
      </select>
      <label class="check">
        <input
          type="checkbox"
          data-testid="archive-existing"
          checked={archivable && archive}
          disabled={!archivable}
          onChange={(e) => setArchive(e.currentTarget.checked)}
        />
        Archive the versions now in {archivable ? target : "that stage"}
      </label>
      <label for="transition-comment">Comment (kept in the model's history)</label>
      <textarea
        id="transition-comment"
        data-testid="transition-comment"
        rows={2}
        value={comment}
        onInput={(e) => setComment(e.currentTarget.value)}
        placeholder="Why this change: e.g. AUC 0.991 on the March holdout"
      />
      <button type="submit" data-testid="transition-confirm" disabled={busy || target === props.stage}>
        {target === props.stage ? `Already in ${target}` : `Move to ${target}`}
      </button>
      {message ? (
        <p role="status" class="ok" data-testid="transition-result">
          {message}
        </p>
      ) : null}
      <ErrorBox error={error} />
    </form>
  );
}

function Aliases(props: { name: string; version: string; aliases: string[]; done: () => void }) {
  const [alias, setAlias] = useState("");
  const [run, error, busy] = useAction();
  return (
    <div class="panel">
      <h2>Aliases</h2>
      {props.aliases.length === 0 ? <p class="muted">No alias points here.</p> : null}
      <ul class="inline-list" data-testid="version-aliases">
        {props.aliases.map((a) => (
          <li key={a}>
            <span class="chip">@{a}</span>{" "}
            <button
              type="button"
              aria-label={`Remove alias ${a}`}
              onClick={async () => {
                if (await run(() => registry.deleteModelAlias({ name: props.name, alias: a }))) props.done();
              }}
            >
              Remove
            </button>
          </li>
        ))}
      </ul>
      <form
        class="inline"
        onSubmit={async (e) => {
          e.preventDefault();
          if (
            await run(() =>
              registry.setModelAlias({ name: props.name, alias: alias.trim(), version: props.version }),
            )
          ) {
            setAlias("");
            props.done();
          }
        }}
      >
        <label>
          Set alias
          <input
            value={alias}
            onInput={(e) => setAlias(e.currentTarget.value)}
            placeholder="champion"
            required
            data-testid="alias-input"
          />
        </label>
        <button type="submit" disabled={busy || alias.trim() === ""} data-testid="alias-set">
          Point at v{props.version}
        </button>
      </form>
      <ErrorBox error={error} />
    </div>
  );
}

export function VersionPage(props: { name: string; version: string }) {
  const got = useLoad(
    () => registry.getModelVersion({ name: props.name, version: props.version }),
    [props.name, props.version],
  );
  const history = useLoad(() => modelHistory(props.name, props.version), [props.name, props.version]);
  const [run, error] = useAction();
  const [, navigate] = useLocation();
  const reload = () => {
    got.reload();
    history.reload();
  };
  const v = got.data?.modelVersion;
  if (got.error) return <ErrorBox error={got.error} />;
  if (!v) return <Loading what="the version" />;
  const stage = stageName(v.stage) || "None";
  const live = stage === "Staging" || stage === "Production";
  const modelHref = `/models/${encodeURIComponent(v.name)}`;
  return (
    <section>
      <p class="crumbs">
        <Link href="/models">Models</Link> / <Link href={modelHref}>{v.name}</Link> /
      </p>
      <h1>
        {v.name} version {v.version}{" "}
        <span class={`stage stage-${stage}`} data-testid="version-stage">
          {stage}
        </span>
      </h1>
      <div class="columns-2">
        <div class="panel">
          <h2>Details</h2>
          <table class="kv">
            <tbody>
              <tr>
                <th scope="row">Source run</th>
                <td>{v.runId ? <Link href={`/runs/${v.runId}`}>{v.runId}</Link> : "—"}</td>
              </tr>
              <tr>
                <th scope="row">Source</th>
                <td>
                  <code class="wrap">{v.source}</code>
                </td>
              </tr>
              <tr>
                <th scope="row">Artifact sha256</th>
                <td>
                  <code class="wrap">{v.artifactSha256}</code>
                </td>
              </tr>
              <tr>
                <th scope="row">Registered</th>
                <td>{dateTime(v.createdAtMs)}</td>
              </tr>
              <tr>
                <th scope="row">Last modified</th>
                <td>{dateTime(v.updatedAtMs)}</td>
              </tr>
              <tr>
                <th scope="row">Tags</th>
                <td>
                  {Object.keys(v.tags).length === 0
                    ? "none"
                    : Object.entries(v.tags).map(([k, val]) => (
                        <span key={k} class="chip">
                          {k}={val}
                        </span>
                      ))}
                </td>
              </tr>
            </tbody>
          </table>
          <h3>Description</h3>
          <EditableDescription
            label="Description of the version"
            text={v.description}
            save={async (description) => {
              await registry.updateModelVersion({ name: v.name, version: v.version, description });
              got.reload();
            }}
          />
        </div>
        <div class="panel">
          <h2>Metrics (from the run)</h2>
          {Object.keys(v.metrics).length === 0 ? (
            <p class="muted">None.</p>
          ) : (
            <table class="kv" data-testid="version-metrics">
              <tbody>
                {Object.entries(v.metrics)
                  .sort(([a], [b]) => a.localeCompare(b))
                  .map(([k, val]) => (
                    <tr key={k}>
                      <th scope="row">{k}</th>
                      <td class="num">{metric(val)}</td>
                    </tr>
                  ))}
              </tbody>
            </table>
          )}
        </div>
      </div>
      <div class="columns-2">
        <TransitionForm name={v.name} version={v.version} stage={stage} done={reload} />
        <Aliases name={v.name} version={v.version} aliases={v.aliases} done={reload} />
      </div>
      <div class="panel">
        <h2>Delete</h2>
        <ConfirmButton
          label={`Delete version ${v.version}`}
          confirm={`Delete ${v.name} version ${v.version} for good`}
          disabled={live}
          title={live ? `Move it out of ${stage} first` : undefined}
          testId="delete-version"
          onConfirm={async () => {
            if (await run(() => registry.deleteModelVersion({ name: v.name, version: v.version })))
              navigate(modelHref);
          }}
        />
        {live ? <p class="muted">A version in {stage} cannot be deleted: archive it first.</p> : null}
        <ErrorBox error={error} />
      </div>
      <h2>History of this version</h2>
      <ErrorBox error={history.error} />
      {history.data ? <HistoryList events={history.data} /> : <Loading what="the history" />}
    </section>
  );
}
