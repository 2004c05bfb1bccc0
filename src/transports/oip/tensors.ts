// Tensors of the Open Inference Protocol ↔ the rows and scores of PredictService: datatypes, shapes,
// `contents`, `raw_input_contents` and REST `data`, and the two outputs this server produces.
import type { InferTensorContents } from "../../gen/inference/open_inference_grpc_pb.js";
import { invalidArgument } from "../../rpc/service-error.js";

/** The input datatypes accepted; integers are converted to doubles, as the model scores doubles. */
export const INPUT_DATATYPES = ["FP64", "FP32", "INT64", "INT32"] as const;
export type InputDatatype = (typeof INPUT_DATATYPES)[number];

/** The outputs of every model: the predicted class and the class probabilities. */
export const OUTPUT_NAMES = ["label", "probabilities"] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];

/** The name model metadata gives the one input; any name is accepted, as MLServer does. */
export const INPUT_NAME = "features";

const BYTES_PER: Record<InputDatatype, number> = { FP64: 8, FP32: 4, INT64: 8, INT32: 4 };

export function inputDatatype(datatype: string, field: string): InputDatatype {
  if ((INPUT_DATATYPES as readonly string[]).includes(datatype)) return datatype as InputDatatype;
  throw invalidArgument(
    `${field}.datatype`,
    `one of ${INPUT_DATATYPES.join(", ")}`,
    JSON.stringify(datatype),
  );
}

/** A shape as plain numbers (gRPC's are int64); every dimension a non-negative integer. */
export function shapeOf(shape: readonly (number | bigint)[], field: string): number[] {
  const out = shape.map(Number);
  if (out.length === 0 || out.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw invalidArgument(`${field}.shape`, "dimensions that are non-negative integers", JSON.stringify(out));
  }
  return out;
}

const elements = (shape: readonly number[]) => shape.reduce((n, d) => n * d, 1);

/** `raw_input_contents`: little-endian, row-major, exactly shape × datatype bytes. */
export function fromRaw(raw: Uint8Array, datatype: InputDatatype, shape: readonly number[], field: string) {
  const n = elements(shape);
  const size = BYTES_PER[datatype];
  if (raw.byteLength !== n * size) {
    throw invalidArgument(
      `raw_input_contents for ${field}`,
      `${n * size} bytes (${n} × ${datatype})`,
      `${raw.byteLength} bytes`,
    );
  }
  // A copy first when the bytes are not aligned for a typed-array view (they sit inside a message).
  // `new Uint8Array(raw)` copies even for a Buffer, whose slice() would be a view.
  const bytes = raw.byteOffset % size === 0 ? raw : new Uint8Array(raw);
  const { buffer, byteOffset } = bytes;
  if (!LITTLE_ENDIAN) return fromRawPortable(new DataView(buffer, byteOffset, n * size), datatype, n);
  switch (datatype) {
    case "FP64":
      return new Float64Array(buffer, byteOffset, n);
    case "FP32":
      return new Float32Array(buffer, byteOffset, n);
    case "INT32":
      return new Int32Array(buffer, byteOffset, n);
    case "INT64":
      return Float64Array.from(new BigInt64Array(buffer, byteOffset, n), Number);
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function fromRawPortable(view: DataView, datatype: InputDatatype, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (datatype === "FP64") out[i] = view.getFloat64(i * 8, true);
    else if (datatype === "FP32") out[i] = view.getFloat32(i * 4, true);
    else if (datatype === "INT32") out[i] = view.getInt32(i * 4, true);
    else out[i] = Number(view.getBigInt64(i * 8, true));
  }
  return out;
}

/** The gRPC `contents` a datatype is carried in (InferTensorContents). */
export interface Contents {
  fp64Contents: readonly number[];
  fp32Contents: readonly number[];
  int64Contents: readonly bigint[];
  intContents: readonly number[];
}

/** gRPC `contents`: the repeated field of the tensor's datatype, and no other. */
export function fromContents(contents: Contents | undefined, datatype: InputDatatype) {
  const values: ArrayLike<number | bigint> | undefined =
    datatype === "FP64"
      ? contents?.fp64Contents
      : datatype === "FP32"
        ? contents?.fp32Contents
        : datatype === "INT32"
          ? contents?.intContents
          : contents?.int64Contents;
  if (datatype === "INT64" && values) return Float64Array.from(values as readonly bigint[], Number);
  return values ?? [];
}

/**
 * REST `data`: flat (row-major) or nested as the shape says. Nested arrays must match the shape
 * exactly; the values themselves are checked by PredictService.
 */
export function fromJsonData(
  data: unknown,
  datatype: InputDatatype,
  shape: readonly number[],
  field: string,
): unknown[] {
  if (!Array.isArray(data)) throw invalidArgument(`${field}.data`, "an array", typeOf(data));
  if (data.length === 0 || !Array.isArray(data[0])) return checkIntegers(data, datatype, field);
  const out: unknown[] = [];
  // The indices down to the node walked; the error's path is written from them, only on failure.
  const at: number[] = [];
  const walk = (node: unknown, depth: number) => {
    if (depth === shape.length) {
      out.push(node);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      const path = at.slice(0, depth).map((i) => `[${i}]`);
      throw invalidArgument(
        `${field}.data${path.join("")}`,
        `an array of ${shape[depth]} (shape [${shape.join(", ")}])`,
        Array.isArray(node) ? `${node.length} items` : typeOf(node),
      );
    }
    for (let i = 0; i < node.length; i++) {
      at[depth] = i;
      walk(node[i], depth + 1);
    }
  };
  walk(data, 0);
  return checkIntegers(out, datatype, field);
}

function checkIntegers(values: unknown[], datatype: InputDatatype, field: string): unknown[] {
  if (datatype === "INT32" || datatype === "INT64") {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v === "number" && !Number.isInteger(v)) {
        throw invalidArgument(`${field}.data[${i}]`, `an integer (${datatype})`, String(v));
      }
    }
  }
  return values;
}

