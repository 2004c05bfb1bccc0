import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PROMETHEUS_DATASOURCE_UID } from "../../monitoring/dashboard/datasource.js";
import {
  buildMlopsApiDashboard,
  DEFAULT_DASHBOARD_TITLE,
  DEFAULT_DASHBOARD_UID,
} from "../../monitoring/dashboard/mlops-api.js";
import {
  listPanelQueries,
  listPanels,
  substituteGrafanaVariables,
} from "../../monitoring/dashboard/queries.js";
import { DASHBOARD_JSON_PATH, renderDashboardJson } from "../../monitoring/dashboard/render.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const read = (path: string) => readFileSync(join(root, path), "utf8");
const committed = read(DASHBOARD_JSON_PATH);
const model = JSON.parse(committed);
const contentPanels = listPanels(model).filter((p) => p.type !== "row");

interface ProvisionedDatasource {
  uid: string;
  type: string;
  url: string;
  jsonData?: { timeInterval?: string };
}

/** The one datasource Grafana is provisioned with. */
function provisionedDatasource(): ProvisionedDatasource {
  const all: ProvisionedDatasource[] = parse(
    read("monitoring/grafana/provisioning/datasources/prometheus.yml"),
  ).datasources;
  expect(all).toHaveLength(1);
  return all[0]!;
}

