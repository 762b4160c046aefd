# syntax=docker/dockerfile:1
# The SBC node image: the esbuild bundle (dist/sbc.mjs) and the admin CLI
# (dist/sbcctl.mjs) on Node 20, production dependencies only, as a non-root
# user, tini as PID 1 so SIGTERM reaches node and drains transactions.
#   docker build -t clustered-sbc .
#   docker run --rm -p 5060:5060/udp -p 9060:9060 clustered-sbc
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: full install, bundle
FROM ${NODE_IMAGE} AS build
# a compiler for the batched UDP addon (libs/transport/native); without it the node uses node:dgram
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
COPY scripts/ scripts/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY libs/ libs/
COPY services/ services/
# never fails: prints why and leaves the directory empty when it cannot build
RUN node scripts/build.mjs && node scripts/build-native.mjs && mkdir -p libs/transport/native/build/Release

# ---- deps: what the bundle imports at run time (no tsx, esbuild, vitest...)
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# ---- runtime
FROM ${NODE_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
LABEL org.opencontainers.image.title="clustered-sbc" \
      org.opencontainers.image.description="Clustered SIP Session Border Controller: stateless ingress nodes sharing state in Redis and news over NATS" \
      org.opencontainers.image.source="https://example.invalid/clustered-sbc" \
      org.opencontainers.image.licenses="UNLICENSED"
WORKDIR /app
ENV NODE_ENV=production \
    SBC_CONFIG=/etc/sbc/sbc.yaml \
    SBCCTL_URL=http://127.0.0.1:9061
COPY --from=deps /app/node_modules/ node_modules/
COPY --from=build /src/dist/ dist/
# the addon, where the bundle looks for it (dist/../libs/transport/native/build/Release)
COPY --from=build /src/libs/transport/native/build/Release/ libs/transport/native/build/Release/
COPY package.json ./
COPY bin/ bin/
COPY deploy/container/ /etc/sbc/
RUN ln -s /app/bin/sbcctl.mjs /usr/local/bin/sbcctl
# the node user of the base image (uid 1000); the chart runs it with runAsNonRoot
USER node
EXPOSE 5060/udp 5060/tcp 9060/tcp 9061/tcp
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9060/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--max-semi-space-size=64", "--single-threaded-gc", "--interrupt-budget=16384", "--no-memory-reducer", "--expose-gc", "dist/sbc.mjs"]
