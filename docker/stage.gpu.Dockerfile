# Conveyor stage image, CUDA execution provider: the GPU variant of docker/stage.Dockerfile
# for the apps whose stages run on a GPU (gpu: 'optional' or 'required' in a pipeline
# definition; today inference). Build from the repository root:
#   docker build -f docker/stage.gpu.Dockerfile --build-arg APP=inference -t ghcr.io/conveyor-ml/conveyor-inference:dev-cuda .
# (`tools/deploy/build-images.sh --gpu`). Needs https://api.nuget.org at build time
# (onnxruntime-node fetches its CUDA provider from NuGet) and, to run, an NVIDIA driver
# for CUDA 12 plus the NVIDIA container toolkit.
#
# The `deps` and `runtime-deps` stages are those of docker/stage.Dockerfile, byte for byte
# (tools/deploy/src/dockerfiles.spec.ts checks it): the CPU and CUDA images share the
# cached `npm ci` layers.

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

# ---- build: compile the app (tsc + tsc-alias; the libs it imports compile into the same folder) ----
FROM deps AS build
# The app to build and run: a folder apps/<APP> with an Nx `build` target. No default on purpose.
ARG APP
# The version the stage reports (GET /version, results' `versions`, conveyor_stage_info):
# default the root package.json's; a release build may pass e.g. 0.1.0+<git sha>.
ARG CONVEYOR_VERSION=
RUN case "${APP}" in \
      '' ) echo 'stage.Dockerfile: pass --build-arg APP=<app> (an app under apps/)' >&2; exit 2 ;; \
      *[!a-z0-9-]* ) echo "stage.Dockerfile: APP must be a lower-case app name, got '${APP}'" >&2; exit 2 ;; \
    esac
COPY nx.json tsconfig.base.json ./
COPY libs libs
COPY pipelines pipelines
# Only this app: editing another app does not rebuild this image.
COPY apps/${APP} apps/${APP}
# The app's tsc compiles the libs it imports from their sources (tsconfig paths), so the
# libs' own builds (the `^build` dependencies) would be wasted work here.
# /out/app: the compiled app with a fixed entry point, main.js, so that the release stage
# and its CMD do not depend on the app's name (a CMD in exec form expands no variables),
# and a package.json with the version, the one the stage finds above its code at run time.
RUN npx nx run "${APP}:build" --excludeTaskDependencies --output-style=static \
 && test -f "dist/apps/${APP}/apps/${APP}/src/main.js" \
 && mkdir -p /out \
 && cp -a "dist/apps/${APP}" /out/app \
 && printf '// Entry point of the %s image.\nrequire("./apps/%s/src/main.js");\n' "${APP}" "${APP}" > /out/app/main.js \
 && node -e 'const v = process.env.CONVEYOR_VERSION || require("./package.json").version; require("fs").writeFileSync("/out/app/package.json", JSON.stringify({ name: "conveyor-" + process.env.APP, version: v, private: true }) + "\n")'

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
ARG APP
LABEL org.opencontainers.image.title="conveyor-${APP}-cuda" \
      org.opencontainers.image.source="https://github.com/conveyor-ml/conveyor" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=node /usr/local/bin/node /usr/local/bin/node
# Fail the build here, not at run time, if the node binary misses a shared library.
RUN node --version \
 && groupadd --system --gid 10001 conveyor \
 && useradd --system --uid 10001 --gid 10001 --home-dir /tmp --no-create-home --shell /usr/sbin/nologin conveyor
# HOME=/tmp: the root filesystem is read-only at run time; /tmp is the one writable mount.
# MALLOC_ARENA_MAX=2: glibc's per-thread malloc arenas (ONNX Runtime's and libvips' threads) cost ~30 MB of RSS
# for no CPU gain (tools/bench/README.md).
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps \
    HOME=/tmp \
    HTTP_PORT=8080 \
    MALLOC_ARENA_MAX=2 \
    ORT_EXECUTION_PROVIDERS=cuda,cpu \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility \
    CONVEYOR_APP=${APP}
WORKDIR /app
# Owned by root and not writable by the service user: the code cannot change itself.
COPY --from=runtime-deps-cuda /src/node_modules ./node_modules
COPY --from=build /out/app ./dist
USER 10001:10001
EXPOSE 8080
# Node itself is PID 1 and the app handles SIGTERM (drain, commit, leave the group).
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
