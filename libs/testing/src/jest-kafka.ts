import { JavaNotFoundError, resolveJava, startKafka } from '@conveyor/kafka-local';
import { isDockerAvailable, startKafkaContainer, startRedisContainer } from './docker';

/*
 * One broker per Jest run, shared by every worker through KAFKA_BROKERS (workers are
 * forked after global setup and inherit the environment).
 *
 * Who owns the broker is recorded on globalThis of the Jest parent process, where both
 * global setup and teardown run. A second setup call in the same run (a project config
 * referring to the same files, run from the root config) finds KAFKA_BROKERS set and
 * reuses the broker, and only the call that started it stops it.
 */
const OWNED = Symbol.for('conveyor.testing.ownedKafka');
const OWNED_REDIS = Symbol.for('conveyor.testing.ownedRedis');

interface OwnedKafka {
  brokers: string;
  stop(): Promise<void>;
}

interface OwnedRedis {
  url: string;
  stop(): Promise<void>;
}

type GlobalWithKafka = typeof globalThis & { [OWNED]?: OwnedKafka; [OWNED_REDIS]?: OwnedRedis };

export type TestKafkaProvider = 'external' | 'local' | 'docker';

type Env = Record<string, string | undefined>;

/**
 * Which Kafka the tests get: KAFKA_BROKERS if set; otherwise the project's own Kafka
 * (Java) — the same version everywhere — or, on a machine with Docker but no Java, a
 * testcontainers broker. CONVEYOR_TEST_KAFKA=local|docker forces the choice.
 */
export async function chooseTestKafkaProvider(env: Env = process.env): Promise<TestKafkaProvider> {
  if (env['KAFKA_BROKERS']?.trim()) return 'external';
  const forced = env['CONVEYOR_TEST_KAFKA']?.trim();
  if (forced === 'local' || forced === 'docker') return forced;
  if (forced) throw new Error(`CONVEYOR_TEST_KAFKA must be "local" or "docker", got "${forced}"`);
  try {
    resolveJava(env);
    return 'local';
  } catch (error) {
    if (error instanceof JavaNotFoundError && (await isDockerAvailable(env))) return 'docker';
    throw error;
  }
}

export async function setUpTestKafka(): Promise<void> {
  const provider = await chooseTestKafkaProvider();
  if (provider === 'external') return;
  const started = Date.now();
  const kafka = provider === 'docker' ? await startKafkaContainer() : await startKafka({});
  process.env['KAFKA_BROKERS'] = kafka.brokers;
  (globalThis as GlobalWithKafka)[OWNED] = kafka;
  process.stderr.write(`\n[testing] Kafka (${provider}) ready on ${kafka.brokers} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

export async function tearDownTestKafka(): Promise<void> {
  const state = globalThis as GlobalWithKafka;
  const owned = state[OWNED];
  if (!owned) return;
  delete state[OWNED];
  if (process.env['KAFKA_BROKERS'] === owned.brokers) delete process.env['KAFKA_BROKERS'];
  await owned.stop();
}

export type TestRedisProvider = 'external' | 'docker';

/**
 * Which Redis the tests get: REDIS_URL (default the local redis://127.0.0.1:6379, see
 * redis.ts) unless CONVEYOR_TEST_REDIS=docker asks for a Redis container for the run
 * (and REDIS_URL is not set).
 */
export function chooseTestRedisProvider(env: Env = process.env): TestRedisProvider {
  if (env['REDIS_URL']?.trim()) return 'external';
  const forced = env['CONVEYOR_TEST_REDIS']?.trim();
  if (!forced || forced === 'external') return 'external';
  if (forced === 'docker') return 'docker';
  throw new Error(`CONVEYOR_TEST_REDIS must be "docker" (or unset), got "${forced}"`);
}

export async function setUpTestRedis(): Promise<void> {
  if (chooseTestRedisProvider() !== 'docker') return;
  const started = Date.now();
  const redis = await startRedisContainer();
  process.env['REDIS_URL'] = redis.url;
  (globalThis as GlobalWithKafka)[OWNED_REDIS] = redis;
  process.stderr.write(`[testing] Redis (docker) ready on ${redis.url} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

export async function tearDownTestRedis(): Promise<void> {
  const state = globalThis as GlobalWithKafka;
  const owned = state[OWNED_REDIS];
  if (!owned) return;
  delete state[OWNED_REDIS];
  if (process.env['REDIS_URL'] === owned.url) delete process.env['REDIS_URL'];
  await owned.stop();
}
