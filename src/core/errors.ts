/**
 * The errors of the native core, and the one conversion of what the addon throws or rejects with
 * (an Error carrying `code` and maybe `reason`, see native/addon/napi-args.h) into them.
 */

import { CORE_ERROR_CODES } from "../rpc/error-codes.js";

/** Stable codes of errors raised by the core (catalogued once, in src/rpc/error-codes.ts). */
export type CoreErrorCode = (typeof CORE_ERROR_CODES)[number];

/**
 * An error from the native core. `code` is stable; `reason` refines it where there is more to say
 * (for `ERR_MODEL_FORMAT`, the artifact check that failed, e.g. `"checksum_mismatch"`).
 */
export class CoreError extends Error {
  readonly code: CoreErrorCode;
  readonly reason?: string;

  constructor(code: CoreErrorCode, message: string, options: { reason?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CoreError";
    this.code = code;
    if (options.reason !== undefined) this.reason = options.reason;
  }
}

export const ERR_TRAIN_INVALID = "ERR_TRAIN_INVALID" as const;
export const ERR_TRAIN_CANCELLED = "ERR_TRAIN_CANCELLED" as const;
/** A bug, or memory ran out: the trainer produced nothing usable. */
export const ERR_TRAIN_INTERNAL = "ERR_TRAIN_INTERNAL" as const;
export type TrainErrorCode =
  | typeof ERR_TRAIN_INVALID
  | typeof ERR_TRAIN_CANCELLED
  | typeof ERR_TRAIN_INTERNAL;

/**
 * Why training failed: a {@link CoreError} whose `code` is one of the three above. `reason` narrows
 * it down, also stably: for ERR_TRAIN_INVALID one of `bad_argument`, `bad_param`, `bad_shape`,
 * `empty`, `bad_label`, `single_class`, `missing_class`, `non_finite_feature`; `cancelled` for
 * ERR_TRAIN_CANCELLED.
 */
export class TrainError extends CoreError {
  declare readonly code: TrainErrorCode;
  declare readonly reason: string;

  constructor(code: TrainErrorCode, reason: string, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { reason, cause: options.cause });
    this.name = "TrainError";
  }
}

const CORE_CODES = new Set<string>(CORE_ERROR_CODES);
const TRAIN_CODES = new Set<string>([ERR_TRAIN_INVALID, ERR_TRAIN_CANCELLED, ERR_TRAIN_INTERNAL]);

/**
 * Wraps an error from the addon in a {@link TrainError} (training codes) or a {@link CoreError}
 * (other core codes), the addon's error as `cause`. Anything else, a CoreError already or an error
 * thrown by a user callback such as `onProgress`, is returned unchanged.
 */
export function toCoreError(error: unknown): unknown {
  if (error instanceof CoreError || !(error instanceof Error)) return error;
  const { code, reason } = error as Error & { code?: unknown; reason?: unknown };
  if (typeof code !== "string" || !CORE_CODES.has(code)) return error;
  const why = typeof reason === "string" ? reason : undefined;
  if (TRAIN_CODES.has(code)) {
    return new TrainError(code as TrainErrorCode, why ?? "", error.message, { cause: error });
  }
  return new CoreError(code as CoreErrorCode, error.message, { reason: why, cause: error });
}
