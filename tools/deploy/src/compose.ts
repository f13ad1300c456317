import { topicName } from '@conveyor/pipeline';
import {
  flowOf,
  infraImage,
  optionalGpu,
  PLATFORM,
  requiredGpu,
  stageRecords,
  type DeployContext,
  type StageRecord,
} from './model';
import { generatedHeader, listing, wrap } from './text';
import { alias, anchored, commented, flow, MERGE, spaced, yamlFile } from './yaml';

const stopGracePeriod = () => `${PLATFORM.shutdownGraceMs / 1000 + PLATFORM.graceMarginSeconds}s`;
const gpuReservation = {
  resources: { reservations: { devices: [{ driver: 'nvidia', count: 1, capabilities: flow(['gpu']) }] } },
};

/** A stage's compose image: the app's image, `-cuda` tagged for its GPU variant. */
function composeImage(s: StageRecord, gpu: boolean): string {
  return `${s.image}:\${CONVEYOR_TAG:-dev}${gpu ? '-cuda' : ''}`;
}

/** The environment of a stage's compose service beyond the shared one. */
function stageEnv(s: StageRecord, gpu: boolean): Record<string, string> {
  return {
    OTEL_SERVICE_NAME: s.otelService,
    ...s.env,
    ...(s.stage.gpu === 'optional' && !gpu ? { ORT_EXECUTION_PROVIDERS: 'cpu' } : {}),
    ...(gpu ? s.gpuEnv : {}),
  };
}

function stageService(s: StageRecord): unknown {
  const gpu = requiredGpu(s);
  return commented(
    wrap(`${s.pipeline.name}/${s.stage.name} (app ${s.app}): ${s.stage.description ?? ''}`.trim()) + `\n${flowOf(s)}`,
    {
      [MERGE]: alias('stage'),
      image: composeImage(s, gpu),
      build: { context: '.', dockerfile: gpu ? s.gpuDockerfile : s.dockerfile, args: { APP: s.app } },
      environment: { [MERGE]: alias('stage-env'), ...stageEnv(s, gpu) },
      ...(gpu ? { deploy: gpuReservation } : {}),
    },
  );
}

