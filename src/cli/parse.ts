// Flag and argument parsers. A bad value is a usage error: commander prints it and we exit 2.
import { InvalidArgumentError } from "commander";
import { StageSchema } from "../gen/mlops/v1/model_pb.js";
import { RunStatus } from "../gen/mlops/v1/tracking_pb.js";
import { enumChoices, enumValueOf } from "../services/mapping/enum-spelling.js";
import { stageToStore } from "../services/mapping/enums.js";
import type { Stage } from "../store/index.js";

export { InvalidArgumentError };

export function integer(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isSafeInteger(n) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
      throw new InvalidArgumentError(`expected an integer ${range}`);
    }
    return n;
  };
}

/** A finite number; `open` excludes both bounds, `"min"` the lower one only (`(0, 1]`). */
export function number(
  min = -Infinity,
  max = Infinity,
  open: boolean | "min" = false,
): (value: string) => number {
  return (value) => {
    const n = Number(value);
    const inside = (open ? n > min : n >= min) && (open === true ? n < max : n <= max);
    if (value.trim() === "" || !Number.isFinite(n) || !inside) {
      const range = `${open ? "(" : "["}${min}, ${max}${open === true ? ")" : "]"}`;
      throw new InvalidArgumentError(`expected a number in ${range}`);
    }
    return n;
  };
}

/** A model version: `3` or `v3`. */
export function version(value: string): number {
  const n = Number(value.replace(/^[vV]/, ""));
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError("expected a version number >= 1");
  return n;
}

/**
 * A stage as every face of the API takes it (`production`, `Production`, `STAGE_PRODUCTION`;
 * src/services/mapping/enum-spelling.ts), returned as the store spells it (`Production`).
 */
export function stage(value: string): Stage {
  const v = enumValueOf(StageSchema, value);
  if (v === undefined || v.number === 0)
    throw new InvalidArgumentError(`expected ${enumChoices(StageSchema)}`);
  return stageToStore(v.number);
}

const RUN_STATUSES: Record<string, RunStatus> = {
  RUNNING: RunStatus.RUNNING,
  FINISHED: RunStatus.FINISHED,
  FAILED: RunStatus.FAILED,
  KILLED: RunStatus.KILLED,
};

/** A run status in any case; repeatable and comma-separated (`--status failed,killed`). */
export function runStatuses(value: string, previous: RunStatus[] = []): RunStatus[] {
  const out = [...previous];
  for (const part of value.split(",")) {
    const status = RUN_STATUSES[part.trim().toUpperCase()];
    if (status === undefined) {
      throw new InvalidArgumentError(`expected ${Object.keys(RUN_STATUSES).join(", ")} (any case)`);
    }
    if (!out.includes(status)) out.push(status);
  }
  return out;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration as `0`, `90s`, `30m`, `12h`, `7d` or `250ms` (a bare number is seconds), in ms. */
export function duration(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(value);
  const ms = m ? Math.round(Number(m[1]) * (DURATION_UNITS[m[2] ?? "s"] ?? 1000)) : Number.NaN;
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new InvalidArgumentError("expected a duration such as 0, 90s, 30m, 12h or 7d");
  }
  return ms;
}

/** A duration in ms, the way `duration` reads it back (`1h`, `90s`, `250ms`). */
export function formatDurationFlag(ms: number): string {
  for (const unit of ["d", "h", "m", "s"] as const) {
    const size = DURATION_UNITS[unit] ?? 1;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
