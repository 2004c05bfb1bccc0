import { Counter, Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { counterBinder, histogramBinder } from "../../src/observability/bound-series.js";
import { createMetrics } from "../../src/observability/metrics.js";

const BUCKETS = [0.001, 0.01, 0.1, 1];
const VALUES = [0.0005, 0.001, 0.002, 0.05, 0.5, 3, 0.01];

/** A metric's text with its name replaced, so a bound and a direct metric compare line by line. */
async function text(registry: Registry, name: string): Promise<string> {
  const all = await registry.metrics();
  return all
    .split("\n")
    .filter((l) => l.startsWith(name))
    .map((l) => l.replace(name, "m"))
    .join("\n");
}

describe("bound metric series", () => {
  it("a bound histogram scrapes exactly like prom-client's own observe, before and after a reset", async () => {
    const registry = new Registry();
    const binder = histogramBinder<"route">(BUCKETS);
    const bound = new Histogram({
      name: "bound_h",
      help: "h",
      labelNames: ["route"],
      buckets: BUCKETS,
      registers: [registry],
      collect: binder.collect,
    });
    const direct = new Histogram({
      name: "direct_h",
      help: "h",
      labelNames: ["route"],
      buckets: BUCKETS,
      registers: [registry],
    });
    const series = binder.bind(bound, { route: "/predict" });
    for (const v of VALUES) {
      series.observe(v);
      direct.observe({ route: "/predict" }, v);
    }
    expect(await text(registry, "bound_h")).toBe(await text(registry, "direct_h"));
    // Counts are handed over once: a second scrape adds nothing.
    expect(await text(registry, "bound_h")).toBe(await text(registry, "direct_h"));
    bound.reset();
    direct.reset();
    series.observe(0.2);
    direct.observe({ route: "/predict" }, 0.2);
    expect(await text(registry, "bound_h")).toBe(await text(registry, "direct_h"));
    expect(await text(registry, "bound_h")).toContain('m_count{route="/predict"} 1');
  });

  it("a bound counter adds up like inc(labels, n)", async () => {
    const registry = new Registry();
    const binder = counterBinder<"status">();
    const bound = new Counter({
      name: "bound_c",
      help: "c",
      labelNames: ["status"],
      registers: [registry],
      collect: binder.collect,
    });
    const direct = new Counter({
      name: "direct_c",
      help: "c",
      labelNames: ["status"],
      registers: [registry],
    });
    const ok = binder.bind(bound, { status: "200" });
    ok.inc();
    ok.inc(4);
    direct.inc({ status: "200" });
    direct.inc({ status: "200" }, 4);
    expect(await text(registry, "bound_c")).toBe(await text(registry, "direct_c"));
    expect(await text(registry, "bound_c")).toContain('m{status="200"} 5');
  });

  it("the app's metrics read the batcher's queue depth at scrape time", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    let depth = 3;
    metrics.watchQueueDepth(() => depth);
    expect(await metrics.registry.metrics()).toMatch(/^mlops_batch_queue_depth 3$/m);
    depth = 0;
    expect(await metrics.registry.metrics()).toMatch(/^mlops_batch_queue_depth 0$/m);
  });
});
