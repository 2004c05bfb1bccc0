// The Open Inference Protocol's operations, shared by its REST and gRPC adapters: each one is a call
// on PredictService (and, for the version list, RegistryService), so OIP gets the same validation,
// batching, errors and model selection as /predict. Nothing here scores or knows a model format.

import { StageSchema } from "../../gen/mlops/v1/model_pb.js";
import type { GetModelInfoRequest } from "../../gen/mlops/v1/predict_pb.js";
import type { RegistryService } from "../../gen/mlops/v1/registry_pb.js";
import type { CallContext, ServiceImpl } from "../../rpc/context.js";
import { invalidArgument } from "../../rpc/service-error.js";
import type { PredictServiceImpl } from "../../services/predict-service.js";
import {
  classLabelsOf,
  fromJsonData,
  INPUT_NAME,
  type InputDatatype,
  inputDatatype,
  labelOutput,
  type OutputName,
  requestedOutputs,
  shapeOf,
} from "./tensors.js";

export interface InferenceOptions {
  predict: Pick<PredictServiceImpl, "predictTensor" | "getModelInfo">;
  registry: Pick<ServiceImpl<typeof RegistryService>, "listModelVersions">;
  /** `GET /v2` / ServerMetadata: the server's name and version. */
  server: { name: string; version: string };
}

/** One input tensor, its values still in the transport's form until the datatype is known. */
export interface InferInput {
  name: string;
  datatype: string;
  shape: readonly (number | bigint)[];
  values(datatype: InputDatatype, shape: readonly number[], field: string): ArrayLike<unknown>;
}

/** An inference request, whichever transport it came by. */
export interface InferRequest {
  modelName: string;
  /** Empty: the served version. */
  modelVersion: string;
  /** Echoed in the response; empty when the request has none. */
  id: string;
  inputs: readonly InferInput[];
  /** Requested output names; empty for all. */
  outputs: readonly string[];
  parameters?: Readonly<Record<string, unknown>>;
}

export interface OutputTensor {
  name: OutputName;
  datatype: "INT64" | "BYTES" | "FP64";
  shape: number[];
  values: ArrayLike<number> | readonly string[];
}

export interface InferResult {
  modelName: string;
  modelVersion: string;
  id: string;
  outputs: OutputTensor[];
}

export interface TensorMetadata {
  name: string;
  datatype: string;
  shape: number[];
}

export interface ModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
  properties: Record<string, string>;
}

export interface Inference {
  serverMetadata(): { name: string; version: string; extensions: string[] };
  /** True while a model is served. */
  serverReady(ctx: CallContext): Promise<boolean>;
  /** True when `name` (at `version`, or the served version) can be scored now. */
  modelReady(name: string, version: string, ctx: CallContext): Promise<boolean>;
  modelMetadata(name: string, version: string, ctx: CallContext): Promise<ModelMetadata>;
  infer(request: InferRequest, ctx: CallContext): Promise<InferResult>;
}

/** proto3 JSON names of ModelFamily → the `platform` string. */
const PLATFORM: Record<number, string> = { 1: "mlops_gbdt", 2: "mlops_random_forest", 3: "mlops_logistic" };

/** Parameters whose meaning this server does not implement; refused rather than ignored. */
const UNSUPPORTED_PARAMETERS = ["classification", "sequence_id", "shared_memory_region"];

