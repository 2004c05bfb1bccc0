// A model's history from the audit log: every stage and alias change, with who, when, from, to and
// the comment; and which version was in each stage at a chosen time.
import { useState } from "preact/hooks";
import { type AuditEvent, AuditEventType, type ModelVersion } from "../../src/gen/mlops/v1/registry_pb.js";
import { registry } from "./api.js";
import { dateTime, STAGE_NAMES, type StageName, stageName } from "./format.js";

export async function modelHistory(name: string, version?: string): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  let pageToken = "";
  do {
    const page = await registry.listAuditEvents({ name, version: version ?? "", pageSize: 1000, pageToken });
    out.push(...page.events);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return out.sort((a, b) => Number(b.id) - Number(a.id));
}

function describe(e: AuditEvent): { what: string; from: string; to: string } {
  switch (e.type) {
    case AuditEventType.STAGE_TRANSITION:
      return { what: `version ${e.version} stage`, from: stageName(e.fromStage), to: stageName(e.toStage) };
    case AuditEventType.ALIAS_SET:
      return {
        what: `alias @${e.alias}`,
        from: e.fromVersion ? `v${e.fromVersion}` : "—",
        to: e.toVersion ? `v${e.toVersion}` : `v${e.version}`,
      };
    case AuditEventType.ALIAS_DELETED:
      return {
        what: `alias @${e.alias} removed`,
        from: e.fromVersion ? `v${e.fromVersion}` : `v${e.version}`,
        to: "—",
      };
    case AuditEventType.MODEL_VERSION_DELETED:
      return { what: `version ${e.version} deleted`, from: stageName(e.fromStage) || "—", to: "—" };
    case AuditEventType.REGISTERED_MODEL_DELETED:
      return { what: "model deleted", from: "—", to: "—" };
    default:
      return { what: AuditEventType[e.type] ?? "event", from: "—", to: "—" };
  }
}

export function HistoryList(props: { events: AuditEvent[] }) {
  if (props.events.length === 0) {
    return (
      <p class="muted" data-testid="model-history">
        No stage or alias changes yet.
      </p>
    );
  }
  return (
    <table class="grid history" data-testid="model-history">
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Who</th>
          <th scope="col">What</th>
          <th scope="col">From</th>
          <th scope="col">To</th>
          <th scope="col">Comment</th>
        </tr>
      </thead>
      <tbody>
        {props.events.map((e) => {
          const d = describe(e);
          return (
            <tr key={e.id} data-testid="history-entry" data-version={e.version}>
              <td>{dateTime(e.createdAtMs)}</td>
              <td>{e.actor}</td>
              <td>{d.what}</td>
              <td>{d.from}</td>
              <td>{d.to}</td>
              <td class="comment">{e.comment}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** The stage of every version at `atMs`, replaying the stage changes up to then. */
export function stagesAt(
  events: AuditEvent[],
  versions: ModelVersion[],
  atMs: number,
): Record<StageName, string[]> {
  const stage = new Map<string, StageName>();
  for (const v of versions) if (Number(v.createdAtMs) <= atMs) stage.set(v.version, "None");
  const past = events
    .filter((e) => e.type === AuditEventType.STAGE_TRANSITION && Number(e.createdAtMs) <= atMs)
    .sort((a, b) => Number(a.id) - Number(b.id));
  for (const e of past) {
    const to = stageName(e.toStage);
    if (to) stage.set(e.version, to);
  }
  const out = { None: [], Staging: [], Production: [], Archived: [] } as Record<StageName, string[]>;
  for (const [v, s] of stage) out[s].push(v);
  for (const s of STAGE_NAMES) out[s].sort((a, b) => Number(a) - Number(b));
  return out;
}

function localInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 19);
}

export function StagesAt(props: { events: AuditEvent[]; versions: ModelVersion[] }) {
  // Empty means now: the default answers "what is where at this moment", to the second.
  const [at, setAt] = useState("");
  const ms = at === "" ? Date.now() : new Date(at).getTime();
  const stages = Number.isFinite(ms) ? stagesAt(props.events, props.versions, ms) : undefined;
  return (
    <div class="panel">
      <h3>Which version was where, when</h3>
      <label>
        At
        <input
          type="datetime-local"
          step={1}
          value={at === "" ? localInput(Date.now()) : at}
          onInput={(e) => setAt(e.currentTarget.value)}
          data-testid="stages-at"
        />
      </label>
      {stages ? (
        <ul class="inline-list" data-testid="stages-at-result">
          {(["Production", "Staging"] as const).map((s) => (
            <li key={s}>
              {s}: {stages[s].length ? stages[s].map((v) => `v${v}`).join(", ") : "none"}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
