// The seed README's example request: the body every load run sends, over REST and gRPC alike.

/** The 20 features of the seed's `curl -X POST /predict` example. */
export const SEED_FEATURES: readonly number[] = Object.freeze([
  1.5, -0.3, 2.1, 0.8, -1.2, 0.5, 1.8, -0.7, 2.3, 0.2, -1.5, 1.1, 0.9, -0.4, 2.0, 0.7, -1.8, 1.3, 0.6, -0.9,
]);

/** `{"features":[...]}`, as the seed's clients send it. */
export const SEED_BODY = JSON.stringify({ features: SEED_FEATURES });

/** Whether a `/predict` reply has the seed's shape: a class index and probabilities summing to 1. */
export function isSeedReply(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const v = value as { prediction?: unknown; probability?: unknown };
  if (!Number.isInteger(v.prediction) || !Array.isArray(v.probability) || v.probability.length < 2)
    return false;
  const sum = (v.probability as unknown[]).reduce<number>(
    (s, p) => s + (typeof p === "number" ? p : Number.NaN),
    0,
  );
  return Math.abs(sum - 1) < 1e-6 && (v.prediction as number) < v.probability.length;
}