/** compose.yaml: the platform services, the observability profile and one service per pipeline stage. */
export function renderCompose(ctx: DeployContext): string {
  const stages = stageRecords(ctx);
  const inputs = ctx.pipelines.map((p) => topicName(p, p.input.topic));
  const gpuStages = stages.filter(optionalGpu).map((s) => s.service);
  const header = generatedHeader(
    'tools/deploy/src/compose.ts',
    [
      'Conveyor, the whole platform on one machine: `docker compose up --build`.',
      wrap(
        `Apache Kafka (KRaft, single node), Redis and the stage services of every pipeline (${ctx.pipelines
          .map((p) => `${p.name}: ${p.stages.map((st) => `${p.name}-${st.name}`).join(', ')}`)
          .join('; ')}), each built from docker/stage.Dockerfile with its app as the build argument APP. ` +
          'Kafka and Redis are built too, from Debian packages and Maven Central (docker/kafka.Dockerfile, ' +
          'docker/redis.Dockerfile): no image registry is needed.',
        96,
      ),
      'Observability in the profile `observability` (`docker compose --profile observability up --build`',
      'or COMPOSE_PROFILES=observability): OpenTelemetry Collector -> Jaeger, Prometheus + Grafana.',
      '',
      `  producers on the host:  KAFKA_BROKERS=localhost:9092 (KAFKA_HOST_PORT), topics ${inputs.join(', ')}`,
      '  Jaeger UI http://localhost:16686   Prometheus http://localhost:9090',
      '  Grafana   http://localhost:3000 (dashboard "Conveyor stages")   Redis localhost:6379',
      '',
      gpuStages.length > 0
        ? `GPU stages (${listing(gpuStages)}): docker compose -f compose.yaml -f compose.gpu.yaml up --build`
        : 'No stage runs on a GPU optionally; compose.gpu.yaml changes nothing.',
      'Variables (all optional): CONVEYOR_TAG, LOG_LEVEL, TOPIC_PREFIX, TOPIC_PARTITIONS, DLQ_PARTITIONS,',
      'KAFKA_HOST_PORT, REDIS_HOST_PORT. docker/README.md explains every file.',
      "Works with Docker Compose v2, Debian's docker-compose 1.29 and podman-compose 1.0.3, hence:",
      '- no top-level `name:` (docker-compose 1.29 and podman-compose reject it; `-p conveyor` names the project);',
      '- `${TOPIC_PREFIX}`, never `${TOPIC_PREFIX:-}`: podman-compose 1.0.3 leaves a `:-` with an empty default',
      '  in the value as it is; an unset TOPIC_PREFIX is empty everywhere (Docker Compose warns that it is unset);',
      '- podman-compose 1.0.3 ignores `profiles` (it starts the observability services too) and GPU reservations.',
    ].join('\n'),
  );

  const stageDefaults = anchored('stage', {
    restart: 'unless-stopped',
    read_only: true,
    user: `${PLATFORM.uid}:${PLATFORM.uid}`,
    tmpfs: ['/tmp:size=64m,mode=1777'],
    cap_drop: ['ALL'],
    security_opt: ['no-new-privileges:true'],
    stop_signal: 'SIGTERM',
    stop_grace_period: commented(
      `Longer than SHUTDOWN_GRACE_MS (${PLATFORM.shutdownGraceMs / 1000} s), so a drain finishes before the SIGKILL.`,
      stopGracePeriod(),
    ),
    volumes: commented('The healthcheck script (the images carry no curl).', [
      './docker/healthcheck.js:/conveyor/healthcheck.js:ro',
    ]),
    healthcheck: {
      test: commented(
        [
          'Exec form whose words need no shell quoting. Docker Compose runs it as it is; podman-compose',
          '1.0.3 joins the words into a `/bin/sh -c` string, quoting each word on its own, which breaks',
          'a word with quotes or parentheses (so no `node -e "fetch(\'...\')"` one-liner here).',
        ].join('\n'),
        flow(['CMD', 'node', '/conveyor/healthcheck.js', `http://127.0.0.1:${PLATFORM.httpPort}/health/ready`], true),
      ),
      interval: '10s',
      timeout: '5s',
      retries: 3,
      start_period: '60s',
    },
    depends_on: commented(
      [
        'Not on the otel-collector: it is in the `observability` profile, and a stage whose OTLP',
        'export fails (no collector) runs on, without traces.',
      ].join('\n'),
      {
        kafka: { condition: 'service_healthy' },
        topics: { condition: 'service_completed_successfully' },
        redis: { condition: 'service_healthy' },
      },
    ),
  });

  const stageEnvDefaults = anchored('stage-env', {
    KAFKA_BROKERS: 'kafka:19092',
    REDIS_URL: 'redis://redis:6379',
    LOG_LEVEL: '${LOG_LEVEL:-info}',
    HTTP_PORT: String(PLATFORM.httpPort),
    TOPIC_PREFIX: '${TOPIC_PREFIX}',
    SHUTDOWN_GRACE_MS: String(PLATFORM.shutdownGraceMs),
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
  });

  const kafka = infraImage(ctx, 'kafka');
  const redis = infraImage(ctx, 'redis');
  const kafkaBuild = { context: '.', dockerfile: kafka.dockerfile };
  const observability = flow(['observability']);
  const services: Record<string, unknown> = {
    kafka: {
      image: kafka.image,
      build: kafkaBuild,
      hostname: 'kafka',
      read_only: true,
      tmpfs: commented("Its generated server.properties and the JVM's scratch files; data is on the volume.", [
        '/tmp:size=64m,mode=1777',
      ]),
      ports: commented('Host producers: the EXTERNAL listener, advertised as localhost:<the same port>.', [
        '${KAFKA_HOST_PORT:-9092}:9092',
      ]),
      environment: {
        CLUSTER_ID: 'zBc1enAfRtuiB9_NSWYwkw',
        KAFKA_NODE_ID: 1,
        KAFKA_PROCESS_ROLES: 'broker,controller',
        KAFKA_CONTROLLER_QUORUM_VOTERS: '1@kafka:9093',
        KAFKA_LISTENERS: 'INTERNAL://:19092,EXTERNAL://:9092,CONTROLLER://:9093',
        KAFKA_ADVERTISED_LISTENERS: 'INTERNAL://kafka:19092,EXTERNAL://localhost:${KAFKA_HOST_PORT:-9092}',
        KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT',
        KAFKA_INTER_BROKER_LISTENER_NAME: 'INTERNAL',
        KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
        KAFKA_AUTO_CREATE_TOPICS_ENABLE: commented(
          'Topics come from the `topics` service only: a typo in a topic name fails loudly.',
          'false',
        ),
        KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: 1,
        KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: 1,
        KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: 1,
        KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: 1,
        KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: 1,
        KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: commented('Stages join their groups without the default 3 s wait.', 0),
        KAFKA_LOG_DIRS: '/var/lib/kafka/data',
        KAFKA_HEAP_OPTS: '-Xmx512m',
      },
      volumes: ['kafka-data:/var/lib/kafka/data'],
      healthcheck: {
        test: commented(
          'An ApiVersions request answered without error (docker/kafka/kafka-ready.sh; bash, no JVM).',
          flow(['CMD', '/opt/kafka/bin/kafka-ready.sh', '127.0.0.1', '19092'], true),
        ),
        interval: '5s',
        timeout: '10s',
        retries: 24,
        start_period: '20s',
      },
    },
    topics: commented(
      'One-shot: creates the pipeline and dead-letter topics listed in docker/kafka/topics.txt, then exits 0.',
      {
        image: kafka.image,
        build: kafkaBuild,
        read_only: true,
        tmpfs: ['/tmp:size=16m,mode=1777'],
        entrypoint: flow(['/bin/bash', '/conveyor/create-topics.sh'], true),
        environment: {
          BOOTSTRAP_SERVER: 'kafka:19092',
          TOPIC_PREFIX: '${TOPIC_PREFIX}',
          TOPIC_PARTITIONS: `\${TOPIC_PARTITIONS:-${PLATFORM.composePartitions}}`,
          DLQ_PARTITIONS: '${DLQ_PARTITIONS:-1}',
          KAFKA_HEAP_OPTS: '-Xmx128m',
        },
        volumes: [
          './docker/kafka/create-topics.sh:/conveyor/create-topics.sh:ro',
          './docker/kafka/topics.txt:/conveyor/topics.txt:ro',
        ],
        restart: 'no',
        depends_on: { kafka: { condition: 'service_healthy' } },
      },
    ),
    redis: {
      image: redis.image,
      build: { context: '.', dockerfile: redis.dockerfile },
      read_only: true,
      tmpfs: ['/tmp:size=16m,mode=1777'],
      command: commented(
        [
          'Results and claim checks carry TTLs; nothing here needs to survive a restart. Without',
          'a password, Redis refuses other containers unless protected mode is off.',
        ].join('\n'),
        flow(['redis-server', '--bind', '0.0.0.0', '--protected-mode', 'no', '--save', '', '--appendonly', 'no'], true),
      ),
      ports: ['${REDIS_HOST_PORT:-6379}:6379'],
      healthcheck: { test: flow(['CMD', 'redis-cli', 'ping'], true), interval: '5s', timeout: '3s', retries: 10 },
    },
    'otel-collector': {
      image: 'otel/opentelemetry-collector-contrib:0.139.0',
      profiles: observability,
      command: flow(['--config=/etc/otelcol-contrib/config.yaml'], true),
      volumes: ['./docker/otel-collector.yaml:/etc/otelcol-contrib/config.yaml:ro'],
      ports: commented(
        'OTLP for processes on the host (e.g. `npm start` with OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318).',
        ['4317:4317', '4318:4318'],
      ),
      depends_on: ['jaeger'],
    },
    jaeger: commented('Jaeger v2 all-in-one (in-memory storage); receives OTLP from the collector.', {
      image: 'jaegertracing/jaeger:2.11.0',
      profiles: observability,
      environment: { JAEGER_LISTEN_HOST: '0.0.0.0' },
      ports: ['16686:16686'],
    }),
    prometheus: {
      image: 'prom/prometheus:v3.5.0',
      profiles: observability,
      command: [
        '--config.file=/etc/prometheus/prometheus.yml',
        '--storage.tsdb.path=/prometheus',
        '--storage.tsdb.retention.time=2d',
      ],
      volumes: ['./docker/prometheus.yml:/etc/prometheus/prometheus.yml:ro', 'prometheus-data:/prometheus'],
      ports: ['9090:9090'],
    },
    grafana: {
      image: 'grafana/grafana:12.1.0',
      profiles: observability,
      environment: {
        GF_AUTH_ANONYMOUS_ENABLED: 'true',
        GF_AUTH_ANONYMOUS_ORG_ROLE: 'Viewer',
        GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH: '/etc/conveyor/dashboards/conveyor-stages.json',
      },
      volumes: [
        './docker/grafana/provisioning:/etc/grafana/provisioning:ro',
        './docker/grafana/dashboards:/etc/conveyor/dashboards:ro',
      ],
      ports: ['3000:3000'],
      depends_on: ['prometheus'],
    },
  };
  for (const s of stages) services[s.service] = stageService(s);

  return yamlFile(header, [
    spaced({
      'x-stage': commented(
        'Settings every stage service shares: hardened container, health-gated start.',
        stageDefaults,
      ),
      'x-stage-env': stageEnvDefaults,
      services: spaced(services),
      volumes: { 'kafka-data': null, 'prometheus-data': null },
    }),
  ]);
}

