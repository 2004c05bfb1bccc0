// deploy/kubernetes, offline: `kubectl kustomize` renders the base and every overlay, every object
// validates against the Kubernetes schemas (kubernetes-models, ajv), and the settings the manifests
// promise hold: drain timing, probes, non-root with a read-only root filesystem, labels that select
// the API pods only, and an autoscaler that owns the replica count. No cluster is needed.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { buildProgram } from "../../src/cli/main.js";
import { requireTool } from "../monitoring/tools.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const KUBE = join(ROOT, "deploy", "kubernetes");
const OVERLAYS = readdirSync(join(KUBE, "overlays"));

// Loose shapes of what the assertions read; the schemas check the rest.
// biome-ignore lint/suspicious/noExplicitAny: rendered YAML, checked by the Kubernetes schemas
type Obj = Record<string, any>;

let kubectl = "";
beforeAll(() => {
  kubectl = requireTool("kubectl", "kubernetes-client");
});

function render(dir: string): Obj[] {
  const r = spawnSync(kubectl, ["kustomize", dir], { encoding: "utf8", timeout: 60_000 });
  expect(r.status, `kubectl kustomize ${dir}: ${r.stderr}`).toBe(0);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as Obj)
    .filter((o) => o !== null);
}

/** Validates one object against the schema of its apiVersion and kind; throws on a mismatch. */
async function validate(obj: Obj): Promise<void> {
  const module = (await import(`kubernetes-models/${obj.apiVersion}`)) as Record<
    string,
    new (
      data: Obj,
    ) => { validate(): void }
  >;
  const Model = module[obj.kind];
  if (!Model) throw new Error(`no schema for ${obj.apiVersion} ${obj.kind}`);
  new Model(obj).validate();
}

const one = (objs: Obj[], kind: string, name?: string): Obj => {
  const found = objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  expect(found, `${kind} ${name ?? ""}`).toHaveLength(1);
  return found[0] as Obj;
};

const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

const HELM_LABELS = [
  "app.kubernetes.io/name",
  "app.kubernetes.io/instance",
  "app.kubernetes.io/version",
  "app.kubernetes.io/part-of",
  "app.kubernetes.io/managed-by",
];

