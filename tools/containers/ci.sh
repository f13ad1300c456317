#!/usr/bin/env bash
# The containers part of CI (.ci/run), after `npm test`:
#
#   tools/containers/ci.sh [testcontainers | full]
#
#   testcontainers (default)  the tests' Kafka and Redis in containers through testcontainers on
#                             podman's Docker API (tools/containers/testcontainers.sh): the Kafka
#                             contract suite and the OCR pipeline e2e, so both harness paths of
#                             libs/testing run in every CI run. Cold: about 10 min (podman from
#                             Debian, the base images by debootstrap, the Kafka and Redis images).
#   full                      first the compose end-to-end test (tools/containers/e2e.sh: every
#                             image, podman-compose, kill and heal; 10-15 min warm, 30-35 cold),
#                             then the same suites.
#
# First tools/deploy/validate.sh with every validator it can use installed (docker-compose and
# podman-compose read the compose files, kustomize renders, yamllint, shellcheck; hadolint is not
# in Debian): deployment files checked by the real tools, not only by the Jest rules.
# As root it installs what is missing from Debian's packages (podman, runc, debootstrap, CNI
# plugins, the validators) and makes the base images, as .ci/run does for Prometheus.
# Exit 77 (and a line saying why) when podman cannot run here; other failures are failures.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
mode="${1:-testcontainers}"
case "$mode" in testcontainers | full) ;; *) echo "containers ci: unknown mode '$mode' (testcontainers | full)" >&2; exit 2 ;; esac
export CONTAINERS_CONF="${CONTAINERS_CONF:-$ROOT/tools/containers/containers.conf}"
SKIP=77

packages=(podman runc debootstrap uidmap containernetworking-plugins golang-github-containernetworking-plugin-dnsname
  podman-compose docker-compose yamllint shellcheck)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" > /dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "containers ci: missing ${missing[*]} and this is not root (apt-get install -y ${missing[*]})" >&2
    exit $SKIP
  fi
  (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null 2>&1) ||
    (apt-get update -qq > /dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null) ||
    { echo "containers ci: could not install ${missing[*]} from Debian's packages" >&2; exit $SKIP; }
fi
podman info > /dev/null 2>&1 || { echo "containers ci: podman does not work here: $(podman info 2>&1 | tail -1)" >&2; exit $SKIP; }

tools/deploy/validate.sh

started=$SECONDS
if [ "$mode" = full ]; then
  tools/containers/e2e.sh # builds every image, the base images included
else
  if [ "$(id -u)" -eq 0 ]; then
    tools/deploy/build-base-images.sh
  fi
  tools/deploy/build-images.sh --images kafka,redis
fi
echo "containers ci: images ready after $((SECONDS - started)) s"
tools/containers/testcontainers.sh libs/testing/src/kafka-contract tests/e2e/src/ocr-pipeline.e2e.spec.ts
echo "containers ci: $mode done in $((SECONDS - started)) s"
