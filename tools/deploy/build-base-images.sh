#!/usr/bin/env bash
# Makes the base images the Dockerfiles start from, debian:bookworm-slim (Kafka,
# Redis) and node:24-bookworm-slim (the stage images), locally with podman, for
# machines that reach Debian's package mirror but no image registry
# (docs/architecture.md, "Deployment"). Run as root:
#
#   tools/deploy/build-base-images.sh [--force] [--dry-run]
#
#   docker.io/library/debian:bookworm-slim   debootstrap --variant=minbase of bookworm
#   docker.io/library/node:24-bookworm-slim  that + Node 24 from node_modules/node
#                                            (the `node` devDependency) + the machine's npm
#
# Tagged with the names the Dockerfiles use, podman then takes them instead of
# pulling. Like the official image, it has user `node` (uid 1000) and node/npm/npx
# in /usr/local/bin; unlike it, no yarn. Existing images are kept unless --force.
# The CUDA base of docker/stage.gpu.Dockerfile cannot be made this way.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
DEBIAN_IMAGE=docker.io/library/debian:bookworm-slim
NODE_IMAGE=docker.io/library/node:24-bookworm-slim
NODE_BIN="${NODE_BIN:-$ROOT/node_modules/node/bin/node}"
NPM_DIR="${NPM_DIR:-$(npm root -g 2> /dev/null || echo /usr/lib/node_modules)/npm}"
ULIMITS=(--ulimit "nofile=${ULIMIT_NOFILE:-16384:16384}" --ulimit "nproc=${ULIMIT_NPROC:-8192:8192}")
PODMAN=(podman --runtime runc)

force=false dry_run=false
for arg in "$@"; do
  case "$arg" in
    --force) force=true ;;
    --dry-run) dry_run=true ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "build-base-images: unknown argument '$arg'" >&2
      exit 2
      ;;
  esac
done

run() {
  printf '+ %s\n' "$*"
  $dry_run || "$@"
}
wanted() { $force || $dry_run || ! podman image exists "$1"; }
need() { command -v "$1" > /dev/null || { echo "build-base-images: $1 is not installed ($2)" >&2; exit 2; }; }

if ! $dry_run; then
  need podman "apt-get install -y podman"
  need debootstrap "apt-get install -y debootstrap"
  [ "$(id -u)" -eq 0 ] || { echo "build-base-images: debootstrap needs root" >&2; exit 2; }
fi
[ -x "$NODE_BIN" ] || { echo "build-base-images: no Node binary at $NODE_BIN (npm ci installs the node devDependency)" >&2; exit 2; }
node_version="$("$NODE_BIN" --version)"
[[ "$node_version" == v24.* ]] || { echo "build-base-images: $NODE_BIN is $node_version, not Node 24" >&2; exit 2; }
[ -f "$NPM_DIR/bin/npm-cli.js" ] || { echo "build-base-images: no npm at $NPM_DIR (set NPM_DIR)" >&2; exit 2; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

if wanted "$DEBIAN_IMAGE"; then
  run debootstrap --variant=minbase bookworm "$WORK/rootfs" "$MIRROR"
  # Slim like the official image: no apt lists, docs or locales.
  run rm -rf "$WORK/rootfs/var/lib/apt/lists" "$WORK/rootfs/usr/share/doc" "$WORK/rootfs/usr/share/man" \
    "$WORK/rootfs/usr/share/locale" "$WORK/rootfs/var/cache/apt/archives"
  run mkdir -p "$WORK/rootfs/var/lib/apt/lists/partial"
  run tar --numeric-owner -C "$WORK/rootfs" -cf "$WORK/rootfs.tar" .
  run "${PODMAN[@]}" import --change 'CMD ["bash"]' "$WORK/rootfs.tar" "$DEBIAN_IMAGE"
else
  echo "build-base-images: $DEBIAN_IMAGE exists (--force rebuilds it)"
fi

if wanted "$NODE_IMAGE"; then
  ctx="$WORK/node"
  mkdir -p "$ctx"
  run cp "$NODE_BIN" "$ctx/node"
  run cp -a "$NPM_DIR" "$ctx/npm"
  cat > "$ctx/Containerfile" << EOF
FROM $DEBIAN_IMAGE
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && groupadd --gid 1000 node \\
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \\
 && node --version && npm --version
ENV NODE_VERSION=${node_version#v}
CMD ["node"]
EOF
  $dry_run && sed 's/^/    /' "$ctx/Containerfile"
  run "${PODMAN[@]}" build --network host "${ULIMITS[@]}" -f "$ctx/Containerfile" -t "$NODE_IMAGE" "$ctx"
else
  echo "build-base-images: $NODE_IMAGE exists (--force rebuilds it)"
fi
