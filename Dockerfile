# syntax=docker/dockerfile:1
# The mlops API image. Two stages: a builder with the C++ toolchain runs exactly the commands CI
# runs on a clean clone (`npm ci`, which compiles the native addon and better-sqlite3, then
# `npm run build`), and a slim runtime keeps production dependencies and build outputs only.
#
#   docker build -t mlops .
#   docker run -p 8000:8000 -p 50051:50051 -v mlops-data:/data mlops
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS builder
# node-gyp's toolchain, as on CI's machines.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
# The npm CI uses: npm 11 honours package.json's allowScripts (onnxruntime-node's download script
# stays off); the npm bundled with Node 20 would run it.
ARG NPM_VERSION=11.19.1
RUN npm install -g "npm@${NPM_VERSION}"
# Compile against this image's Node headers instead of downloading them (CI does the same).
ENV npm_config_nodedir=/usr/local
WORKDIR /app
# Dependencies and the addon first: this layer is reused until the lockfile or native code changes.
COPY package.json package-lock.json .npmrc binding.gyp ./
COPY native ./native
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin
COPY proto ./proto
COPY openapi ./openapi
RUN npm run build \
  && npm prune --omit=dev

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
  MLOPS_DATA_DIR=/data \
  MLOPS_HTTP_PORT=8000 \
  MLOPS_GRPC_PORT=50051
WORKDIR /app
# Application files stay owned by root, so the server (user node) cannot modify its own code.
COPY --from=builder /app/package.json ./
COPY --from=builder /app/node_modules ./node_modules
COPY --from=builder /app/dist ./dist
COPY --from=builder /app/bin ./bin
COPY --from=builder /app/build/Release/*.node ./build/Release/
COPY --from=builder /app/proto ./proto
COPY --from=builder /app/openapi ./openapi
# A fresh named volume copies this directory's owner, so the node user can write the registry.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8000 50051
# No curl in the slim image: Node's own fetch probes /health.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.MLOPS_HTTP_PORT || 8000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node is PID 1 and handles SIGTERM itself: the server stops accepting, drains in-flight calls for
# MLOPS_SHUTDOWN_TIMEOUT_S and exits; cluster workers are its own children, which it reaps.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/mlops.js"]
CMD ["serve"]
