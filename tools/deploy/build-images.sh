#!/usr/bin/env bash
# Builds Conveyor's images: one per app that a pipeline stage runs, all from
# docker/stage.Dockerfile with --build-arg APP=<app>, and the Kafka and Redis images
# compose.yaml runs (docker/kafka.Dockerfile, docker/redis.Dockerfile). The list is
# tools/deploy/images.txt, which `npm run generate` writes from the pipeline
# definitions (pipelines/*/pipeline.ts).
#
#   tools/deploy/build-images.sh [--tag TAG] [--images a,b,...] [--gpu | --gpu-offline]
#                                [--engine podman|docker] [--ca-file FILE] [--dry-run]
#
#   --tag TAG       tag of the stage images (default: dev); the CUDA images get TAG-cuda.
#                   Kafka and Redis carry their own tags (Kafka's version, Debian's Redis)
#   --images LIST   subset of the images (default: all): app names of tools/deploy/images.txt
#                   and `kafka`, `redis`; --apps and --stages are older names of this option
#   --gpu           also build the CUDA images (docker/stage.gpu.Dockerfile) of the apps
#                   whose stages run on a GPU
#   --gpu-offline   the same from docker/stage.gpu-offline.Dockerfile: no nvidia/cuda base
#                   image and no NuGet, the CUDA libraries from Maven Central
#   --engine E      podman (default) or docker
#   --ca-file FILE  extra CA certificates (PEM) npm must trust during the build, for a
#                   TLS-intercepting proxy (default: $BUILD_CA_FILE, else $NODE_EXTRA_CA_CERTS;
#                   --ca-file '' turns it off); podman only. Maven in the Kafka build then
#                   uses the Java trust store $BUILD_JAVA_TRUSTSTORE (default: the host's
#                   /etc/ssl/certs/java/cacerts, which Debian keeps in step with the CAs)
#   --dry-run       print the commands, build nothing
#
# Stage images: ghcr.io/conveyor-ml/conveyor-<app>:<tag>. The first build runs `npm ci`
# (needs the npm registry; the GPU image also needs api.nuget.org); the others reuse
# those cached layers, which do not depend on APP. Kafka and Redis need Debian's package
# mirror (and Maven Central for Kafka's jars), no image registry.
#
# Podman on the development machines (docs/architecture.md, "Deployment") needs three settings, passed
# here as flags so that no system file changes: the runc runtime (crun fails on
# their cgroup layout), ulimits no higher than the session's own (podman's
# defaults raise them and fail with "setrlimit ... operation not permitted"),
# and the host's network. No image registry is reachable there either, so the
# base images must exist locally first: tools/deploy/build-base-images.sh makes
# debian:bookworm-slim and node:24-bookworm-slim; the CUDA base (nvidia/cuda) cannot be made locally.
# Where the registry is reached through a TLS-intercepting proxy, npm in the
# build must trust the proxy's CA like the host's Node does (NODE_EXTRA_CA_CERTS):
# the CA goes in through a build-time mount, never into an image layer.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
REGISTRY="${REGISTRY:-ghcr.io/conveyor-ml}"
NODE_IMAGE="${NODE_IMAGE:-node:24-bookworm-slim}"
DEBIAN_IMAGE="${DEBIAN_IMAGE:-debian:bookworm-slim}"
CUDA_IMAGE="${CUDA_IMAGE:-nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04}"
ULIMIT_NOFILE="${ULIMIT_NOFILE:-16384:16384}"
ULIMIT_NPROC="${ULIMIT_NPROC:-8192:8192}"
IMAGES_FILE="${IMAGES_FILE:-$ROOT/tools/deploy/images.txt}"
ca_file="${BUILD_CA_FILE-${NODE_EXTRA_CA_CERTS:-}}"
java_truststore="${BUILD_JAVA_TRUSTSTORE:-/etc/ssl/certs/java/cacerts}"

tag=dev engine=podman gpu=false gpu_offline=false dry_run=false

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }
die() {
  echo "build-images: $*" >&2
  exit 2
}

