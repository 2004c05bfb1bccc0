// A binding that lacks a method of its service is refused when a transport is built, by every
// transport, with the same message: never a call that fails later with "undefined is not a function".
import { describe, expect, it } from "vitest";
import { PredictService } from "../../src/gen/mlops/v1/predict_pb.js";
import { createLogger } from "../../src/observability/logger.js";
import { createMetrics } from "../../src/observability/metrics.js";
import { methodImpl, type ServiceBinding } from "../../src/rpc/binding.js";
import { createGrpcServer } from "../../src/transports/grpc/server.js";
import { createConnectHandler } from "../../src/transports/http/connect.js";
import { createHttpServer, sendError } from "../../src/transports/http/server.js";
import { createPipeline } from "../../src/transports/pipeline.js";

const partial: ServiceBinding = { service: PredictService, impl: { predictBatch: () => ({}) } };
const MISSING = /mlops\.v1\.PredictService is bound without \w+/;
const pipeline = () =>
  createPipeline({
    metrics: createMetrics({ defaultMetrics: false }),
    logger: createLogger({ level: "silent" }),
  });

describe("service bindings", () => {
  it("methodImpl returns the method's implementation", () => {
    const predict = () => ({});
    const method = PredictService.method.predict;
    expect(methodImpl({ service: PredictService, impl: { predict } }, method)).toBe(predict);
    expect(() => methodImpl(partial, method)).toThrow(/PredictService is bound without Predict$/);
  });

  it("gRPC, Connect and REST refuse a binding without a method when they are built", () => {
    expect(() => createGrpcServer({ bindings: [partial], pipeline: pipeline() })).toThrow(MISSING);
    expect(() =>
      createConnectHandler({ bindings: [partial], pipeline: pipeline(), maxMessageBytes: 1024, sendError }),
    ).toThrow(MISSING);
    expect(() =>
      createHttpServer({
        bindings: [partial],
        pipeline: pipeline(),
        predictRow: async () => {
          throw new Error("unused");
        },
        predictRequest: async () => {
          throw new Error("unused");
        },
        ops: {} as never,
        maxBodyBytes: 1024,
      }),
    ).toThrow(MISSING);
  });
});
