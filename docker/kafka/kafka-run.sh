#!/usr/bin/env bash
# Entry point of Conveyor's Kafka image (docker/kafka.Dockerfile): a single-node KRaft
# broker + controller configured from the environment the way the apache/kafka image
# reads it, so compose.yaml's `kafka` service works with either image:
#
#   KAFKA_<NAME>   the broker property <name>, lower-cased, `_` -> `.`, `__` -> `_`,
#                  `___` -> `-` (KAFKA_LOG_DIRS -> log.dirs,
#                  KAFKA_LISTENER_SECURITY_PROTOCOL_MAP -> listener.security.protocol.map);
#                  the JVM settings KAFKA_HEAP_OPTS, KAFKA_OPTS, KAFKA_JVM_PERFORMANCE_OPTS,
#                  KAFKA_LOG4J_OPTS, KAFKA_JMX_OPTS, KAFKA_GC_LOG_OPTS and the log levels
#                  KAFKA_LOG4J_ROOT_LOGLEVEL, KAFKA_TOOLS_LOG4J_LOGLEVEL are no properties
#   CLUSTER_ID     the KRaft cluster id the empty log dir is formatted with (required once)
#
# Formats the first log dir unless it holds meta.properties already (a volume keeps the
# cluster, its topics and offsets across restarts), then execs the broker as PID 1 so
# SIGTERM reaches it. The generated server.properties goes to /tmp: the image runs
# with a read-only root filesystem.
set -euo pipefail

KAFKA_HOME=/opt/kafka
CONFIG_DIR=/tmp/kafka-config
PROPERTIES="$CONFIG_DIR/server.properties"

jvm_setting() {
  case "$1" in
    KAFKA_HEAP_OPTS | KAFKA_OPTS | KAFKA_JVM_PERFORMANCE_OPTS | KAFKA_LOG4J_OPTS | KAFKA_JMX_OPTS | KAFKA_GC_LOG_OPTS) return 0 ;;
    KAFKA_LOG4J_ROOT_LOGLEVEL | KAFKA_TOOLS_LOG4J_LOGLEVEL) return 0 ;;
    *) return 1 ;;
  esac
}

# KAFKA_FOO__BAR___BAZ_QUX -> foo_bar-baz.qux
property_name() {
  local name="${1#KAFKA_}"
  name="${name,,}"
  name="${name//___/-}"
  name="${name//__/@}"
  name="${name//_/.}"
  printf '%s' "${name//@/_}"
}

mkdir -p "$CONFIG_DIR"
: > "$PROPERTIES"
while IFS='=' read -r -d '' var value; do
  [[ "$var" == KAFKA_* ]] || continue
  jvm_setting "$var" && continue
  # Java .properties: a backslash would start an escape.
  printf '%s=%s\n' "$(property_name "$var")" "${value//\\/\\\\}" >> "$PROPERTIES"
done < <(env -0)

if ! grep -q '^process\.roles=' "$PROPERTIES"; then
  echo "kafka-run: set KAFKA_PROCESS_ROLES (and the other KAFKA_* settings of a KRaft node)" >&2
  exit 2
fi
log_dirs="$(sed -n 's/^log\.dirs=//p' "$PROPERTIES")"
log_dirs="${log_dirs:-/var/lib/kafka/data}"
grep -q '^log\.dirs=' "$PROPERTIES" || echo "log.dirs=$log_dirs" >> "$PROPERTIES"
first_log_dir="${log_dirs%%,*}"

if [ ! -f "$first_log_dir/meta.properties" ]; then
  if [ -z "${CLUSTER_ID:-}" ]; then
    echo "kafka-run: $first_log_dir is not formatted and CLUSTER_ID is not set" >&2
    exit 2
  fi
  format=(format --ignore-formatted --cluster-id "$CLUSTER_ID" --config "$PROPERTIES")
  # A static quorum names its voters; without them this node is the single voter of a
  # dynamic quorum (KIP-853), which needs --standalone.
  grep -q '^controller\.quorum\.voters=' "$PROPERTIES" || format+=(--standalone)
  KAFKA_HEAP_OPTS=-Xmx128m "$KAFKA_HOME/bin/kafka-storage.sh" "${format[@]}"
fi

exec "$KAFKA_HOME/bin/kafka-run-class.sh" kafka.Kafka "$PROPERTIES"