# APP DOCKERFILE GPU_DOCKERFILE per stage app (GPU_DOCKERFILE `-` for none), then
# infra:NAME DOCKERFILE IMAGE per infrastructure image.
ALL_APPS=() ALL_INFRA=()
declare -A DOCKERFILE=() GPU_DOCKERFILE=() INFRA_IMAGE=()
[ -r "$IMAGES_FILE" ] || die "cannot read $IMAGES_FILE (run \`npm run generate\`)"
while read -r name dockerfile third; do
  case "$name" in '' | '#'*) continue ;; esac
  if [[ "$name" == infra:* ]]; then
    name="${name#infra:}"
    ALL_INFRA+=("$name")
    DOCKERFILE[$name]="$dockerfile"
    INFRA_IMAGE[$name]="$third"
    continue
  fi
  ALL_APPS+=("$name")
  DOCKERFILE[$name]="$dockerfile"
  [ "${third:--}" = - ] || GPU_DOCKERFILE[$name]="$third"
done < "$IMAGES_FILE"
((${#ALL_APPS[@]})) || die "$IMAGES_FILE lists no app"
images=("${ALL_APPS[@]}" "${ALL_INFRA[@]}")

while (($#)); do
  # --name=value (as `nx run <app>:image --tag=x` passes options) is --name value.
  if [[ "$1" == --*=* ]]; then
    set -- "${1%%=*}" "${1#*=}" "${@:2}"
  fi
  case "$1" in
    --tag)
      [ $# -ge 2 ] || die "--tag needs a value"
      tag="$2"
      shift 2
      ;;
    --images | --apps | --stages)
      [ $# -ge 2 ] || die "$1 needs a value"
      IFS=, read -r -a images <<< "$2"
      shift 2
      ;;
    --gpu)
      gpu=true
      shift
      ;;
    --gpu-offline)
      gpu=true gpu_offline=true
      shift
      ;;
    --engine)
      [ $# -ge 2 ] || die "--engine needs a value"
      engine="$2"
      shift 2
      ;;
    --ca-file)
      [ $# -ge 2 ] || die "--ca-file needs a value"
      ca_file="$2"
      shift 2
      ;;
    --dry-run)
      dry_run=true
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

# Docker's tag grammar; a bad tag fails here rather than after a long build.
[[ "$tag" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,122}$ ]] || die "invalid tag '$tag'"
is_infra() { [ -n "${INFRA_IMAGE[$1]:-}" ]; }
apps=()
for name in "${images[@]}"; do
  if is_infra "$name"; then continue; fi
  [[ " ${ALL_APPS[*]} " == *" $name "* ]] || die "unknown image '$name' (apps: ${ALL_APPS[*]}; infrastructure: ${ALL_INFRA[*]})"
  apps+=("$name")
done
case "$engine" in
  podman) engine_cmd=(podman --runtime runc) ;;
  docker) engine_cmd=(docker) ;;
  *) die "--engine must be podman or docker, got '$engine'" ;;
esac

run() {
  printf '+ %s\n' "$*"
  $dry_run || "$@"
}

image_exists() {
  $dry_run && return 0
  case "$engine" in
    podman) podman image exists "$1" ;;
    docker) docker image inspect "$1" > /dev/null 2>&1 ;;
  esac
}

if ! $dry_run && ! command -v "$engine" > /dev/null; then
  die "$engine is not installed"
