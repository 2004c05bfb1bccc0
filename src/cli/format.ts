// Cell formatting shared by the human-readable outputs, and the JSON printer.
import { Stage } from "../gen/mlops/v1/model_pb.js";
import { RunStatus } from "../gen/mlops/v1/tracking_pb.js";

/** Epoch ms (number or proto int64) as `2025-01-31 12:00:00Z`; `-` for 0/unset. */
export function formatTime(ms: number | bigint | undefined): string {
  const n = Number(ms ?? 0);
  if (!Number.isFinite(n) || n <= 0) return "-";
  return `${new Date(n).toISOString().slice(0, 19).replace("T", " ")}Z`;
}

/** `850ms`, `12.3s`, `4m05s`, `2h03m`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "-";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/** Metrics to 4 decimals (what a table needs to compare runs); large or tiny ones in 6 significant digits. */
export function formatMetric(value: number | undefined): string {
  if (value === undefined) return "-";
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "Infinity" : "-Infinity";
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e6 || abs < 1e-3)) return value.toPrecision(6);
  return value.toFixed(4);
}

const STAGE_LABELS: Record<number, string> = {
  [Stage.NONE]: "None",
  [Stage.STAGING]: "Staging",
  [Stage.PRODUCTION]: "Production",
  [Stage.ARCHIVED]: "Archived",
};

/** The seed's (MLflow's) stage names: `Production`, not `STAGE_PRODUCTION`. */
export function stageLabel(stage: Stage): string {
  return STAGE_LABELS[stage] ?? "-";
}

const STATUS_LABELS: Record<number, string> = {
  [RunStatus.RUNNING]: "RUNNING",
  [RunStatus.FINISHED]: "FINISHED",
  [RunStatus.FAILED]: "FAILED",
  [RunStatus.KILLED]: "KILLED",
};

export function runStatusLabel(status: RunStatus): string {
  return STATUS_LABELS[status] ?? "-";
}

/** The first 12 hex digits: enough to tell artifacts apart on screen. */
export const shortSha = (sha: string): string => (sha === "" ? "-" : sha.slice(0, 12));

/** `a=1, b=2` for maps in a single cell; `-` when empty. */
export function formatMap(map: Record<string, string | number>): string {
  const entries = Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length === 0 ? "-" : entries.map(([k, v]) => `${k}=${v}`).join(", ");
}

/** Pretty JSON with a trailing newline. */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function write(text: string): void {
  process.stdout.write(text);
}
