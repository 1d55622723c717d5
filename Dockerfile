# syntax=docker/dockerfile:1
# kafka-stages image: `make image` (needs a Docker engine). Three stages:
#   build  - every dependency (dev included) and tsc -> dist/
#   deps   - production dependencies only (npm ci --omit=dev)
#   run    - Node 24 slim + tini + dist/ + production node_modules, as the non-root user node
# Nothing secret goes into any layer: brokers, SASL and TLS come from the environment and
# mounted Secrets at run time (see helm/kafka-stages/README.md).

# Pinned by tag (Node 24 LTS on Debian 12); pin by digest too where your registry allows.
ARG NODE_IMAGE=node:24.11-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Manifests first: the npm ci layer is reused until package*.json change.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY tsconfig.json tsconfig.build.json ./
COPY stages ./stages
COPY platform ./platform
COPY bench ./bench
RUN npx tsc -p tsconfig.build.json

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error && npm cache clean --force

FROM ${NODE_IMAGE} AS run
# tini as PID 1: forwards SIGTERM to Node (which then drains and commits) and reaps zombies.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only to the runtime user: the process cannot change its own code.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist/stages ./dist/stages
COPY --from=build /app/dist/platform ./dist/platform
COPY package.json ./
# The official image's unprivileged user (uid 1000, matching the chart's runAsUser).
USER node
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.HTTP_PORT || 9464) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--enable-source-maps", "dist/platform/cli/main.js"]
CMD ["run", "metrics-transform", "--config", "/etc/kafka-stages/pipeline.yaml"]
