#!/usr/bin/env bash
# Healthcheck of Conveyor's Kafka image (compose.yaml's `kafka` service):
#
#   kafka-ready.sh [HOST] [PORT]     (default 127.0.0.1 9092)
#
# Sends the broker an ApiVersions request (version 0, which every Kafka answers) and exits 0
# when the answer carries error code 0: the broker is up and serving requests, not merely
# listening. Plain bash (/dev/tcp) rather than kafka-broker-api-versions.sh, whose JVM costs
# seconds of CPU on every check and outlasts the check's timeout on a busy 2-core machine.
set -euo pipefail
host="${1:-127.0.0.1}" port="${2:-9092}"
exec 3<> "/dev/tcp/$host/$port"
# size 11 | api_key 18 (ApiVersions) | api_version 0 | correlation_id 1 | client_id "h"
printf '\x00\x00\x00\x0b\x00\x12\x00\x00\x00\x00\x00\x01\x00\x01h' >&3
reply="$(timeout "${KAFKA_READY_TIMEOUT:-5}" head -c 10 <&3 | od -An -tx1 | tr -d ' \n')"
# size (4 bytes) | correlation_id 1 | error_code 0
[[ "$reply" =~ ^[0-9a-f]{8}000000010000$ ]]
