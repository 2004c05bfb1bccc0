// scripts/install-test-deps.sh must never stop a Prometheus it did not start. Run for real, with a
// tool missing from PATH so that it goes on to install, while a Prometheus of ours runs: apt-get,
// sudo and systemctl are stand-ins (no network, no root needed); pkill, id and grep are the real ones.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, expect, it } from "vitest";
import { freePort } from "../../bench/lib/net.js";
import { ROOT } from "../cli/helpers.js";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "mlops-install-deps-"));
let prometheus: ChildProcess | undefined;
afterAll(() => {
  prometheus?.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

it("leaves a running Prometheus it did not start alone", async () => {
  const bin = join(dir, "bin");
  mkdirSync(bin);
  // Every tool the script looks for is present but h2load, so it goes on to install nghttp2-client.
  for (const tool of [
    "bash",
    "env",
    "id",
    "grep",
    "sort",
    "find",
    "gcc",
    "pkill",
    "prometheus",
    "promtool",
    "docker-compose",
    "clang++",
  ]) {
    symlinkSync(`/usr/bin/${tool}`, join(bin, tool));
  }
  for (const stub of ["apt-get", "systemctl"]) {
    writeFileSync(join(bin, stub), "#!/bin/sh\nexit 0\n");
    chmodSync(join(bin, stub), 0o755);
  }
  writeFileSync(join(bin, "sudo"), '#!/bin/sh\nexec "$@"\n');
  chmodSync(join(bin, "sudo"), 0o755);

  const config = join(dir, "prometheus.yml");
  writeFileSync(config, "global: {}\n");
  const port = await freePort();
  prometheus = spawn(
    "/usr/bin/prometheus",
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, "tsdb")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: "ignore" },
  );
  const exited = new Promise((resolve) => prometheus?.once("exit", resolve));
  // Wait until it answers, so that it is surely running when the script runs.
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/-/ready`)).ok) break;
    } catch {}
    if (i > 100) throw new Error("prometheus did not start");
    await new Promise((r) => setTimeout(r, 100));
  }

  const result = await run("/usr/bin/bash", [join(ROOT, "scripts", "install-test-deps.sh")], {
    env: { PATH: bin },
  });
  expect(result.stderr).toMatch(/installing Debian packages: .*nghttp2-client/);
  const stillRunning = await Promise.race([
    exited.then(() => false),
    new Promise((r) => setTimeout(() => r(true), 500)),
  ]);
  expect(stillRunning).toBe(true);
  expect((await fetch(`http://127.0.0.1:${port}/-/ready`)).ok).toBe(true);
}, 60_000);
