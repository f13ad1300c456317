# Conveyor stage image, CUDA execution provider, built without a registry or NuGet: the
# offline counterpart of docker/stage.gpu.Dockerfile, from Debian packages, npm and Maven
# Central only (docker/gpu/pom.xml). Build from the repository root:
#   docker build -f docker/stage.gpu-offline.Dockerfile --build-arg APP=inference -t ghcr.io/conveyor-ml/conveyor-inference:dev-cuda .
# (`tools/deploy/build-images.sh --gpu-offline`). To run: an NVIDIA driver for CUDA 12.6+ on
# the host and the NVIDIA container toolkit, which mounts the driver's libcuda.so.1;
# tools/containers/gpu-bench.sh checks and times it on a CUDA host.
#
# What differs from docker/stage.gpu.Dockerfile:
#   - the base is node:24-bookworm-slim, not nvidia/cuda: the CUDA 12 runtime, cuBLAS,
#     cuFFT, cuRAND and cuDNN 9 come from org.bytedeco:cuda (linux-x86_64-redist; CUDA 12.6,
#     cuDNN 9.5) into /opt/cuda/lib, ONNX Runtime's CUDA provider from
#     com.microsoft.onnxruntime:onnxruntime_gpu;
#   - the provider must come from the same ONNX Runtime release as the Node binding's
#     libonnxruntime.so, and Maven Central has no onnxruntime_gpu of the lockfile's
#     onnxruntime-node (1.30.0): the image installs onnxruntime-node ORT_VERSION (1.24.1, the
#     newest release on both) over it. The CUDA image thus runs an older ONNX Runtime than
#     the CPU images;
#   - the build fails unless every provider and CUDA library resolves all its shared
#     libraries and the provider all its symbols (ldd -r), but the driver's libcuda.so.1.
#
# The `deps`, `runtime-deps` and `build` stages are those of docker/stage.Dockerfile, byte
# for byte (tools/deploy/src/manifests.spec.ts checks it): the layers are shared.

ARG NODE_IMAGE=node:24-bookworm-slim
ARG DEBIAN_IMAGE=debian:bookworm-slim
# ONNX Runtime of the image: onnxruntime-node's version and onnxruntime.version in docker/gpu/pom.xml.
ARG ORT_VERSION=1.24.1

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

# ---- cuda-jars: the provider and CUDA libraries from Maven Central ----
FROM ${DEBIAN_IMAGE} AS cuda-jars
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openjdk-17-jre-headless maven unzip \
 && rm -rf /var/lib/apt/lists/*
COPY docker/gpu/pom.xml /src/pom.xml
# Behind a TLS-intercepting proxy, tools/deploy/build-images.sh mounts a Java trust store
# with its CA at /usr/local/etc/java-cacerts for the build only (as for the Kafka image).
RUN if [ -f /usr/local/etc/java-cacerts ]; then \
      export MAVEN_OPTS="-Djavax.net.ssl.trustStore=/usr/local/etc/java-cacerts"; \
    fi \
 && mvn -B -q -f /src/pom.xml -Dmaven.repo.local=/tmp/m2 \
      dependency:copy-dependencies -DexcludeTransitive=true -DoutputDirectory=/jars \
 && rm -rf /tmp/m2 \
 && ls -la /jars
ARG ORT_VERSION
# The jars are 2.4 GB; only these libraries leave the stage.
RUN test -f "/jars/onnxruntime_gpu-${ORT_VERSION}.jar" \
 && mkdir -p /out/ort /out/cuda \
 && unzip -j -o "/jars/onnxruntime_gpu-${ORT_VERSION}.jar" \
      'ai/onnxruntime/native/linux-x64/libonnxruntime_providers_cuda.so' \
      'ai/onnxruntime/native/linux-x64/libonnxruntime_providers_shared.so' -d /out/ort \
 && unzip -j -o /jars/cuda-*-linux-x86_64-redist.jar \
      '*/libcudart.so*' '*/libcublas.so*' '*/libcublasLt.so*' '*/libcufft.so*' '*/libcurand.so*' \
      '*/libcudnn*.so*' '*/libnvrtc*.so*' -d /out/cuda \
 && ls -la /out/ort /out/cuda

