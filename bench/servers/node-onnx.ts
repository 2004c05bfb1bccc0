// Baseline: what a Node team would write in an afternoon instead of mlops. A bare node:http server
// that scores each `POST /predict` with onnxruntime-node, one row per call, on the served model
// exported to ONNX (float32, as converters emit it), and replies with the seed's JSON.
// Usage: node --import tsx bench/servers/node-onnx.ts --port P --model model.onnx [--host 127.0.0.1]
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    host: { type: "string", default: "127.0.0.1" },
    model: { type: "string" },
  },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port <= 0 || !values.model) {
  process.stderr.write("usage: node-onnx.ts --port P --model model.onnx [--host H]\n");
  process.exit(2);
}

const session = await ort.InferenceSession.create(readFileSync(values.model), {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: "sequential",
  graphOptimizationLevel: "all",
});
const inputName = session.inputNames[0] ?? "input";

async function reply(features: unknown): Promise<string> {
  if (!Array.isArray(features)) throw new Error("features must be an array");
  const input = new ort.Tensor("float32", Float32Array.from(features as number[]), [1, features.length]);
  const out = await session.run({ [inputName]: input });
  const p = Array.from((out.probabilities?.data ?? []) as Float32Array);
  let best = 0;
  for (let k = 1; k < p.length; k++) if ((p[k] as number) > (p[best] as number)) best = k;
  return JSON.stringify({
    prediction: best,
    probability: p,
    model_version: "1",
    timestamp: new Date().toISOString(),
  });
}

const server = createServer((req, res) => {
  if (req.method === "POST" && req.url === "/predict") {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let features: unknown;
      try {
        features = JSON.parse(Buffer.concat(chunks).toString("utf8")).features;
      } catch {
        res.writeHead(422, { "content-type": "application/json" }).end('{"detail":"bad request"}');
        return;
      }
      reply(features).then(
        (body) => res.writeHead(200, { "content-type": "application/json" }).end(body),
        () => res.writeHead(422, { "content-type": "application/json" }).end('{"detail":"bad request"}'),
      );
    });
    return;
  }
  res.writeHead(404).end();
});
server.keepAliveTimeout = 60_000;
server.listen(port, values.host, () =>
  process.stdout.write(`node-onnx listening on ${values.host}:${port}\n`),
);
process.on("SIGTERM", () => process.exit(0));
