// Registered models with their latest, Staging and Production versions, aliases and tags.
import { Link } from "wouter-preact";
import type { ModelVersion, RegisteredModel } from "../../../src/gen/mlops/v1/registry_pb.js";
import { registry } from "../api.js";
import { Cmd, Empty, ErrorBox, Loading, useLoad } from "../components.js";
import { dateTime, stageName } from "../format.js";

async function allModels(): Promise<RegisteredModel[]> {
  const out: RegisteredModel[] = [];
  let pageToken = "";
  do {
    const page = await registry.listRegisteredModels({ pageSize: 1000, pageToken });
    out.push(...page.registeredModels);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return out;
}

function VersionLink(props: { model: string; version?: ModelVersion }) {
  if (!props.version) return <span class="muted">—</span>;
  return (
    <Link href={`/models/${encodeURIComponent(props.model)}/versions/${props.version.version}`}>
      v{props.version.version}
    </Link>
  );
}

export function ModelsPage() {
  const list = useLoad(allModels, []);
  return (
    <section>
      <h1>Registered models</h1>
      <ErrorBox error={list.error} />
      {list.loading && !list.data ? <Loading what="models" /> : null}
      {list.data?.length === 0 ? (
        <Empty>
          <p>
            <strong>No registered models yet.</strong> Train one; it is registered as a new version:
          </p>
          <p>
            <Cmd>mlops train --promote Production</Cmd>
          </p>
          <p class="muted">
            Or bring your own: <Cmd>mlops models import model.json</Cmd>
          </p>
        </Empty>
      ) : null}
      {list.data && list.data.length > 0 ? (
        <table class="grid" data-testid="models-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Latest</th>
              <th scope="col">Staging</th>
              <th scope="col">Production</th>
              <th scope="col">Aliases</th>
              <th scope="col">Tags</th>
              <th scope="col">Last modified</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((m) => {
              const byStage = (s: string) => m.latestVersions.find((v) => stageName(v.stage) === s);
              const newest = [...m.latestVersions].sort((a, b) => Number(b.version) - Number(a.version))[0];
              return (
                <tr key={m.name} data-testid="model-row" data-model={m.name}>
                  <td>
                    <Link href={`/models/${encodeURIComponent(m.name)}`}>{m.name}</Link>
                  </td>
                  <td>
                    <VersionLink model={m.name} version={newest} />
                  </td>
                  <td>
                    <VersionLink model={m.name} version={byStage("Staging")} />
                  </td>
                  <td>
                    <VersionLink model={m.name} version={byStage("Production")} />
                  </td>
                  <td>
                    {Object.entries(m.aliases).map(([a, v]) => (
                      <span key={a} class="chip">
                        @{a} → v{v}
                      </span>
                    ))}
                  </td>
                  <td>
                    {Object.entries(m.tags).map(([k, v]) => (
                      <span key={k} class="chip">
                        {k}={v}
                      </span>
                    ))}
                  </td>
                  <td>{dateTime(m.updatedAtMs)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