export function createInference(options: InferenceOptions): Inference {
  const { predict, registry } = options;

  const info = (name: string, version: string, ctx: CallContext) =>
    predict.getModelInfo(
      { modelName: name, modelVersion: version, modelAlias: "" } as GetModelInfoRequest,
      ctx,
    );

  async function versions(name: string, ctx: CallContext): Promise<string[]> {
    const out: string[] = [];
    let pageToken = "";
    do {
      const page = await registry.listModelVersions(
        { name, pageSize: 1000, pageToken } as Parameters<typeof registry.listModelVersions>[0],
        ctx,
      );
      for (const v of page.modelVersions ?? []) out.push(String(v.version));
      pageToken = page.nextPageToken ?? "";
    } while (pageToken !== "");
    return out;
  }

  function checkParameters(parameters: Readonly<Record<string, unknown>> | undefined, field: string): void {
    if (!parameters) return;
    for (const key of UNSUPPORTED_PARAMETERS) {
      if (key in parameters) {
        throw invalidArgument(`${field}.${key}`, "no such parameter (this server does not implement it)");
      }
    }
  }

  return {
    serverMetadata: () => ({ name: options.server.name, version: options.server.version, extensions: [] }),

    async serverReady(ctx) {
      try {
        await info("", "", ctx);
        return true;
      } catch {
        return false;
      }
    },

    async modelReady(name, version, ctx) {
      if (name === "") return false;
      try {
        await info(name, version, ctx);
        return true;
      } catch {
        return false;
      }
    },

    async modelMetadata(name, version, ctx) {
      if (name === "") throw invalidArgument("name", "a model name");
      const m = await info(name, version, ctx);
      const nf = m.nFeatures ?? 0;
      const nc = m.nClasses ?? 0;
      const classes = classLabelsOf(m);
      const properties: Record<string, string> = {
        n_features: String(nf),
        n_classes: String(nc),
        artifact_sha256: m.artifactSha256 ?? "",
      };
      // Spelled as every JSON face of ours writes a stage (STAGE_PRODUCTION); the protocol leaves
      // `properties` to the server, and no OIP client reads this one (docs/api.md).
      if (m.stage) properties.stage = StageSchema.value[m.stage]?.name ?? "";
      return {
        name: m.modelName ?? name,
        versions: await versions(m.modelName ?? name, ctx),
        platform: PLATFORM[m.family ?? 0] ?? "mlops",
        inputs: [{ name: INPUT_NAME, datatype: "FP64", shape: [-1, nf] }],
        outputs: [
          { name: "label", datatype: labelOutput(classes, new Int32Array(0)).datatype, shape: [-1] },
          { name: "probabilities", datatype: "FP64", shape: [-1, nc] },
        ],
        properties,
      };
    },

    // Not async: one `then` on the scorer's promise instead of an async frame and an await (0020);
    // a check's throw still comes back as a rejection.
    infer(request, ctx) {
      let scored: ReturnType<typeof predict.predictTensor>;
      let wanted: readonly OutputName[];
      try {
        checkParameters(request.parameters, "parameters");
        if (request.inputs.length !== 1) {
          throw invalidArgument(
            "inputs",
            "exactly one input tensor of shape [N, n_features]",
            `${request.inputs.length} tensors`,
          );
        }
        const input = request.inputs[0] as InferInput;
        const field = "inputs[0]";
        const datatype = inputDatatype(input.datatype, field);
        const shape = shapeOf(input.shape, field);
        wanted = requestedOutputs(request.outputs);
        const values = input.values(datatype, shape, field);
        scored = predict.predictTensor(
          { modelName: request.modelName, modelVersion: request.modelVersion, shape, values, field },
          ctx,
        );
      } catch (err) {
        return Promise.reject(err);
      }
      return scored.then((scores): InferResult => {
        const nRows = scores.predictions.length;
        const outputs: OutputTensor[] = [];
        for (const name of wanted) {
          if (name === "probabilities") {
            outputs.push({
              name,
              datatype: "FP64",
              shape: [nRows, scores.nClasses],
              values: scores.probabilities,
            });
          } else {
            const label = labelOutput(scores.classLabels, scores.predictions);
            outputs.push({ name, datatype: label.datatype, shape: [nRows], values: label.values });
          }
        }
        return { modelName: scores.modelName, modelVersion: scores.modelVersion, id: request.id, outputs };
      });
    },
  };
}

/** A REST input tensor: `data` (flat or nested) becomes its values once the datatype is known. */
export class JsonInput implements InferInput {
  constructor(
    readonly name: string,
    readonly datatype: string,
    readonly shape: readonly number[],
    private readonly data: unknown,
  ) {}

  values(datatype: InputDatatype, shape: readonly number[], field: string): ArrayLike<unknown> {
    return fromJsonData(this.data, datatype, shape, field);
  }
}
