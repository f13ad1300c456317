#!/usr/bin/env bash
# Runs Jest with the tests' Kafka and Redis in containers (testcontainers), on podman's
# Docker-compatible API instead of a Docker engine:
#
#   tools/containers/testcontainers.sh [JEST ARGS...]
#   e.g. tools/containers/testcontainers.sh libs/stage-runtime/src/integration/stage-runtime.int.spec.ts
#
# It starts `podman system service --time=0` on a socket of its own, points
# testcontainers at it and runs `npx jest --ci JEST ARGS` with:
#
#   DOCKER_HOST=unix://<socket>          podman's Docker API (Docker Engine API v1.40 compatible)
#   TESTCONTAINERS_RYUK_DISABLED=true    no Ryuk reaper: its image (testcontainers/ryuk) would come
#                                        from Docker Hub; the global teardown stops the containers
#   CONVEYOR_TEST_KAFKA=docker           libs/testing starts Kafka from ghcr.io/conveyor-ml/conveyor-kafka
#   CONVEYOR_TEST_REDIS=docker           and Redis from ghcr.io/conveyor-ml/conveyor-redis (REDIS_URL unset)
#
# The images must exist locally: tools/deploy/build-images.sh --images kafka,redis (no
# registry needed). Podman's settings come from tools/containers/containers.conf unless
# CONTAINERS_CONF is set. The service stops when Jest ends; no container is left.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$ROOT/tools/containers/containers.conf}"
command -v podman > /dev/null || { echo "testcontainers: podman is not installed" >&2; exit 2; }

RUN_DIR="$(mktemp -d)"
SOCKET="$RUN_DIR/podman.sock"
podman system service --time=0 "unix://$SOCKET" > "$RUN_DIR/service.log" 2>&1 &
service=$!
cleanup() {
  kill "$service" 2> /dev/null || true
  wait "$service" 2> /dev/null || true
  rm -rf "$RUN_DIR"
}
trap cleanup EXIT
for _ in $(seq 1 100); do
  [ -S "$SOCKET" ] && break
  kill -0 "$service" 2> /dev/null || { cat "$RUN_DIR/service.log" >&2; exit 2; }
  sleep 0.1
done
[ -S "$SOCKET" ] || { echo "testcontainers: podman system service did not open $SOCKET" >&2; exit 2; }

unset KAFKA_BROKERS REDIS_URL
export DOCKER_HOST="unix://$SOCKET" TESTCONTAINERS_RYUK_DISABLED=true
export CONVEYOR_TEST_KAFKA=docker CONVEYOR_TEST_REDIS=docker NX_DAEMON=false NX_NO_CLOUD=true
npx jest --ci "$@"
