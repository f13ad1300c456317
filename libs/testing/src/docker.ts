import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';

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

/** The Confluent image whose Kafka matches ours best (cp-kafka 8.0 = Apache Kafka 4.0, KRaft). */
export const KAFKA_TEST_IMAGE = 'confluentinc/cp-kafka:8.0.0';

/**
 * Starts Kafka with testcontainers; used only when no Java is installed but Docker is.
 * testcontainers is required lazily so machines without Docker never load it.
 */
export async function startKafkaContainer(): Promise<{ brokers: string; stop(): Promise<void> }> {
  // Required here, not imported at the top: optional, loaded only where Docker exists.
  const { KafkaContainer } = require('@testcontainers/kafka') as typeof import('@testcontainers/kafka');
  const container = await new KafkaContainer(KAFKA_TEST_IMAGE)
    .withEnvironment({ KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false' })
    .start();
  return {
    brokers: `${container.getHost()}:${container.getMappedPort(9093)}`,
    stop: async () => {
      await container.stop();
    },
  };
}
