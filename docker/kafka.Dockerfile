# Conveyor's Apache Kafka image: a single-node KRaft broker + controller (compose.yaml's
# `kafka` and `topics` services), built from Debian's packages and Maven Central only,
# so no image registry is needed. Build from the repository root:
#   docker build -f docker/kafka.Dockerfile -t localhost/conveyor-kafka:4.1.1 .
# (tools/deploy/build-images.sh --infra builds it with the tag compose.yaml names).
#
# The broker is the one the project runs locally (tools/kafka/pom.xml pins the version),
# plus kafka-tools for the command-line tools (docker/kafka/pom.xml). It reads its
# configuration from KAFKA_* variables like the apache/kafka image (docker/kafka/kafka-run.sh).

ARG DEBIAN_IMAGE=debian:bookworm-slim

# ---- jre: Debian's Java 17 runtime, shared by the jar fetch and the release ----
FROM ${DEBIAN_IMAGE} AS jre
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openjdk-17-jre-headless \
 && rm -rf /var/lib/apt/lists/*

# ---- jars: the broker's class path from Maven Central ----
FROM jre AS jars
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends maven \
 && rm -rf /var/lib/apt/lists/*
COPY tools/kafka/pom.xml /src/tools/kafka/pom.xml
COPY docker/kafka/pom.xml /src/docker/kafka/pom.xml
# Behind a TLS-intercepting proxy, tools/deploy/build-images.sh mounts a Java trust store
# with its CA at /usr/local/etc/java-cacerts for this step only; no layer keeps it.
RUN if [ -f /usr/local/etc/java-cacerts ]; then \
      export MAVEN_OPTS="-Djavax.net.ssl.trustStore=/usr/local/etc/java-cacerts"; \
    fi \
 && mvn -B -q -f /src/docker/kafka/pom.xml -Dmaven.repo.local=/tmp/m2 \
      dependency:copy-dependencies -DoutputDirectory=/opt/kafka/libs \
 && ls /opt/kafka/libs/kafka-tools-[0-9]*.jar /opt/kafka/libs/kafka_2.13-*.jar \
 && rm -rf /tmp/m2

# ---- release: JRE + jars + the scripts, run as uid 1000 (as the apache/kafka image) ----
# No VOLUME: compose mounts a named volume on /var/lib/kafka/data; an image VOLUME would leave
# an anonymous volume behind every container that does not (the one-shot `topics`).
FROM jre AS release
RUN groupadd --system --gid 1000 kafka \
 && useradd --system --uid 1000 --gid 1000 --home-dir /tmp --no-create-home --shell /usr/sbin/nologin kafka \
 && mkdir -p /var/lib/kafka/data /opt/kafka/bin /opt/kafka/config \
 && chown kafka:kafka /var/lib/kafka/data
COPY --from=jars /opt/kafka/libs /opt/kafka/libs
COPY docker/kafka/log4j2.properties /opt/kafka/config/log4j2.properties
COPY docker/kafka/kafka-run.sh docker/kafka/kafka-run-class.sh docker/kafka/kafka-ready.sh /opt/kafka/bin/
# The commands of Kafka's distribution that compose, the healthcheck and people use; the
# command-line tools log at WARN (KAFKA_TOOLS_LOG4J_LOGLEVEL), the server at INFO.
RUN set -eu; cd /opt/kafka/bin; \
    wrap() { printf '#!/bin/sh\n%bexec /opt/kafka/bin/kafka-run-class.sh %s "$@"\n' "$3" "$2" > "$1.sh"; chmod 0755 "$1.sh"; }; \
    wrap kafka-server-start kafka.Kafka ''; \
    wrap kafka-storage kafka.tools.StorageTool ''; \
    tool='export KAFKA_LOG4J_ROOT_LOGLEVEL="${KAFKA_TOOLS_LOG4J_LOGLEVEL:-WARN}"\n'; \
    wrap kafka-topics org.apache.kafka.tools.TopicCommand "$tool"; \
    wrap kafka-broker-api-versions org.apache.kafka.tools.BrokerApiVersionsCommand "$tool"; \
    wrap kafka-consumer-groups org.apache.kafka.tools.consumer.group.ConsumerGroupCommand "$tool"; \
    wrap kafka-get-offsets org.apache.kafka.tools.GetOffsetShell "$tool"; \
    wrap kafka-console-consumer org.apache.kafka.tools.consumer.ConsoleConsumer "$tool"; \
    wrap kafka-console-producer org.apache.kafka.tools.ConsoleProducer "$tool"; \
    chmod 0755 kafka-run.sh kafka-run-class.sh kafka-ready.sh
ENV PATH=/opt/kafka/bin:$PATH
USER 1000:1000
WORKDIR /tmp
EXPOSE 9092
# The broker is PID 1 (kafka-run.sh execs it) and shuts down cleanly on SIGTERM.
STOPSIGNAL SIGTERM
CMD ["/opt/kafka/bin/kafka-run.sh"]