# ---- runtime-deps-cuda: onnxruntime-node of the provider's release, with the provider beside it ----
FROM runtime-deps AS runtime-deps-cuda
ARG ORT_VERSION
# --no-save: only node_modules changes; .npmrc's onnxruntime-node-install=skip keeps its
# installer from fetching anything from NuGet. Then trimmed to linux/x64 like runtime-deps.
RUN npm install --no-save --omit=dev --no-audit --no-fund "onnxruntime-node@${ORT_VERSION}" \
 && test "$(node -p "require('onnxruntime-node/package.json').version")" = "${ORT_VERSION}" \
 && ort_bin=node_modules/onnxruntime-node/bin/napi-v6 \
 && test -f "${ort_bin}/linux/x64/libonnxruntime.so.1" \
 && find "${ort_bin}" -mindepth 2 -maxdepth 2 ! -path "${ort_bin}/linux/x64" -exec rm -rf {} + \
 && find "${ort_bin}" -mindepth 1 -maxdepth 1 -type d -empty -delete
COPY --from=cuda-jars /out/ort/ node_modules/onnxruntime-node/bin/napi-v6/linux/x64/

# ---- release: node + production node_modules + compiled JS + the CUDA libraries ----
FROM ${NODE_IMAGE} AS release
ARG APP
LABEL org.opencontainers.image.title="conveyor-${APP}-cuda" \
      org.opencontainers.image.source="https://github.com/conveyor-ml/conveyor" \
      org.opencontainers.image.licenses="Apache-2.0"
# HOME=/tmp: the root filesystem is read-only at run time; /tmp is the one writable mount.
# MALLOC_ARENA_MAX=2: glibc's per-thread malloc arenas (ONNX Runtime's and libvips' threads) cost ~30 MB of RSS
# for no CPU gain (tools/bench/README.md).
# LD_LIBRARY_PATH: the provider finds the CUDA libraries in /opt/cuda/lib, the driver's
# libcuda.so.1 where the NVIDIA container toolkit mounts it (a system library directory).
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps \
    HOME=/tmp \
    HTTP_PORT=8080 \
    MALLOC_ARENA_MAX=2 \
    ORT_EXECUTION_PROVIDERS=cuda,cpu \
    LD_LIBRARY_PATH=/opt/cuda/lib \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility \
    CONVEYOR_APP=${APP}
RUN groupadd --system --gid 10001 conveyor \
 && useradd --system --uid 10001 --gid 10001 --home-dir /tmp --no-create-home --shell /usr/sbin/nologin conveyor
WORKDIR /app
# Owned by root and not writable by the service user: the code cannot change itself.
COPY --from=cuda-jars /out/cuda /opt/cuda/lib
COPY --from=runtime-deps-cuda /src/node_modules ./node_modules
COPY --from=build /out/app ./dist
# Fail the build, not the first GPU run, if a library misses another: every provider and
# CUDA library must resolve all its dependencies here, but the driver's libcuda.so.1, and
# the CUDA provider every symbol it takes from them (ldd -r: a CUDA runtime older than the
# one the provider was built with would lack some). Provider_GetHost is no such symbol:
# libonnxruntime_providers_shared.so defines it, which ONNX Runtime loads first, globally.
RUN missing="$(for lib in node_modules/onnxruntime-node/bin/napi-v6/linux/x64/*.so* /opt/cuda/lib/*.so*; do \
      ldd "$lib" | sed -n "s|^\t*\([^ ]*\) => not found|${lib##*/}: \1|p"; \
    done | grep -v ': libcuda\.so\.1$' || true)" \
 && if [ -n "$missing" ]; then echo "unresolved shared libraries:"; echo "$missing"; exit 1; fi \
 && provider=node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so \
 && ldd -r "$provider" > /tmp/ldd.txt 2>&1; cat /tmp/ldd.txt \
 && if grep 'undefined symbol' /tmp/ldd.txt | grep -v 'undefined symbol: Provider_GetHost'; then \
      echo "the CUDA provider has unresolved symbols"; exit 1; \
    fi \
 && rm /tmp/ldd.txt
USER 10001:10001
EXPOSE 8080
# Node itself is PID 1 and the app handles SIGTERM (drain, commit, leave the group).
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
