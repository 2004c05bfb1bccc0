import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";

const require = createRequire(import.meta.url);

// biome-ignore lint/suspicious/noExplicitAny: dynamic clients built from .proto files at run time.
type AnyClient = any;

/** Clients built the way a third party would: .proto files loaded at run time by @grpc/proto-loader. */
export function loadProtoClients(port: number): Record<string, AnyClient> {
  const def = loadSync(["mlops/v1/predict.proto", "mlops/v1/registry.proto", "mlops/v1/tracking.proto"], {
    includeDirs: ["proto", "proto/third_party"],
    keepCase: true,
    defaults: true,
    longs: String,
    enums: String,
  });
  const pkg = grpc.loadPackageDefinition(def) as AnyClient;
  const addr = `127.0.0.1:${port}`;
  const creds = grpc.credentials.createInsecure();
  return {
    predict: new pkg.mlops.v1.PredictService(addr, creds),
    registry: new pkg.mlops.v1.RegistryService(addr, creds),
    tracking: new pkg.mlops.v1.TrackingService(addr, creds),
  };
}

export function unary<T = AnyClient>(
  client: AnyClient,
  method: string,
  req: unknown,
  md?: grpc.Metadata,
): Promise<T> {
  return new Promise((resolve, reject) => {
    client[method](req, md ?? new grpc.Metadata(), (err: Error | null, res: T) =>
      err ? reject(err) : resolve(res),
    );
  });
}

export async function healthCheck(port: number, service: string): Promise<string> {
  const protoPath = require.resolve("grpc-health-check/proto/health/v1/health.proto");
  const pkg = grpc.loadPackageDefinition(loadSync(protoPath, { keepCase: true, enums: String })) as AnyClient;
  const client = new pkg.grpc.health.v1.Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    const res = await unary<{ status: string }>(client, "Check", { service });
    return res.status;
  } finally {
    client.close();
  }
}

/** `grpcurl list`, done with the reflection protocol itself. */
export async function reflectionList(port: number): Promise<string[]> {
  const reflDir = dirname(require.resolve("@grpc/reflection/package.json"));
  const def = loadSync(join(reflDir, "build/proto/grpc/reflection/v1/reflection.proto"), { keepCase: true });
  const pkg = grpc.loadPackageDefinition(def) as AnyClient;
  const client = new pkg.grpc.reflection.v1.ServerReflection(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
  );
  return new Promise((resolve, reject) => {
    const call = client.ServerReflectionInfo();
    call.on("data", (res: AnyClient) => {
      resolve(res.list_services_response.service.map((s: { name: string }) => s.name).sort());
      call.end();
      client.close();
    });
    call.on("error", reject);
    call.write({ list_services: "" });
  });
}
