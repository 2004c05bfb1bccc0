import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";

/** One PromQL target of one dashboard panel. */
export interface PanelQuery {
  panelId: number;
  panelTitle: string;
  refId: string;
  /** The expression with Grafana's variables replaced, ready for Prometheus's /api/v1/query. */
  expr: string;
  /** The expression as stored in the dashboard. */
  rawExpr: string;
}

export interface SubstituteOptions {
  /** Value for `$__rate_interval`. Default `1m` (four scrapes at 15 s, Grafana's own floor). */
  rateInterval?: string;
  /** Value for `$__interval`. Default `15s`. */
  interval?: string;
  /** Value for `$__range`. Default `1h`. */
  range?: string;
}

export class UnknownVariableError extends Error {
  readonly code = "ERR_UNKNOWN_GRAFANA_VARIABLE";
}

/**
 * Replaces the Grafana variables this dashboard may use (`$__rate_interval`, `$__interval`,
 * `$__range`, also written `${__name}`). Any other `$variable` throws, so that a dashboard
 * variable added later cannot reach Prometheus unsubstituted and fail to parse there.
 */
export function substituteGrafanaVariables(expr: string, options: SubstituteOptions = {}): string {
  const values: Record<string, string> = {
    __rate_interval: options.rateInterval ?? "1m",
    __interval: options.interval ?? "15s",
    __range: options.range ?? "1h",
  };
  return expr.replace(
    /\$\{(\w+)\}|\$(\w+)/g,
    (match, braced: string | undefined, bare: string | undefined) => {
      const name = (braced ?? bare) as string;
      const value = values[name];
      if (value === undefined)
        throw new UnknownVariableError(`unknown Grafana variable ${match} in: ${expr}`);
      return value;
    },
  );
}

interface PanelLike {
  id?: number;
  type?: string;
  title?: string;
  targets?: { refId?: string; expr?: string }[];
  panels?: PanelLike[];
}

/** Every panel in page order, including panels nested in collapsed rows. */
export function listPanels(model: Pick<Dashboard, "panels">): PanelLike[] {
  const out: PanelLike[] = [];
  for (const p of (model.panels ?? []) as PanelLike[]) {
    out.push(p);
    if (p.panels) out.push(...p.panels);
  }
  return out;
}

/** Every PromQL target of every panel, with Grafana variables substituted. */
export function listPanelQueries(
  model: Pick<Dashboard, "panels">,
  options: SubstituteOptions = {},
): PanelQuery[] {
  const out: PanelQuery[] = [];
  for (const p of listPanels(model)) {
    for (const t of p.targets ?? []) {
      if (typeof t.expr !== "string") continue;
      out.push({
        panelId: p.id ?? 0,
        panelTitle: p.title ?? "",
        refId: t.refId ?? "",
        expr: substituteGrafanaVariables(t.expr, options),
        rawExpr: t.expr,
      });
    }
  }
  return out;
}