describe("generated dashboard JSON", () => {
  it("is exactly what the code generates (run monitoring/dashboard/generate.ts after editing)", () => {
    expect(renderDashboardJson(buildMlopsApiDashboard())).toBe(committed);
  });

  it("gives every panel at least one PromQL target, with unique refIds", () => {
    expect(contentPanels.length).toBeGreaterThanOrEqual(12);
    for (const p of contentPanels) {
      const exprs = (p.targets ?? []).map((t) => t.expr);
      expect(exprs.length, p.title).toBeGreaterThan(0);
      for (const e of exprs) expect(e?.trim(), p.title).toBeTruthy();
      const refIds = (p.targets ?? []).map((t) => t.refId);
      expect(new Set(refIds).size, p.title).toBe(refIds.length);
    }
  });

  it("points every panel and target at the provisioned Prometheus datasource", () => {
    const ds = provisionedDatasource();
    expect(ds.type).toBe("prometheus");
    expect(ds.uid).toBe(PROMETHEUS_DATASOURCE_UID);
    expect(ds.url).toBe("http://prometheus:9090");
    const refs = contentPanels.flatMap((p) => [
      (p as { datasource?: { uid: string; type: string } }).datasource,
      ...(p.targets ?? []).map((t) => (t as { datasource?: { uid: string; type: string } }).datasource),
    ]);
    expect(refs.length).toBeGreaterThan(contentPanels.length);
    for (const ref of refs) expect(ref).toEqual({ type: "prometheus", uid: ds.uid });
  });

  it("matches the datasource's timeInterval to Prometheus's scrape interval ($__rate_interval depends on it)", () => {
    const prom = parse(read("monitoring/prometheus.yml"));
    expect(provisionedDatasource().jsonData?.timeInterval).toBe(prom.global.scrape_interval);
  });

  it("is loaded by the provisioned dashboard provider from the folder compose mounts it in", () => {
    const provider = parse(read("monitoring/grafana/provisioning/dashboards/mlops.yml")).providers[0];
    const compose = parse(read("docker-compose.yml"));
    expect(compose.services.grafana.volumes).toContain(
      `./monitoring/grafana/dashboards:${provider.options.path}:ro`,
    );
  });

  it("has the panels the seed's users look for, and the mlops additions", () => {
    const titles = contentPanels.map((p) => p.title);
    for (const want of [
      /request rate by endpoint and transport/i,
      /latency p50 \/ p95 \/ p99/i,
      /error rate %/i,
      /inference time/i,
      /total predictions/i,
      /serving model/i,
      /batch size distribution/i,
      /queue depth/i,
      /model loaded/i,
    ]) {
      expect(
        titles.some((t) => want.test(t ?? "")),
        String(want),
      ).toBe(true);
    }
    const inference = contentPanels.find((p) => /inference time/i.test(p.title ?? ""));
    expect(inference?.targets?.map((t) => t.expr)).toEqual([
      expect.stringMatching(/prediction_duration_seconds_sum.*\/.*prediction_duration_seconds_count/),
      expect.stringMatching(/histogram_quantile\(0\.95, .*prediction_duration_seconds_bucket/),
    ]);
    const latency = contentPanels.find((p) => /p50/i.test(p.title ?? ""));
    expect(latency?.targets?.map((t) => t.expr?.match(/histogram_quantile\(([\d.]+)/)?.[1])).toEqual([
      "0.5",
      "0.95",
      "0.99",
    ]);
  });

  it("uses $__rate_interval for every range vector, so panels follow the datasource's scrape interval", () => {
    const windows = listPanelQueries(model, { rateInterval: "RATE" }).flatMap((q) =>
      [...q.expr.matchAll(/\[([^\]]+)\]/g)].map((m) => m[1]),
    );
    expect(windows.length).toBeGreaterThan(10);
    expect(new Set(windows)).toEqual(new Set(["RATE"]));
  });

  it("names every panel and alert in docs/monitoring.md", () => {
    const doc = read("docs/monitoring.md");
    for (const p of contentPanels) expect(doc, p.title).toContain(p.title);
    const alerts = parse(read("monitoring/alerts.yml")).groups.flatMap((g: { rules: { alert: string }[] }) =>
      g.rules.map((r) => r.alert),
    );
    expect(alerts.length).toBe(4);
    for (const a of alerts) expect(doc, a).toContain(a);
  });
});

describe("buildMlopsApiDashboard options", () => {
  it("defaults: uid mlops-api, the seed's title, datasource uid prometheus, 10s refresh, last 30 minutes", () => {
    const d = buildMlopsApiDashboard();
    expect(d.uid).toBe(DEFAULT_DASHBOARD_UID);
    expect(d.uid).toBe("mlops-api");
    expect(d.title).toBe(DEFAULT_DASHBOARD_TITLE);
    expect(d.title).toBe("MLOps API Dashboard");
    expect(d.refresh).toBe("10s");
    expect(d.time).toEqual({ from: "now-30m", to: "now" });
    expect(listPanels(d).find((p) => p.type === "stat")).toMatchObject({
      datasource: { uid: "prometheus" },
    });
  });

  it("applies every option", () => {
    const d = buildMlopsApiDashboard({
      uid: "u1",
      title: "T",
      datasourceUid: "other-prom",
      refresh: "1m",
      from: "now-6h",
    });
    expect(d).toMatchObject({ uid: "u1", title: "T", refresh: "1m", time: { from: "now-6h", to: "now" } });
    const uids = new Set(
      listPanels(d)
        .filter((p) => p.type !== "row")
        .flatMap((p) => [
          (p as { datasource?: { uid: string } }).datasource?.uid,
          ...(p.targets ?? []).map((t) => (t as { datasource?: { uid: string } }).datasource?.uid),
        ]),
    );
    expect(uids).toEqual(new Set(["other-prom"]));
  });

  it("numbers panels uniquely in page order", () => {
    const ids = listPanels(buildMlopsApiDashboard()).map((p) => p.id);
    expect(ids).toEqual(ids.map((_, i) => i + 1));
  });
});

describe("substituteGrafanaVariables", () => {
  it("replaces $__rate_interval, $__interval and $__range with documented defaults 1m, 15s, 1h", () => {
    expect(substituteGrafanaVariables("rate(x[$__rate_interval]) + rate(y[$__interval]) + z[$__range]")).toBe(
      "rate(x[1m]) + rate(y[15s]) + z[1h]",
    );
  });

  it("takes values from options, and the braced form too", () => {
    expect(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's braced variable syntax, not a template.
      substituteGrafanaVariables("rate(x[${__rate_interval}])[$__range:$__interval]", {
        rateInterval: "30s",
        interval: "2s",
        range: "5m",
      }),
    ).toBe("rate(x[30s])[5m:2s]");
  });

  it("rejects variables it cannot substitute, by code", () => {
    expect(() => substituteGrafanaVariables('up{job="$job"}')).toThrow(
      expect.objectContaining({ code: "ERR_UNKNOWN_GRAFANA_VARIABLE" }),
    );
  });

  it("leaves label values containing no variable untouched", () => {
    expect(substituteGrafanaVariables('x{a="b|c"}')).toBe('x{a="b|c"}');
  });
});

describe("listPanelQueries", () => {
  it("lists every target of every panel with variables substituted", () => {
    const queries = listPanelQueries(model, { rateInterval: "30s" });
    const targets = contentPanels.reduce((n, p) => n + (p.targets?.length ?? 0), 0);
    expect(queries).toHaveLength(targets);
    for (const q of queries) {
      expect(q.expr).not.toContain("$");
      expect(q.panelTitle).toBeTruthy();
      expect(q.refId).toMatch(/^[A-Z]$/);
    }
    expect(queries.some((q) => q.rawExpr.includes("$__rate_interval") && q.expr.includes("[30s]"))).toBe(
      true,
    );
  });

  it("finds targets of panels nested in collapsed rows", () => {
    const nested = {
      panels: [
        {
          id: 1,
          type: "row",
          title: "r",
          collapsed: true,
          panels: [{ id: 2, type: "stat", title: "s", targets: [{ refId: "A", expr: "up" }] }],
        },
      ],
    };
    expect(listPanelQueries(nested as never)).toEqual([
      { panelId: 2, panelTitle: "s", refId: "A", expr: "up", rawExpr: "up" },
    ]);
  });
});