/** compose.gpu.yaml: the stages with `gpu: 'optional'` on an NVIDIA GPU. */
export function renderComposeGpu(ctx: DeployContext): string {
  const stages = stageRecords(ctx).filter(optionalGpu);
  const header = generatedHeader(
    'tools/deploy/src/compose.ts',
    [
      'GPU stages on top of compose.yaml:',
      '  docker compose -f compose.yaml -f compose.gpu.yaml up --build',
      'Needs an NVIDIA driver for CUDA 12 and the NVIDIA Container Toolkit on the host.',
      wrap(
        `Only the stages whose definition says gpu: 'optional' change (${listing(stages.map((s) => s.service)) || 'none'}): ` +
          'the CUDA image (docker/stage.gpu.Dockerfile with APP=<app>, tag <tag>-cuda), the CUDA execution provider first ' +
          '(CPU as fallback) and batches large enough to pay off on a GPU.',
        96,
      ),
    ].join('\n'),
  );
  const services: Record<string, unknown> = {};
  for (const s of stages) {
    services[s.service] = {
      image: composeImage(s, true),
      build: { context: '.', dockerfile: s.gpuDockerfile, args: { APP: s.app } },
      environment: s.gpuEnv,
      deploy: gpuReservation,
    };
  }
  return yamlFile(header, [{ services: spaced(services) }]);
}
