import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { findFreePort, findWorkspaceRoot, newClusterId, readPinnedKafkaVersion } from '@conveyor/kafka-local';

type Env = Record<string, string | undefined>;

function canConnect(options: net.NetConnectOpts, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(options);
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Whether DOCKER_HOST names an endpoint that accepts connections. */
async function dockerHostReachable(dockerHost: string, timeoutMs: number): Promise<boolean> {
  if (dockerHost.startsWith('unix://')) {
    const socketPath = dockerHost.slice('unix://'.length);
    return existsSync(socketPath) && canConnect({ path: socketPath }, timeoutMs);
  }
  const match = /^(?:tcp|http|https):\/\/([^:/]+):(\d+)/.exec(dockerHost);
  return match ? canConnect({ host: match[1], port: Number(match[2]) }, timeoutMs) : false;
}

/**
 * Whether a Docker engine answers here: DOCKER_HOST set and reachable, or `docker info`
 * succeeding. A `docker` CLI without a running daemon (as on the development machines)
 * counts as no engine.
 */
export async function isDockerAvailable(env: Env = process.env, timeoutMs = 5000): Promise<boolean> {
  const dockerHost = env['DOCKER_HOST'];
  if (dockerHost && (await dockerHostReachable(dockerHost, timeoutMs))) return true;
  return new Promise((resolve) => {
    execFile('docker', ['info', '--format', '{{.ServerVersion}}'], { env, timeout: timeoutMs }, (error, stdout) =>
      resolve(!error && stdout.trim().length > 0),
    );
  });
}

/**
 * The images the testcontainers path runs: the project's own Kafka and Redis images
 * (docker/kafka.Dockerfile, docker/redis.Dockerfile; `tools/deploy/build-images.sh
 * --images kafka,redis` builds them from Debian packages and Maven Central, no registry
 * needed). The Kafka image is the pinned Kafka of tools/kafka/pom.xml, so the
 * containers test against the same broker as the local runs. CONVEYOR_KAFKA_IMAGE and
 * CONVEYOR_REDIS_IMAGE name others.
 */
export function testImages(env: Env = process.env): { kafka: string; redis: string } {
  return {
    kafka: env['CONVEYOR_KAFKA_IMAGE']?.trim() || `ghcr.io/conveyor-ml/conveyor-kafka:${pinnedKafkaVersion()}`,
    redis: env['CONVEYOR_REDIS_IMAGE']?.trim() || 'ghcr.io/conveyor-ml/conveyor-redis:7.0-bookworm',
  };
}

function pinnedKafkaVersion(): string {
  return readPinnedKafkaVersion(readFileSync(join(findWorkspaceRoot(), 'tools', 'kafka', 'pom.xml'), 'utf8'));
}

/** Where the tests reach published container ports: TESTCONTAINERS_HOST_OVERRIDE, else this machine. */
const containerHost = (env: Env) => env['TESTCONTAINERS_HOST_OVERRIDE']?.trim() || 'localhost';

/**
 * Starts a single-node KRaft broker from the Kafka image with testcontainers; used when
 * CONVEYOR_TEST_KAFKA=docker, or with no Java but a Docker-compatible engine. The host
 * port is chosen before the start because the broker must advertise it. testcontainers
 * is required lazily so machines without an engine never load it.
 */
export async function startKafkaContainer(env: Env = process.env): Promise<{ brokers: string; stop(): Promise<void> }> {
  // Required here, not imported at the top: optional, loaded only where an engine exists.
  const { GenericContainer, Wait } = require('testcontainers') as typeof import('testcontainers');
  const host = containerHost(env);
  const port = await findFreePort();
  const container = await new GenericContainer(testImages(env).kafka)
    .withEnvironment({
      CLUSTER_ID: newClusterId(),
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://${host}:${port}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_HEAP_OPTS: '-Xmx512m',
    })
    .withExposedPorts({ container: 9092, host: port })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .withStartupTimeout(180_000)
    .start();
  return {
    brokers: `${host}:${port}`,
    stop: async () => {
      await container.stop();
    },
  };
}

/** Starts Redis from the Redis image with testcontainers (CONVEYOR_TEST_REDIS=docker). */
export async function startRedisContainer(env: Env = process.env): Promise<{ url: string; stop(): Promise<void> }> {
  const { RedisContainer } = require('@testcontainers/redis') as typeof import('@testcontainers/redis');
  // The image's redis-server without a password refuses clients from outside the container unless protected mode is off.
  const container = await new RedisContainer(testImages(env).redis)
    .withCommand(['redis-server', '--protected-mode', 'no', '--save', '', '--appendonly', 'no'])
    .start();
  return {
    url: `redis://${containerHost(env)}:${container.getPort()}`,
    stop: async () => {
      await container.stop();
    },
  };
}