fi
if [ "$engine" = podman ]; then
  # Only the bases this run needs: the stage images start from Node's, Kafka and Redis from Debian's.
  bases=()
  ((${#apps[@]})) && bases+=("$NODE_IMAGE")
  ((${#apps[@]} < ${#images[@]})) && bases+=("$DEBIAN_IMAGE")
  for base in "${bases[@]}"; do
    image_exists "$base" \
      || die "base image $base is not available locally: run tools/deploy/build-base-images.sh first (no registry is reachable from the development machines)"
  done
fi

build_args=(
  build
  --network host
  --ulimit "nofile=$ULIMIT_NOFILE"
  --ulimit "nproc=$ULIMIT_NPROC"
)

# npm reads its global config from $PREFIX/etc/npmrc, /usr/local/etc/npmrc in the
# node image, where that directory exists and is empty. Mounting a directory over
# it for the build, rather than a file into it, leaves no empty mount point behind
# in the layers. npm's `cafile` replaces Node's built-in roots instead of adding to
# them, so the bundle is Node's roots followed by the extra CA, which is what
# NODE_EXTRA_CA_CERTS means to Node.
if [ -n "$ca_file" ]; then
  [ -r "$ca_file" ] || die "CA file '$ca_file' is not readable (--ca-file, BUILD_CA_FILE or NODE_EXTRA_CA_CERTS)"
  if [ "$engine" != podman ]; then
    echo "build-images: docker build has no build-time mounts; npm in the build will not trust $ca_file" >&2
    ca_file=""
  fi
fi
if [ -n "$ca_file" ]; then
  CA_DIR="$(mktemp -d)"
  trap 'rm -rf "$CA_DIR"' EXIT
  if ! $dry_run; then
    {
      "${NODE_BIN:-$ROOT/node_modules/node/bin/node}" -p "require('tls').rootCertificates.join('\\n')"
      cat "$ca_file"
    } > "$CA_DIR/build-ca.crt"
    printf 'cafile=/usr/local/etc/build-ca.crt\n' > "$CA_DIR/npmrc"
    # Maven (the Kafka image's jars) reads a Java trust store, not PEM.
    if [ -r "$java_truststore" ]; then cp "$java_truststore" "$CA_DIR/java-cacerts"; fi
    chmod 0755 "$CA_DIR"
    chmod 0644 "$CA_DIR"/*
  fi
  build_args+=(--volume "$CA_DIR:/usr/local/etc:ro")
fi

if ! $dry_run; then
  for name in "${images[@]}"; do
    [ -f "$ROOT/${DOCKERFILE[$name]}" ] || die "${DOCKERFILE[$name]} (image $name) does not exist"
  done
fi

built=()
for name in "${images[@]}"; do
  if is_infra "$name"; then
    image="${INFRA_IMAGE[$name]}"
    run "${engine_cmd[@]}" "${build_args[@]}" --build-arg "DEBIAN_IMAGE=$DEBIAN_IMAGE" \
      -f "$ROOT/${DOCKERFILE[$name]}" -t "$image" "$ROOT"
  else
    image="$REGISTRY/conveyor-$name:$tag"
    run "${engine_cmd[@]}" "${build_args[@]}" --build-arg "NODE_IMAGE=$NODE_IMAGE" --build-arg "APP=$name" \
      -f "$ROOT/${DOCKERFILE[$name]}" -t "$image" "$ROOT"
  fi
  built+=("$image")
done

if $gpu; then
  for app in "${apps[@]}"; do
    [ -n "${GPU_DOCKERFILE[$app]:-}" ] || continue
    image="$REGISTRY/conveyor-$app:$tag-cuda"
    if $gpu_offline; then
      run "${engine_cmd[@]}" "${build_args[@]}" --build-arg "NODE_IMAGE=$NODE_IMAGE" --build-arg "DEBIAN_IMAGE=$DEBIAN_IMAGE" \
        --build-arg "APP=$app" -f "$ROOT/docker/stage.gpu-offline.Dockerfile" -t "$image" "$ROOT"
      built+=("$image")
    elif image_exists "$CUDA_IMAGE"; then
      run "${engine_cmd[@]}" "${build_args[@]}" --build-arg "NODE_IMAGE=$NODE_IMAGE" --build-arg "APP=$app" --build-arg "CUDA_IMAGE=$CUDA_IMAGE" \
        -f "$ROOT/${GPU_DOCKERFILE[$app]}" -t "$image" "$ROOT"
      built+=("$image")
    else
      echo "build-images: skipping $image: base image $CUDA_IMAGE is not available locally (pull it where a registry is reachable)" >&2
    fi
  done
fi

printf 'build-images: %s\n' "${built[@]}"
