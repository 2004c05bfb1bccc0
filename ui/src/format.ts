// Formatting of API values for display, and the CSV writer of the runs table.
import { Stage } from "../../src/gen/mlops/v1/model_pb.js";
import { RunStatus } from "../../src/gen/mlops/v1/tracking_pb.js";

export const STAGE_NAMES = ["None", "Staging", "Production", "Archived"] as const;
export type StageName = (typeof STAGE_NAMES)[number];

const STAGE_BY_ENUM: Record<number, StageName> = {
  [Stage.NONE]: "None",
  [Stage.STAGING]: "Staging",
  [Stage.PRODUCTION]: "Production",
  [Stage.ARCHIVED]: "Archived",
};
export const stageName = (s: Stage): StageName | "" => STAGE_BY_ENUM[s] ?? "";
export const stageEnum = (name: StageName): Stage =>
  ({ None: Stage.NONE, Staging: Stage.STAGING, Production: Stage.PRODUCTION, Archived: Stage.ARCHIVED })[
    name
  ];

export const statusName = (s: RunStatus): string => (RunStatus[s] ?? "UNSPECIFIED").toString();

/** Epoch ms (bigint or number) as local date and time; "—" for 0. */
export function dateTime(ms: bigint | number | undefined): string {
  const n = Number(ms ?? 0);
  if (!n) return "—";
  const d = new Date(n);
  const pad = (x: number) => String(x).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function duration(startMs: bigint | number, endMs: bigint | number): string {
  const s = Number(startMs);
  const e = Number(endMs);
  if (!s || !e) return "—";
  const ms = Math.max(0, e - s);
  if (ms < 1000) return `${ms} ms`;
  const sec = ms / 1000;
  if (sec < 60) return `${sec.toFixed(1)} s`;
  const min = Math.floor(sec / 60);
  if (min < 60) return `${min} min ${Math.round(sec % 60)} s`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}

/** A metric value, with enough digits to tell 0.9991 from 0.9992. */
export function metric(v: number | undefined): string {
  if (v === undefined) return "";
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (Number.isInteger(v)) return String(v);
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e6)) return v.toExponential(4);
  return String(Number(v.toPrecision(6)));
}

export function bytes(n: bigint | number): string {
  const v = Number(n);
  if (v < 1024) return `${v} B`;
  if (v < 1024 ** 2) return `${(v / 1024).toFixed(1)} KiB`;
  return `${(v / 1024 ** 2).toFixed(1)} MiB`;
}

/** RFC 4180 CSV: every field quoted when it needs to be; a leading =+-@ is neutralised for spreadsheets. */
export function toCsv(rows: readonly (readonly string[])[]): string {
  const field = (v: string) => {
    const safe = /^[=+\-@\t\r]/.test(v) && !/^-?\d/.test(v) ? `'${v}` : v;
    return /[",\r\n]/.test(safe) || safe !== v ? `"${safe.replaceAll('"', '""')}"` : safe;
  };
  return `${rows.map((r) => r.map(field).join(",")).join("\r\n")}\r\n`;
}
