import { Code, type CodeName } from "./code.js";

/**
 * The codes the house adds to gRPC's, by who raises them: the native core and its trainer, the data
 * loaders, the configuration, and the CLI's own usage checks.
 */
const HOUSE_CODES = {
  core: [
    "ERR_MODEL_FORMAT",
    "ERR_MODEL_DISPOSED",
    "ERR_SHAPE",
    "ERR_INVALID_ARG",
    "ERR_INTERNAL",
    "ERR_NATIVE_MISSING",
    "ERR_TRAIN_INVALID",
    "ERR_TRAIN_CANCELLED",
    "ERR_TRAIN_INTERNAL",
  ],
  data: ["ERR_DATA"],
  config: ["ERR_CONFIG"],
  cli: ["USAGE"],
} as const;

/** The codes the native core raises (src/core/errors.ts types its errors with these). */
export const CORE_ERROR_CODES: readonly (typeof HOUSE_CODES)["core"][number][] = HOUSE_CODES.core;

/** Who raises a code: `rpc` is a gRPC status name, used by every transport, the store and the CLI. */
export type ErrorCodeSource = "rpc" | keyof typeof HOUSE_CODES;

/** A stable error code: what clients, scripts and library users test, never the wording. */
export type ErrorCode = Exclude<CodeName, "OK"> | (typeof HOUSE_CODES)[keyof typeof HOUSE_CODES][number];

/**
 * Every stable error code of mlops, listed once, with who raises it. The gRPC part is `Code` less
 * OK. docs/api.md documents each one, and documents no other (test/rpc/error-codes.test.ts).
 */
export const ERROR_CODES: Readonly<Record<ErrorCode, ErrorCodeSource>> = Object.freeze(
  Object.fromEntries([
    ...Object.keys(Code)
      .filter((code) => code !== "OK")
      .map((code) => [code, "rpc"]),
    ...Object.entries(HOUSE_CODES).flatMap(([source, codes]) => codes.map((code) => [code, source])),
  ]) as Record<ErrorCode, ErrorCodeSource>,
);
