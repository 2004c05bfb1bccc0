// Baseline: the REST transport ceiling. A bare node:http server that does what /predict must do
// without a model: read and JSON.parse the seed's body, compute a sigmoid, reply with the seed's
// JSON. With --workers W > 1 it runs as a node:cluster of W processes sharing the port, the bare
// counterpart of `mlops serve --workers W`.
// Usage: node --import tsx bench/servers/bare-http.ts --port P [--host 127.0.0.1] [--workers 1]
import cluster from "node:cluster";
import { createServer } from "node:http";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    host: { type: "string", default: "127.0.0.1" },
    workers: { type: "string", default: "1" },
  },
});
const port = Number(values.port);
const workers = Number(values.workers);
if (!Number.isInteger(port) || port <= 0 || !Number.isInteger(workers) || workers < 1) {
  process.stderr.write("usage: bare-http.ts --port P [--host H] [--workers W]\n");
  process.exit(2);
}

function reply(features: unknown): string {
  if (!Array.isArray(features)) throw new Error("features must be an array");
  let margin = 0;
  for (const f of features) margin += Number(f) * 0.1;
  const p = 1 / (1 + Math.exp(-margin));
  return JSON.stringify({
    prediction: p >= 0.5 ? 1 : 0,
    probability: [1 - p, p],
    model_version: "1",
    timestamp: new Date().toISOString(),
  });
}

function serve(): void {
  const server = createServer((req, res) => {
    if (req.method === "POST" && req.url === "/predict") {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        try {
          const body = reply(JSON.parse(Buffer.concat(chunks).toString("utf8")).features);
          res.writeHead(200, { "content-type": "application/json" }).end(body);
        } catch {
          res.writeHead(422, { "content-type": "application/json" }).end('{"detail":"bad request"}');
        }
      });
      return;
    }
    if (req.method === "GET" && req.url === "/health") {
      res.writeHead(200, { "content-type": "application/json" }).end('{"status":"healthy"}');
      return;
    }
    res.writeHead(404).end();
  });
  server.keepAliveTimeout = 60_000;
  server.listen(port, values.host, () =>
    process.stdout.write(`bare-http listening on ${values.host}:${port}\n`),
  );
}

if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  // A worker that dies makes the baseline meaningless; exit so the benchmark notices.
  cluster.on("exit", () => process.exit(1));
  process.on("SIGTERM", () => process.exit(0));
} else {
  serve();
}
