// Baseline: the gRPC transport ceiling. A bare grpc-js server with the same PredictService
// message types (loaded at run time by @grpc/proto-loader) and a trivial Predict handler.
// Usage: node --import tsx bench/servers/bare-grpc.ts --port P [--host 127.0.0.1]

import { parseArgs } from "node:util";
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";

const { values } = parseArgs({
  options: { port: { type: "string" }, host: { type: "string", default: "127.0.0.1" } },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write("usage: bare-grpc.ts --port P [--host H]\n");
  process.exit(2);
}

const definition = loadSync("mlops/v1/predict.proto", {
  includeDirs: ["proto", "proto/third_party"],
  keepCase: true,
  defaults: true,
});
// biome-ignore lint/suspicious/noExplicitAny: a package definition built from .proto files at run time.
const pkg = grpc.loadPackageDefinition(definition) as any;
const service = pkg.mlops.v1.PredictService.service as grpc.ServiceDefinition;

const handlers: grpc.UntypedServiceImplementation = {
  Predict(
    call: grpc.ServerUnaryCall<{ features: number[] }, unknown>,
    callback: grpc.sendUnaryData<unknown>,
  ) {
    let margin = 0;
    for (const f of call.request.features) margin += f * 0.1;
    const p = 1 / (1 + Math.exp(-margin));
    callback(null, {
      prediction: p >= 0.5 ? 1 : 0,
      probability: [1 - p, p],
      model_version: "1",
      timestamp: new Date().toISOString(),
      model_name: "bare",
    });
  },
};

const server = new grpc.Server();
server.addService(service, handlers);
server.bindAsync(`${values.host}:${port}`, grpc.ServerCredentials.createInsecure(), (error) => {
  if (error) {
    process.stderr.write(`bare-grpc: ${error.message}\n`);
    process.exit(1);
  }
  process.stdout.write(`bare-grpc listening on ${values.host}:${port}\n`);
});
process.on("SIGTERM", () => server.tryShutdown(() => process.exit(0)));
