import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { requireTool } from "./tools.js";

// `docker-compose config` validates and interpolates the file without a Docker engine (none runs
// on these machines); what it cannot check (image tags, healthchecks passing) is listed in
// docs/monitoring.md.

const root = fileURLToPath(new URL("../../", import.meta.url));
const composeFile = join(root, "docker-compose.yml");
let dockerCompose = "";
let emptyEnvFile = "";

/** Runs docker-compose with only the given variables (no .env file, nothing from this shell). */
function compose(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(dockerCompose, ["--env-file", emptyEnvFile, "-f", composeFile, ...args], {
    encoding: "utf8",
    timeout: 30_000,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
  });
  return { status: r.status, stdout: r.stdout, output: `${r.stdout}${r.stderr}` };
}

interface Service {
  environment: Record<string, string>;
  healthcheck?: { test: string[] };
  ports: (string | { target: number; published: number | string; host_ip?: string })[];
  volumes: (string | { type: string; source: string; target: string; read_only?: boolean })[];
  image?: string;
  build?: unknown;
}

beforeAll(() => {
  dockerCompose = requireTool("docker-compose", "docker-compose");
  const dir = mkdtempSync(join(tmpdir(), "mlops-compose-"));
  emptyEnvFile = join(dir, "empty.env");
  writeFileSync(emptyEnvFile, "");
});

afterAll(() => {
  if (emptyEnvFile) rmSync(join(emptyEnvFile, ".."), { recursive: true, force: true });
});

describe("docker-compose.yml", () => {
  const env = { GRAFANA_ADMIN_PASSWORD: "pw-from-env", MLOPS_API_TOKEN: "token-from-env" };

  it("is accepted by `docker-compose config -q` when the required variables are set", () => {
    const r = compose(env, "config", "-q");
    expect(r.status, r.output).toBe(0);
  });

  it("refuses to start without a Grafana admin password", () => {
    const r = compose({ MLOPS_API_TOKEN: "t" }, "config", "-q");
    expect(r.status).not.toBe(0);
    expect(r.output).toContain("GRAFANA_ADMIN_PASSWORD");
  });

  describe("resolved configuration", () => {
    // The first case checks that these are exactly the services.
    let services = {} as Record<"api" | "prometheus" | "grafana", Service>;
    let volumes: Record<string, unknown> = {};

    beforeAll(() => {
      const r = compose(env, "config");
      expect(r.status, r.output).toBe(0);
      const doc = parse(r.stdout);
      services = doc.services;
      volumes = doc.volumes;
    });

    it("runs api, prometheus and grafana, each with a healthcheck", () => {
      expect(Object.keys(services).sort()).toEqual(["api", "grafana", "prometheus"]);
      for (const [name, s] of Object.entries(services)) {
        expect(s.healthcheck?.test?.length, name).toBeGreaterThan(1);
      }
      expect(services.api.healthcheck?.test.join(" ")).toContain("/health");
      expect(services.prometheus.healthcheck?.test.join(" ")).toContain("/-/healthy");
      expect(services.grafana.healthcheck?.test.join(" ")).toContain("/api/health");
    });

    it("builds the api from the Dockerfile and publishes its HTTP and gRPC ports", () => {
      expect(services.api.build).toBeTruthy();
      const targets = services.api.ports.map((p) =>
        typeof p === "string" ? Number(p.split(":").at(-1)) : p.target,
      );
      expect(targets.sort((a, b) => a - b)).toEqual([8000, 50051]);
    });

    it("keeps the data directory on a named volume", () => {
      expect(services.api.environment.MLOPS_DATA_DIR).toBe("/data");
      expect(services.api.volumes).toContainEqual(expect.stringMatching(/^mlops-data:\/data/));
      expect(Object.keys(volumes)).toContain("mlops-data");
    });

    it("takes the API token and Grafana credentials from the environment", () => {
      expect(services.api.environment.MLOPS_API_TOKEN).toBe("token-from-env");
      expect(services.grafana.environment.GF_SECURITY_ADMIN_PASSWORD).toBe("pw-from-env");
      const raw = readFileSync(composeFile, "utf8");
      expect(raw).toMatch(/MLOPS_API_TOKEN: \$\{MLOPS_API_TOKEN:-\}/);
      expect(raw).not.toContain("token-from-env");
    });

    it("leaves the API token empty (unset) when the environment has none", () => {
      const r = compose({ GRAFANA_ADMIN_PASSWORD: "x" }, "config");
      expect(parse(r.stdout).services.api.environment.MLOPS_API_TOKEN).toBe("");
    });

    it("mounts Prometheus's config and rules, and Grafana's provisioning and dashboards, read-only", () => {
      const ro = (s: Service) => s.volumes.filter((v) => typeof v === "string" && v.endsWith(":ro"));
      expect(ro(services.prometheus)).toEqual([
        `${root}monitoring/prometheus.yml:/etc/prometheus/prometheus.yml:ro`,
        `${root}monitoring/alerts.yml:/etc/prometheus/alerts.yml:ro`,
      ]);
      expect(ro(services.grafana)).toEqual([
        `${root}monitoring/grafana/provisioning:/etc/grafana/provisioning:ro`,
        `${root}monitoring/grafana/dashboards:/etc/grafana/dashboards:ro`,
      ]);
    });

    it("scrapes the api service on the port it listens on", () => {
      const prom = parse(readFileSync(join(root, "monitoring/prometheus.yml"), "utf8"));
      const job = prom.scrape_configs.find((j: { job_name: string }) => j.job_name === "mlops-api");
      expect(job.static_configs[0].targets).toEqual([`api:${services.api.environment.MLOPS_HTTP_PORT}`]);
    });
  });
});
