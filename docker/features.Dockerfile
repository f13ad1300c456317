# Conveyor stage image: features. Build from the repository root:
#   docker build -f docker/features.Dockerfile -t ghcr.io/conveyor-ml/conveyor-features:dev .
#
# Every docker/<stage>.Dockerfile starts with the same `deps` and `runtime-deps`
# stages, byte for byte (tools/deploy/validate.sh checks it), so Docker and podman
# run `npm ci` once and reuse the cached layers for all five images.

ARG NODE_IMAGE=node:24-bookworm-slim

# ---- deps: the whole dependency tree, dev tools included (tsc, tsc-alias, nx) ----
FROM ${NODE_IMAGE} AS deps
WORKDIR /src
ENV NX_DAEMON=false NX_NO_CLOUD=true
# Only the manifests first: this layer stays cached until package-lock.json changes.
# .npmrc carries onnxruntime-node-install=skip (no CUDA download on CPU images).
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund

# ---- runtime-deps: production dependencies only, trimmed to this platform ----
FROM ${NODE_IMAGE} AS runtime-deps
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
# onnxruntime-node ships prebuilt binaries for every OS and CPU (~290 MB); keep only
# linux/<this arch> (~45 MB). The stages that never run a model still load
# onnxruntime-node (libs/ocr imports it), so the package itself must stay.
RUN npm ci --omit=dev --no-audit --no-fund \
 && ort_bin=node_modules/onnxruntime-node/bin/napi-v6 \
 && keep="linux/$(node -p process.arch)" \
 && test -d "${ort_bin}/${keep}" \
 && find "${ort_bin}" -mindepth 2 -maxdepth 2 ! -path "${ort_bin}/${keep}" -exec rm -rf {} + \
 && find "${ort_bin}" -mindepth 1 -maxdepth 1 -type d -empty -delete

# ---- build: compile this stage (tsc + tsc-alias; the libs it imports compile into the same folder) ----
FROM deps AS build
COPY nx.json tsconfig.base.json ./
COPY libs libs
COPY pipelines pipelines
COPY apps/features apps/features
RUN npx nx run features:build --output-style=static \
 && test -f dist/apps/features/apps/features/src/main.js

# ---- release: node + production node_modules + compiled JS, nothing else ----
FROM ${NODE_IMAGE} AS release
# HOME=/tmp: the root filesystem is read-only at run time; /tmp is the one writable mount.
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps \
    HOME=/tmp \
    HTTP_PORT=8080
RUN groupadd --system --gid 10001 conveyor \
 && useradd --system --uid 10001 --gid 10001 --home-dir /tmp --no-create-home --shell /usr/sbin/nologin conveyor
WORKDIR /app
# Owned by root and not writable by the service user: the code cannot change itself.
COPY --from=runtime-deps /src/node_modules ./node_modules
COPY --from=build /src/dist/apps/features ./dist/apps/features
USER 10001:10001
EXPOSE 8080
# Node itself is PID 1 and the app handles SIGTERM (drain, commit, leave the group).
STOPSIGNAL SIGTERM
CMD ["node", "dist/apps/features/apps/features/src/main.js"]
