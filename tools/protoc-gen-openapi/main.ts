// protoc-gen-openapi: a buf plugin (on @bufbuild/protoplugin) that writes openapi.json for every
// REST route of the server. buf.gen.yaml runs it as `node --import tsx tools/protoc-gen-openapi/main.ts`
// with `strategy: all` and `include_imports`, and two options naming files relative to the
// directory buf runs in:
//   routes=<yaml>  the hand-written routes (the seed's /predict, /health, /model-info, /, ...)
//   oip=<yaml>     the vendored open_inference_rest.yaml
import { readFileSync } from "node:fs";
import { create, createFileRegistry } from "@bufbuild/protobuf";
import {
  type CodeGeneratorRequest,
  CodeGeneratorResponse_Feature,
  CodeGeneratorResponseSchema,
  FileDescriptorSetSchema,
} from "@bufbuild/protobuf/wkt";
import { type Plugin, runNodeJs } from "@bufbuild/protoplugin";
import { parse } from "yaml";
import { buildDocument, type Json } from "./document.js";

function options(parameter: string): { routes: string; oip?: string } {
  const out: Record<string, string> = {};
  for (const part of parameter.split(",").filter((p) => p !== "")) {
    const [key, value = ""] = part.split("=");
    if (key !== "routes" && key !== "oip") throw new Error(`protoc-gen-openapi: unknown option ${part}`);
    out[key] = value;
  }
  if (!out.routes) throw new Error("protoc-gen-openapi: the option routes=<yaml> is required");
  return { routes: out.routes, oip: out.oip };
}

const yaml = (path: string) => parse(readFileSync(path, "utf8")) as { [key: string]: Json };

const plugin: Plugin = {
  name: "protoc-gen-openapi",
  version: "v1",
  run(request: CodeGeneratorRequest) {
    const opts = options(request.parameter);
    const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: request.protoFile }));
    const document = buildDocument({
      registry,
      files: request.fileToGenerate,
      handWritten: yaml(opts.routes),
      oip: opts.oip ? yaml(opts.oip) : undefined,
    });
    return create(CodeGeneratorResponseSchema, {
      supportedFeatures: BigInt(CodeGeneratorResponse_Feature.PROTO3_OPTIONAL),
      file: [{ name: "openapi.json", content: `${JSON.stringify(document, null, 2)}\n` }],
    });
  },
};

runNodeJs(plugin);
