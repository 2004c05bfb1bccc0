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
  profiles?: string[];
  command?: string[];
  depends_on?: Record<string, { condition: string }>;
  read_only?: boolean;
  tmpfs?: string[];
  entrypoint?: string[];
  stop_grace_period?: string;
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
    // The first case checks that these are exactly the services without a profile.
    let services = {} as Record<"api" | "prometheus" | "grafana", Service>;
    let volumes: Record<string, unknown> = {};

    beforeAll(() => {
      const r = compose(env, "config");
      expect(r.status, r.output).toBe(0);
      const doc = parse(r.stdout);
      // docker-compose v1 lists every service in `config`; `up` starts those without a profile.
      services = Object.fromEntries(
        Object.entries(doc.services as Record<string, Service>).filter(([, s]) => !s.profiles),
      ) as typeof services;
      volumes = doc.volumes;
    });

    it("runs api, prometheus and grafana by default, each with a healthcheck", () => {
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

  describe("profile scale-out", () => {
    let all = {} as Record<string, Service>;
    const replicas = ["api-1", "api-2"] as const;

    beforeAll(() => {
      const r = compose(env, "--profile", "scale-out", "config");
      expect(r.status, r.output).toBe(0);
      all = parse(r.stdout).services;
    });

    it("is accepted by `docker-compose --profile scale-out config -q`", () => {
      const r = compose(env, "--profile", "scale-out", "config", "-q");
      expect(r.status, r.output).toBe(0);
    });

    it("adds PostgreSQL, an S3-compatible server, a migration and two API replicas, only under the profile", () => {
      const profiled = Object.entries(all)
        .filter(([, s]) => s.profiles?.includes("scale-out"))
        .map(([name]) => name)
        .sort();
      expect(profiled).toEqual(["api-1", "api-2", "migrate", "minio", "minio-init", "postgres"]);
      expect(all.postgres?.image).toMatch(/^postgres:15/);
      expect(all.minio?.image).toMatch(/^minio\/minio:/);
      for (const name of ["postgres", "minio", ...replicas]) {
        expect(all[name]?.healthcheck?.test?.length, name).toBeGreaterThan(1);
      }
    });

    it("shares one PostgreSQL and one bucket between the replicas, from the same image", () => {
      const pg = all.postgres?.environment ?? {};
      const minio = all.minio?.environment ?? {};
      const bucket = /mc mb --ignore-existing local\/([a-z0-9.-]+)/.exec(
        all["minio-init"]?.entrypoint?.join(" ") ?? "",
      )?.[1];
      expect(bucket).toBeTruthy();
      for (const name of [...replicas, "migrate"]) {
        const s = all[name] as Service;
        expect(s.image, name).toBe("mlops:local");
        expect(s.environment, name).toEqual(all["api-1"]?.environment);
        expect(s.environment.MLOPS_DATABASE_URL).toBe(
          `postgres://${pg.POSTGRES_USER}:${pg.POSTGRES_PASSWORD}@postgres:5432/${pg.POSTGRES_DB}`,
        );
        expect(s.environment.MLOPS_ARTIFACT_URL).toMatch(new RegExp(`^s3://${bucket}/`));
        expect(s.environment.AWS_ENDPOINT_URL).toBe("http://minio:9000");
        expect(s.environment.AWS_ACCESS_KEY_ID).toBe(minio.MINIO_ROOT_USER);
        expect(s.environment.AWS_SECRET_ACCESS_KEY).toBe(minio.MINIO_ROOT_PASSWORD);
        expect(s.environment.MLOPS_WORKERS).toBe("1");
        // Stateless: a read-only root and a scratch data directory in memory.
        expect(s.read_only, name).toBe(true);
        expect(s.tmpfs, name).toEqual(expect.arrayContaining([s.environment.MLOPS_DATA_DIR, "/tmp"]));
      }
    });

    it("publishes each replica on ports of its own", () => {
      const published = replicas.flatMap((name) =>
        (all[name]?.ports ?? []).map((p) => (typeof p === "string" ? p.split(":")[0] : String(p.published))),
      );
      expect(new Set([...published, "8000", "50051"]).size).toBe(published.length + 2);
      for (const name of replicas) {
        expect(all[name]?.healthcheck?.test.join(" ")).toContain("/health");
        expect(all[name]?.stop_grace_period, name).toBe("35s");
      }
    });

    it("migrates first, and bootstraps a model on one replica only, so the two cannot race", () => {
      expect(all.migrate?.command).toEqual(["migrate"]);
      expect(all.migrate?.depends_on?.postgres?.condition).toBe("service_healthy");
      expect(all["api-1"]?.command).toEqual(["serve"]);
      expect(all["api-1"]?.depends_on).toMatchObject({
        migrate: { condition: "service_completed_successfully" },
        "minio-init": { condition: "service_completed_successfully" },
      });
      expect(all["api-2"]?.command).toEqual(["serve", "--no-bootstrap"]);
      expect(all["api-2"]?.depends_on?.["api-1"]?.condition).toBe("service_healthy");
    });

    it("takes the database and object-store passwords from the environment when given", () => {
      const r = compose(
        { ...env, POSTGRES_PASSWORD: "pg-from-env", MINIO_ROOT_PASSWORD: "minio-from-env" },
        "--profile",
        "scale-out",
        "config",
      );
      const s = parse(r.stdout).services as Record<string, Service>;
      expect(s.postgres?.environment.POSTGRES_PASSWORD).toBe("pg-from-env");
      expect(s["api-2"]?.environment.MLOPS_DATABASE_URL).toContain(":pg-from-env@postgres:");
      expect(s["api-2"]?.environment.AWS_SECRET_ACCESS_KEY).toBe("minio-from-env");
      expect(readFileSync(composeFile, "utf8")).not.toContain("from-env");
    });
  });
});