const typeOf = (v: unknown) => (v === null ? "null" : v === undefined ? "nothing" : typeof v);

/**
 * A model's class values in probability-column order, as the core and the registry keep them
 * (GetModelInfo's class_labels + class_label_kind). Kind "none": the classes are the ids 0..K−1.
 */
export interface ClassLabels {
  kind: string;
  values: readonly (number | string)[];
}

/** One output tensor: shape and values, in the datatype named. */
export type LabelOutput =
  | { datatype: "INT64"; values: readonly number[] | Int32Array }
  | { datatype: "FP64"; values: readonly number[] }
  | { datatype: "BYTES"; values: readonly string[] };

/**
 * The `label` output: each row's predicted class as the model's class value: INT64 for integer
 * labels (and for models without labels, whose classes are 0..K−1), FP64 for float labels, BYTES
 * for strings. The one place that maps classes to the output tensor; model metadata takes its
 * datatype from here too.
 */
export function labelOutput(classes: ClassLabels, predictions: Int32Array): LabelOutput {
  const { kind, values } = classes;
  if (kind === "string")
    return { datatype: "BYTES", values: Array.from(predictions, (k) => String(values[k])) };
  if (kind === "int64" || kind === "float64") {
    const numbers = Array.from(predictions, (k) => Number(values[k]));
    return kind === "int64" ? { datatype: "INT64", values: numbers } : { datatype: "FP64", values: numbers };
  }
  return { datatype: "INT64", values: predictions };
}

/** GetModelInfo's class_labels (strings on the wire) and class_label_kind as ClassLabels. */
export function classLabelsOf(info: {
  classLabels?: readonly string[];
  classLabelKind?: string;
}): ClassLabels {
  const kind = info.classLabelKind || "none";
  const wire = info.classLabels ?? [];
  return { kind, values: kind === "string" ? wire : kind === "none" ? [] : wire.map(Number) };
}

/** Which outputs a request asks for: both when it names none; an unknown name is INVALID_ARGUMENT. */
export function requestedOutputs(names: readonly string[]): readonly OutputName[] {
  if (names.length === 0) return OUTPUT_NAMES;
  return names.map((name, i) => {
    if ((OUTPUT_NAMES as readonly string[]).includes(name)) return name as OutputName;
    throw invalidArgument(`outputs[${i}].name`, `one of ${OUTPUT_NAMES.join(", ")}`, JSON.stringify(name));
  });
}

/**
 * InferTensorContents with every repeated field present and empty, as create() makes it: the
 * hand-written codecs fill one field, and the message needs no further `create`.
 */
export function emptyContents(): InferTensorContents {
  return {
    $typeName: "inference.InferTensorContents",
    boolContents: [],
    intContents: [],
    int64Contents: [],
    uintContents: [],
    uint64Contents: [],
    fp32Contents: [],
    fp64Contents: [],
    bytesContents: [],
  };
}