describe.each(["base", ...OVERLAYS.map((o) => `overlays/${o}`)])("deploy/kubernetes/%s", (dir) => {
  let objs: Obj[] = [];
  let config: Record<string, string> = {};
  let deploy: Obj = {};
  let pod: Obj = {};
  let api: Obj = {};
  beforeAll(() => {
    objs = render(join(KUBE, dir));
    config = one(objs, "ConfigMap", "mlops").data;
    deploy = one(objs, "Deployment", "mlops");
    pod = deploy.spec.template.spec;
    api = pod.containers.find((c: Obj) => c.name === "mlops");
  });

  it("renders the whole application, each object valid against its Kubernetes schema", async () => {
    const kinds = objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    const expected = [
      "ConfigMap/mlops",
      "Deployment/mlops",
      "HorizontalPodAutoscaler/mlops",
      "Job/mlops-migrate",
      "PodDisruptionBudget/mlops",
      "Secret/mlops",
      "Service/mlops",
      "Service/mlops-headless",
      "ServiceAccount/mlops",
    ];
    // Only dev ships a (placeholder) Secret: elsewhere it is created out of band, so an apply never
    // overwrites it.
    expect(kinds).toEqual(dir === "overlays/dev" ? expected : expected.filter((k) => k !== "Secret/mlops"));
    for (const obj of objs) await validate(obj);
  });

  it("labels every object the helm-create way and selects only the API pods", () => {
    for (const obj of objs) {
      for (const label of HELM_LABELS)
        expect(obj.metadata.labels?.[label], `${obj.kind} ${label}`).toBeTruthy();
    }
    const selector = deploy.spec.selector.matchLabels;
    const podLabels = deploy.spec.template.metadata.labels;
    expect(matches(selector, podLabels)).toBe(true);
    const jobPod = one(objs, "Job", "mlops-migrate").spec.template.metadata.labels;
    for (const s of objs.filter((o) => o.kind === "Service")) {
      expect(matches(s.spec.selector, podLabels), s.metadata.name).toBe(true);
      expect(matches(s.spec.selector, jobPod), s.metadata.name).toBe(false);
    }
    const pdb = one(objs, "PodDisruptionBudget");
    expect(pdb.spec.selector.matchLabels).toEqual(selector);
  });

  it("lets the autoscaler own the replica count, with a disruption budget below its minimum", () => {
    const hpa = one(objs, "HorizontalPodAutoscaler");
    expect(deploy.spec.replicas).toBeUndefined();
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: "mlops" });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
    expect(hpa.spec.metrics).toContainEqual({
      type: "Resource",
      resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 80 } },
    });
    // Utilization is relative to the requests, so they must be there.
    expect(api.resources.requests.cpu).toBeTruthy();
    const pdb = one(objs, "PodDisruptionBudget");
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(deploy.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
  });

  it("serves HTTP and gRPC on the configured ports, behind the Services", () => {
    const ports = Object.fromEntries(api.ports.map((p: Obj) => [p.name, p.containerPort]));
    expect(ports).toEqual({ http: Number(config.MLOPS_HTTP_PORT), grpc: Number(config.MLOPS_GRPC_PORT) });
    expect(ports).toEqual({ http: 8000, grpc: 50051 });
    const svc = one(objs, "Service", "mlops");
    expect(svc.spec.type).toBe("ClusterIP");
    expect(svc.spec.ports.map((p: Obj) => [p.name, p.port, p.targetPort])).toEqual([
      ["http", 8000, "http"],
      ["grpc", 50051, "grpc"],
    ]);
    expect(one(objs, "Service", "mlops-headless").spec.clusterIP).toBe("None");
  });

  it("probes liveness without the database, readiness on /health, and starts slowly if it must", () => {
    expect(api.livenessProbe.httpGet).toEqual({ path: "/v2/health/live", port: "http" });
    expect(api.startupProbe.httpGet).toEqual({ path: "/v2/health/live", port: "http" });
    expect(api.readinessProbe.httpGet).toEqual({ path: "/health", port: "http" });
    expect(api.readinessProbe).toMatchObject({ periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 });
    expect(api.livenessProbe).toMatchObject({ periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 });
  });

  it("drains within the termination grace period: preStop pause, then the server's own drain", () => {
    const grace = Number(config.MLOPS_DRAIN_GRACE_S);
    const shutdown = Number(config.MLOPS_SHUTDOWN_TIMEOUT_S);
    expect(grace).toBeGreaterThan(0);
    expect(shutdown).toBeGreaterThan(grace);
    // The pause sleeps the drain variable itself, read from the same ConfigMap.
    const command = api.lifecycle.preStop.exec.command as string[];
    expect(command.slice(0, 2)).toEqual(["/bin/sh", "-c"]);
    expect(command[2]).toMatch(/^sleep "\$\{MLOPS_DRAIN_GRACE_S:-\d+\}"$/);
    // At least one readiness period, so a probe sees the drain before the listeners close.
    expect(grace).toBeGreaterThanOrEqual(api.readinessProbe.periodSeconds);
    // The kubelet's SIGKILL comes after the pause plus the whole server drain.
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(grace + shutdown);
  });

  it("runs as a non-root user on a read-only root filesystem, writing only to emptyDirs", () => {
    for (const spec of [pod, one(objs, "Job", "mlops-migrate").spec.template.spec]) {
      expect(spec.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: "RuntimeDefault" },
      });
      expect(spec.securityContext.runAsUser).toBeGreaterThan(0);
      expect(spec.automountServiceAccountToken).toBe(false);
      for (const c of spec.containers) {
        expect(c.securityContext).toEqual({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ["ALL"] },
        });
        const volumes = Object.fromEntries(spec.volumes.map((v: Obj) => [v.name, v]));
        const mounts = Object.fromEntries(c.volumeMounts.map((m: Obj) => [m.mountPath, m.name]));
        expect(Object.keys(mounts).sort()).toEqual(["/data", "/tmp"]);
        for (const name of Object.values(mounts)) expect(volumes[name as string].emptyDir).toBeDefined();
        expect(mounts[config.MLOPS_DATA_DIR ?? ""]).toBeDefined();
      }
    }
  });

  it("configures one process per pod on PostgreSQL and S3, secrets from the Secret", () => {
    expect(config.MLOPS_WORKERS).toBe("1");
    expect(Number(config.MLOPS_SCORING_THREADS)).toBeLessThanOrEqual(
      Number.parseFloat(api.resources.limits.cpu),
    );
    expect(config.MLOPS_ARTIFACT_URL).toMatch(/^s3:\/\/[a-z0-9.-]+\//);
    // Every replica has its own pool: at full scale they fit in PostgreSQL's default max_connections.
    const hpa = one(objs, "HorizontalPodAutoscaler");
    expect(hpa.spec.maxReplicas * Number(config.MLOPS_DATABASE_POOL_SIZE)).toBeLessThanOrEqual(100);
    // Secrets never sit in the ConfigMap.
    for (const key of ["MLOPS_API_TOKEN", "MLOPS_DATABASE_URL", "AWS_SECRET_ACCESS_KEY"]) {
      expect(config[key], key).toBeUndefined();
    }
    for (const spec of [pod, one(objs, "Job", "mlops-migrate").spec.template.spec]) {
      expect(spec.containers[0].envFrom).toEqual([
        { configMapRef: { name: "mlops" } },
        { secretRef: { name: "mlops" } },
      ]);
    }
    if (dir === "overlays/dev") {
      expect(Object.keys(one(objs, "Secret").stringData).sort()).toEqual([
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "MLOPS_API_TOKEN",
        "MLOPS_DATABASE_URL",
      ]);
    }
  });

  it("runs commands the CLI has: serve without bootstrap, and the migration Job", () => {
    expect(api.args).toEqual(["serve", "--no-bootstrap"]);
    const serve = buildProgram().commands.find((c) => c.name() === "serve");
    expect(serve?.options.map((o) => o.long)).toContain("--no-bootstrap");
    const job = one(objs, "Job", "mlops-migrate").spec;
    expect(job.template.spec.containers[0].args).toEqual(["migrate"]);
    expect(job.template.spec.restartPolicy).toBe("OnFailure");
    expect(job.template.spec.containers[0].image).toBe(api.image);
  });
});

