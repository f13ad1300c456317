#!/usr/bin/env bash
# Creates Conveyor's topics on a broker whose auto topic creation is off.
# Runs in the apache/kafka image (compose service `topics`); safe to run again
# (--if-not-exists). It never alters an existing topic: raise partitions with
# kafka-topics.sh --alter yourself (a key's partition changes when you do).
#
# The topics come from topics.txt beside this script, which `npm run generate`
# writes from the pipeline definitions (pipelines/*/pipeline.ts): one topic a
# line, `NAME KIND PARTITIONS [CONFIG=VALUE ...]`.
#
# Environment:
#   BOOTSTRAP_SERVER   broker to talk to                      (default kafka:19092)
#   TOPIC_PREFIX       prepended to every name, as the stages do (default '')
#   TOPIC_PARTITIONS   partitions of a pipeline topic whose definition names none (default 6)
#   DLQ_PARTITIONS     partitions of each dead-letter topic   (default 1)
#   DLQ_RETENTION_MS   how long dead letters are kept         (default 14 days)
#   TOPICS_FILE        the topic list                         (default topics.txt beside this script)
set -euo pipefail

BOOTSTRAP_SERVER="${BOOTSTRAP_SERVER:-kafka:19092}"
TOPIC_PREFIX="${TOPIC_PREFIX:-}"
TOPIC_PARTITIONS="${TOPIC_PARTITIONS:-6}"
DLQ_PARTITIONS="${DLQ_PARTITIONS:-1}"
DLQ_RETENTION_MS="${DLQ_RETENTION_MS:-1209600000}"
TOPICS_FILE="${TOPICS_FILE:-$(dirname "${BASH_SOURCE[0]}")/topics.txt}"
KAFKA_TOPICS="${KAFKA_TOPICS:-/opt/kafka/bin/kafka-topics.sh}"

positive_int() {
  if ! [[ "$2" =~ ^[1-9][0-9]*$ ]]; then
    echo "create-topics: $1 must be a positive integer, got '$2'" >&2
    exit 2
  fi
}
positive_int TOPIC_PARTITIONS "$TOPIC_PARTITIONS"
positive_int DLQ_PARTITIONS "$DLQ_PARTITIONS"
positive_int DLQ_RETENTION_MS "$DLQ_RETENTION_MS"
if ! [[ "$TOPIC_PREFIX" =~ ^[A-Za-z0-9._-]*$ ]]; then
  echo "create-topics: TOPIC_PREFIX may contain only ASCII letters, digits, '.', '_' and '-', got '$TOPIC_PREFIX'" >&2
  exit 2
fi
if [ ! -r "$TOPICS_FILE" ]; then
  echo "create-topics: cannot read the topic list $TOPICS_FILE (run \`npm run generate\`, or mount it)" >&2
  exit 2
fi

create() {
  local name="${TOPIC_PREFIX}$1" partitions="$2"
  shift 2
  "$KAFKA_TOPICS" --bootstrap-server "$BOOTSTRAP_SERVER" --create --if-not-exists \
    --topic "$name" --partitions "$partitions" --replication-factor 1 "$@"
  echo "create-topics: $name ready (${partitions} partition(s) requested)"
}

count=0
while read -r -a fields; do
  # Blank lines and comments.
  if [ "${#fields[@]}" -eq 0 ] || [[ "${fields[0]}" == \#* ]]; then continue; fi
  if [ "${#fields[@]}" -lt 3 ]; then
    echo "create-topics: $TOPICS_FILE: expected NAME KIND PARTITIONS [CONFIG=VALUE ...], got '${fields[*]}'" >&2
    exit 2
  fi
  name="${fields[0]}" kind="${fields[1]}" partitions="${fields[2]}"
  args=()
  case "$kind" in
    pipeline) default_partitions="$TOPIC_PARTITIONS" ;;
    dead-letter)
      default_partitions="$DLQ_PARTITIONS"
      args+=(--config "retention.ms=${DLQ_RETENTION_MS}")
      ;;
    *)
      echo "create-topics: $TOPICS_FILE: unknown kind '$kind' of $name (pipeline or dead-letter)" >&2
      exit 2
      ;;
  esac
  [ "$partitions" = - ] && partitions="$default_partitions"
  positive_int "partitions of $name" "$partitions"
  for config in "${fields[@]:3}"; do
    # Dead letters keep DLQ_RETENTION_MS whatever their input topic keeps.
    if [ "$kind" = dead-letter ] && [[ "$config" == retention.ms=* ]]; then continue; fi
    args+=(--config "$config")
  done
  create "$name" "$partitions" "${args[@]}"
  count=$((count + 1))
done < "$TOPICS_FILE"

if [ "$count" -eq 0 ]; then
  echo "create-topics: $TOPICS_FILE lists no topic" >&2
  exit 2
fi
"$KAFKA_TOPICS" --bootstrap-server "$BOOTSTRAP_SERVER" --list
