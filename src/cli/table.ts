// A tiny aligned-text table for terminal output: one header row, columns padded with spaces.

export type Align = "left" | "right";

export interface TableOptions {
  /** Alignment per column, by index. Default: left for every column. */
  align?: Align[];
  /** Spaces between columns. Default 2. */
  gap?: number;
  /** Printed instead of the table when there are no rows. Default `"(none)"`. */
  empty?: string;
}

/** Visible width: counts code points, so `é` or `→` take one column (no wide-glyph handling). */
const width = (s: string): number => [...s].length;

/**
 * Lays out `rows` under `headers`. Cells are stringified as given (format numbers before); each
 * line ends without trailing spaces and the result ends with a newline.
 */
export function formatTable(headers: string[], rows: string[][], options: TableOptions = {}): string {
  if (rows.length === 0) return `${options.empty ?? "(none)"}\n`;
  const gap = " ".repeat(options.gap ?? 2);
  const align = options.align ?? [];
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ""))));
  const line = (cells: string[]) =>
    widths
      .map((w, i) => {
        const cell = cells[i] ?? "";
        const pad = " ".repeat(w - width(cell));
        return align[i] === "right" ? pad + cell : cell + pad;
      })
      .join(gap)
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join("\n")}\n`;
}

/** `key: value` lines with the values aligned, for a single record. */
export function formatFields(fields: [string, string][]): string {
  const w = Math.max(0, ...fields.map(([k]) => width(k)));
  return `${fields.map(([k, v]) => `${k}:${" ".repeat(w - width(k) + 1)}${v}`.trimEnd()).join("\n")}\n`;
}
