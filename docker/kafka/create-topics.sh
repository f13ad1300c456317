#!/usr/bin/env bash
# Creates Conveyor's topics on a broker whose auto topic creation is off.
# Runs in the apache/kafka image (compose service `topics`); safe to run again
# (--if-not-exists). It never alters an existing topic: raise partitions with
# kafka-topics.sh --alter yourself (a key's partition changes when you do).
#
# Environment:
#   BOOTSTRAP_SERVER   broker to talk to                     (default kafka:19092)
#   TOPIC_PREFIX       prepended to every name, as the stages do (default '')
#   TOPIC_PARTITIONS   partitions of each pipeline topic      (default 6)
#   DLQ_PARTITIONS     partitions of each dead-letter topic   (default 1)
#   DLQ_RETENTION_MS   how long dead letters are kept         (default 14 days)
set -euo pipefail

BOOTSTRAP_SERVER="${BOOTSTRAP_SERVER:-kafka:19092}"
TOPIC_PREFIX="${TOPIC_PREFIX:-}"
TOPIC_PARTITIONS="${TOPIC_PARTITIONS:-6}"
DLQ_PARTITIONS="${DLQ_PARTITIONS:-1}"
DLQ_RETENTION_MS="${DLQ_RETENTION_MS:-1209600000}"
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

# Pipeline order (DESIGN.md §1); every stage's input topic has a dead-letter twin.
PIPELINE_TOPICS=(ocr.requests ocr.preprocessed ocr.regions ocr.recognized ocr.results)
DEAD_LETTER_TOPICS=(ocr.requests.dlq ocr.preprocessed.dlq ocr.regions.dlq ocr.recognized.dlq)

create() {
  local name="${TOPIC_PREFIX}$1" partitions="$2"
  shift 2
  "$KAFKA_TOPICS" --bootstrap-server "$BOOTSTRAP_SERVER" --create --if-not-exists \
    --topic "$name" --partitions "$partitions" --replication-factor 1 "$@"
  echo "create-topics: $name ready (${partitions} partition(s) requested)"
}

for topic in "${PIPELINE_TOPICS[@]}"; do
  create "$topic" "$TOPIC_PARTITIONS"
done
for topic in "${DEAD_LETTER_TOPICS[@]}"; do
  create "$topic" "$DLQ_PARTITIONS" --config "retention.ms=${DLQ_RETENTION_MS}"
done

"$KAFKA_TOPICS" --bootstrap-server "$BOOTSTRAP_SERVER" --list
