// Realistic requests for every RPC, made from the descriptors: the seeds the protocol targets mutate.
// Values follow the field names (a model name, a version, a run id, a row of the shipped dataset's
// shape), so a seed gets past the first checks and mutants reach the deeper ones.
import {
  type DescField,
  type DescMessage,
  type DescService,
  fromJson,
  type JsonValue,
  ScalarType,
} from "@bufbuild/protobuf";
import { PredictService } from "../../../src/gen/mlops/v1/predict_pb.js";
import { RegistryService } from "../../../src/gen/mlops/v1/registry_pb.js";
import { TrackingService } from "../../../src/gen/mlops/v1/tracking_pb.js";

/** Every service the transports serve; a new one (e.g. the Open Inference Protocol's) is added here. */
export const FUZZ_SERVICES: readonly DescService[] = [PredictService, RegistryService, TrackingService];

/** One row of the shipped dataset's shape (20 features). */
export const SEED_ROW = [
  0.12, -1.3, 2.5, 0.0, 1.1, -0.7, 0.33, 4.2, -2.2, 0.9, 1.5, -0.1, 0.0, 3.3, -1.1, 0.6, 0.25, -3.1, 2.0,
  0.05,
];

const BY_NAME: Record<string, JsonValue> = {
  name: "ml_classifier",
  model_name: "ml_classifier",
  version: "1",
  model_version: "1",
  alias: "champion",
  model_alias: "champion",
  run_id: "0123456789abcdef0123456789abcdef",
  experiment_id: "0",
  experiment_ids: ["0"],
  key: "accuracy",
  artifact_sha256: "a".repeat(64),
  page_token: "",
  order_by: ["metrics.accuracy DESC"],
};

/** A plausible proto3 JSON value for one (non-map, non-list) field. */
export function exampleValue(field: DescField): JsonValue {
  const named = BY_NAME[field.name];
  if (named !== undefined && !Array.isArray(named)) return named;
  switch (field.fieldKind) {
    case "enum":
      return field.enum.values[1]?.name ?? 0;
    case "message":
      return exampleJson(field.message, 1);
    case "scalar":
      return scalarExample(field.scalar, field.name);
    default:
      return null;
  }
}

function scalarExample(scalar: ScalarType, name: string): JsonValue {
  switch (scalar) {
    case ScalarType.STRING:
      return name.endsWith("_ms") ? "1700000000000" : "x";
    case ScalarType.BOOL:
      return true;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return 0.5;
    case ScalarType.BYTES:
      return "AAEC";
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return name.endsWith("_ms") ? "1700000000000" : "3";
    default:
      return name.includes("page_size") ? 10 : 3;
  }
}

/** Every field of `desc` set to a plausible value (nested messages to a few levels). */
export function exampleJson(desc: DescMessage, depth = 0): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  if (depth > 3) return out;
  for (const f of desc.fields) {
    if (f.oneof && f.oneof.fields[0] !== f) continue; // one member per oneof
    const named = BY_NAME[f.name];
    if (f.fieldKind === "list") {
      if (f.name === "features" || f.name === "values") out[f.jsonName] = SEED_ROW;
      else if (Array.isArray(named)) out[f.jsonName] = named;
      else if (f.listKind === "message") out[f.jsonName] = [exampleJson(f.message, depth + 1)];
      else if (f.listKind === "enum") out[f.jsonName] = [f.enum.values[1]?.name ?? 0];
      else out[f.jsonName] = [scalarExample(f.scalar, f.name)];
    } else if (f.fieldKind === "map") {
      const value =
        f.mapKind === "message"
          ? exampleJson(f.message, depth + 1)
          : f.mapKind === "enum"
            ? (f.enum.values[1]?.name ?? 0)
            : scalarExample(f.scalar, f.name);
      out[f.jsonName] = { k: value };
    } else if (f.fieldKind === "message") {
      out[f.jsonName] = exampleJson(f.message, depth + 1);
    } else {
      out[f.jsonName] = exampleValue(f);
    }
  }
  return out;
}

/** The example as a message (it must decode: the seeds are valid inputs). */
export function exampleMessage(desc: DescMessage) {
  return fromJson(desc, exampleJson(desc));
}