describe("deploy/kubernetes/overlays/production", () => {
  it("pins a registry image, its own namespace, and more capacity than the base", () => {
    const base = render(join(KUBE, "base"));
    const prod = render(join(KUBE, "overlays", "production"));
    for (const obj of prod) expect(obj.metadata.namespace, obj.kind).toBe("mlops");
    const image = (objs: Obj[]) => one(objs, "Deployment").spec.template.spec.containers[0].image;
    expect(image(prod)).toMatch(/^[a-z0-9.-]+\.[a-z]+\/mlops:\d+\.\d+\.\d+$/);
    expect(one(prod, "HorizontalPodAutoscaler").spec.minReplicas).toBeGreaterThan(
      one(base, "HorizontalPodAutoscaler").spec.minReplicas,
    );
    expect(one(prod, "Deployment").spec.template.spec.topologySpreadConstraints).toHaveLength(2);
  });
});

describe("deploy/kubernetes/examples", () => {
  it("validates, and uses the same configuration as the Deployment", async () => {
    const dir = join(KUBE, "examples");
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".yaml"))) {
      for (const doc of parseAllDocuments(readFileSync(join(dir, file), "utf8"))) {
        const obj = doc.toJS() as Obj;
        await validate(obj);
        expect(obj.spec.template.spec.containers[0].envFrom, file).toEqual([
          { configMapRef: { name: "mlops" } },
          { secretRef: { name: "mlops" } },
        ]);
      }
    }
  });
});
