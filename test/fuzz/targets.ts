// The one list of fuzz targets: every parser that takes outside input. The short run in `npm test`
// and `npm run fuzz` both take it from here, so a new parser (an importer of the model-import issue,
// a new transport's decoder) is one entry: write a FuzzTarget (test/fuzz/target.ts) beside these,
// with real seeds and the errors it documents, and add it below. Native parsers add a libFuzzer
// harness to native/fuzz/ and a line to NATIVE_FUZZERS.
import type { AnyFuzzTarget } from "./target.js";
import { artifactTarget } from "./targets/artifact.js";
import { connectJsonTarget } from "./targets/connect-json.js";
import { csvTarget } from "./targets/csv.js";
import { grpcProtobufTarget } from "./targets/grpc-protobuf.js";
import { restTarget } from "./targets/rest.js";

export const FUZZ_TARGETS: readonly AnyFuzzTarget[] = [
  restTarget,
  connectJsonTarget,
  grpcProtobufTarget,
  csvTarget,
  artifactTarget,
];

/** libFuzzer harnesses (native/fuzz/<name>.cc), built with clang by scripts/build-fuzzers.sh. */
export const NATIVE_FUZZERS: readonly { name: string; source: string; seeds: string }[] = [
  { name: "artifact-native", source: "native/fuzz/artifact-fuzzer.cc", seeds: "artifact" },
];
