#!/usr/bin/env bash
# kafka-run-class.sh of Conveyor's Kafka image: runs a class of the broker's class path
# (/opt/kafka/libs, the jars of docker/kafka/pom.xml) on the image's Java, with the
# JVM settings of Kafka's own script: KAFKA_HEAP_OPTS (default -Xmx256m), KAFKA_OPTS,
# KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_LOG4J_OPTS (default: the image's console config).
# kafka-topics.sh, kafka-storage.sh and the other commands of the image call it.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: kafka-run-class.sh CLASS [ARGS...]" >&2; exit 2; }
# Word splitting of the *_OPTS variables is intended, as in Kafka's script.
# shellcheck disable=SC2086
exec java ${KAFKA_HEAP_OPTS:--Xmx256m} \
  ${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true} \
  ${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile=/opt/kafka/config/log4j2.properties} \
  ${KAFKA_OPTS:-} \
  -cp '/opt/kafka/libs/*' "$@"
