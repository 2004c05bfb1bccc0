// The one list of fuzz targets: every parser that takes outside input. The short run in `npm test`
// and `npm run fuzz` both take it from here, so a new parser (an importer of the model-import issue,
// a new transport's decoder) is one entry: write a FuzzTarget (test/fuzz/target.ts) beside these,
// with real seeds and the errors it documents, and add it below. Native parsers add a libFuzzer
// harness to native/fuzz/ and a line to NATIVE_FUZZERS.
import type { AnyFuzzTarget } from "./target.js";
import { artifactSeeds, artifactTarget } from "./targets/artifact.js";
import { connectJsonTarget } from "./targets/connect-json.js";
import { csvTarget } from "./targets/csv.js";
import { grpcProtobufTarget } from "./targets/grpc-protobuf.js";
import { lightgbmImportTarget, onnxImportTarget, xgboostImportTarget } from "./targets/importers.js";
import { restTarget } from "./targets/rest.js";

export const FUZZ_TARGETS: readonly AnyFuzzTarget[] = [
  restTarget,
  connectJsonTarget,
  grpcProtobufTarget,
  csvTarget,
  artifactTarget,
  xgboostImportTarget,
  lightgbmImportTarget,
  onnxImportTarget,
];

/** A libFuzzer harness: native/fuzz/<harness>-fuzzer.cc, built by scripts/build-fuzzers.sh. */
export interface NativeFuzzer {
  name: string;
  harness: string;
  parser: string;
  documented: string;
  /** The starting corpus: real inputs. */
  seeds(): Promise<Uint8Array[]>;
}

export const NATIVE_FUZZERS: readonly NativeFuzzer[] = [
  {
    name: "artifact-native",
    harness: "artifact",
    parser: "C++ ParseModel + every engine + SerializeModel, under ASan and UBSan (libFuzzer)",
    documented: "mlops::FormatError",
    seeds: artifactSeeds,
  },
];
