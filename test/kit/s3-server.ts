// A real S3-compatible server for tests: s3rver (pure JS, objects in a temporary folder) in a child
// process on a free loopback port, with the environment an `mlops` process needs to reach it.
// Node runs it with --openssl-legacy-provider: s3rver encrypts its list continuation tokens with
// DES, which OpenSSL 3 only offers there, so listings longer than a page would fail without it.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DeleteObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";

/** s3rver's built-in account: it knows this access key id (and does not check SigV4 signatures). */
export const S3RVER_CREDENTIALS = Object.freeze({ accessKeyId: "S3RVER", secretAccessKey: "S3RVER" });

const S3RVER_BIN = join(
  dirname(createRequire(import.meta.url).resolve("s3rver/package.json")),
  "bin",
  "s3rver.js",
);

export interface TestS3Server {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  bucket: string;
  port: number;
  /** AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION for a child process. */
  env: Record<string, string>;
  /** `s3://<bucket>/<prefix>`: an MLOPS_ARTIFACT_URL. */
  url(prefix?: string): string;
  /** A plain SDK client on the server, to write or damage objects behind mlops's back. */
  client: S3Client;
  putRaw(key: string, bytes: Uint8Array | string): Promise<void>;
  deleteRaw(key: string): Promise<void>;
  /** Stops the server process; the objects stay in its folder. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same objects. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Spawns s3rver and resolves with its port once it says it listens. */
function spawnS3rver(
  directory: string,
  bucket: string,
  port: number,
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    [
      "--openssl-legacy-provider",
      S3RVER_BIN,
      "--directory",
      directory,
      "--address",
      "127.0.0.1",
      "--port",
      String(port),
      "--silent",
      "--configure-bucket",
      bucket,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`s3rver did not start within 20 s: ${out}`));
    }, 20_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString("utf8");
      const m = /listening on [^:\s]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        resolve({ child, port: Number(m[1]) });
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited with ${code} before listening: ${out}`));
    });
  });
}

function kill(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

export async function startS3Server(options: { bucket?: string } = {}): Promise<TestS3Server> {
  const bucket = options.bucket ?? "mlops-test";
  const directory = await mkdtemp(join(tmpdir(), "mlops-s3rver-"));
  let { child, port } = await spawnS3rver(directory, bucket, 0);
  let running: ChildProcess | undefined = child;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    region: "us-east-1",
    endpoint,
    forcePathStyle: true,
    credentials: { ...S3RVER_CREDENTIALS },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  return {
    endpoint,
    bucket,
    port,
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      AWS_REGION: "us-east-1",
    },
    url: (prefix = "") => `s3://${bucket}/${prefix}`,
    client,
    async putRaw(key, bytes) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }));
    },
    async deleteRaw(key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    async stop() {
      await kill(running);
      running = undefined;
    },
    async start() {
      if (running) return;
      ({ child, port } = await spawnS3rver(directory, bucket, port));
      running = child;
    },
    async close() {
      client.destroy();
      await kill(running);
      running = undefined;
      await rm(directory, { recursive: true, force: true });
    },
  };
}
