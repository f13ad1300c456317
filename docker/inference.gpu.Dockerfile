# Conveyor stage image: inference, CUDA execution provider. Build from the repository root:
#   docker build -f docker/inference.gpu.Dockerfile -t ghcr.io/conveyor-ml/conveyor-inference:dev-cuda .
# Needs https://api.nuget.org at build time (onnxruntime-node fetches its CUDA provider
# from NuGet) and, to run, an NVIDIA driver for CUDA 12 plus the NVIDIA container toolkit.
#
# Every docker/<stage>.Dockerfile starts with the same `deps` and `runtime-deps`
# stages, byte for byte (tools/deploy/validate.sh checks it), so Docker and podman
# run `npm ci` once and reuse the cached layers for all five images.

ARG NODE_IMAGE=node:24-bookworm-slim
# CUDA 12 + cuDNN 9 runtime: what onnxruntime 1.30's CUDA build links against.
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04

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
COPY apps/inference apps/inference
RUN npx nx run inference:build --output-style=static \
 && test -f dist/apps/inference/apps/inference/src/main.js

# ---- runtime-deps-cuda: add onnxruntime-node's CUDA execution provider ----
FROM runtime-deps AS runtime-deps-cuda
# The package's own installer (script/install.js) downloads the CUDA 12 provider libraries
# (libonnxruntime_providers_{cuda,shared,tensorrt}.so) from the Microsoft.ML.OnnxRuntime.Gpu.Linux
# NuGet package of the same version into bin/napi-v6/linux/x64, beside libonnxruntime.so.1.
# ONNXRUNTIME_NODE_INSTALL overrides .npmrc's skip; only linux/x64 has a CUDA build.
RUN ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install \
 && test -f node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so \
 && test -f node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_shared.so

# Node 24 comes from the official image; the CUDA image has none.
FROM ${NODE_IMAGE} AS node

# ---- release: the CUDA runtime image + node + production node_modules + compiled JS ----
FROM ${CUDA_IMAGE} AS release
COPY --from=node /usr/local/bin/node /usr/local/bin/node
# Fail the build here, not at run time, if the node binary misses a shared library.
RUN node --version \
 && groupadd --system --gid 10001 conveyor \
 && useradd --system --uid 10001 --gid 10001 --home-dir /tmp --no-create-home --shell /usr/sbin/nologin conveyor
# HOME=/tmp: the root filesystem is read-only at run time; /tmp is the one writable mount.
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps \
    HOME=/tmp \
    HTTP_PORT=8080 \
    ORT_EXECUTION_PROVIDERS=cuda,cpu \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
WORKDIR /app
# Owned by root and not writable by the service user: the code cannot change itself.
COPY --from=runtime-deps-cuda /src/node_modules ./node_modules
COPY --from=build /src/dist/apps/inference ./dist/apps/inference
USER 10001:10001
EXPOSE 8080
# Node itself is PID 1 and the app handles SIGTERM (drain, commit, leave the group).
STOPSIGNAL SIGTERM
CMD ["node", "dist/apps/inference/apps/inference/src/main.js"]
