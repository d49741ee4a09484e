# syntax=docker/dockerfile:1
#
# DataPulse worker image. TypeScript runs through tsx (no build step), so the
# image carries the sources plus node_modules. Built by `docker compose build`
# (see docker-compose.yml); the same image serves the `worker` and the one-shot
# `schedules` services.
FROM node:20-bookworm-slim

# package.json's `allowScripts` allow-list is honoured by npm 11; the npm that
# ships with node 20 is 10.x, so upgrade it before installing.
RUN npm i -g npm@11 \
 && npm cache clean --force

WORKDIR /app

# Dependencies first so the layer is cached until the lockfile changes.
# Native packages (@temporalio/core-bridge, @swc/core, esbuild) ship prebuilt
# linux binaries in their npm packages, so no compiler toolchain is needed.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund \
 && npm cache clean --force

# Sources (see .dockerignore for what stays out). Files stay root-owned, so
# the runtime user can read but not modify the code.
COPY . .

# Writable landing directory for raw extracts; a named volume mounted here
# inherits this ownership on first use.
RUN mkdir -p /data/landing \
 && chown -R node:node /data

ENV NODE_ENV=production \
    LANDING_DIR=/data/landing \
    METRICS_PORT=9464

# Prometheus metrics endpoint (/metrics).
EXPOSE 9464

# Run as the unprivileged user that the node image provides (uid 1000).
USER node

CMD ["node", "bin/datapulse.cjs", "worker"]
