import { type DescFile, type DescService, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { Server } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { protoPath as healthProtoPath } from "grpc-health-check";

function collect(file: DescFile, out: Map<string, DescFile>): void {
  if (out.has(file.name)) return;
  out.set(file.name, file);
  for (const dep of file.dependencies) collect(dep, out);
}

/**
 * Server reflection from the same descriptors the server runs on, so `grpcurl list/describe`
 * needs no .proto files. @grpc/reflection reads serialized FileDescriptorProtos from a
 * proto-loader-shaped package definition; we hand it exactly that.
 */
export function addReflection(server: Server, services: readonly DescService[]): void {
  const files = new Map<string, DescFile>();
  for (const s of services) collect(s.file, files);
  const fileDescriptorProtos = [...files.values()].map((f) =>
    Buffer.from(toBinary(FileDescriptorProtoSchema, f.proto)),
  );
  // The standard health service is described by grpc-health-check's own .proto file.
  const health = loadSync(healthProtoPath, { keepCase: true });
  const pkg = {
    ...health,
    ...Object.fromEntries(services.map((s) => [s.typeName, { fileDescriptorProtos }])),
  };
  new ReflectionService(pkg as never).addToServer(server);
}
