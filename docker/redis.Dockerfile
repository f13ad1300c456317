# Conveyor's Redis image (compose.yaml's `redis` service): Debian's redis-server package,
# so no image registry is needed. Build from the repository root:
#   docker build -f docker/redis.Dockerfile -t ghcr.io/conveyor-ml/conveyor-redis:7.0-bookworm .
# (tools/deploy/build-images.sh --infra builds it with the tag compose.yaml names).
#
# No configuration file: the command line says everything (compose passes
# `--protected-mode no --save '' --appendonly no`: results and claim checks carry TTLs and
# nothing needs to survive a restart). Runs as Debian's `redis` user; /tmp is its only
# writable directory, so the root filesystem can be read-only.

ARG DEBIAN_IMAGE=debian:bookworm-slim

FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/* \
 && redis-server --version
USER redis
WORKDIR /tmp
EXPOSE 6379
STOPSIGNAL SIGTERM
# Without --protected-mode no, Redis refuses clients from other containers (it has no password).
CMD ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--dir", "/tmp", "--save", "", "--appendonly", "no"]
