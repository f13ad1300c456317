import { Kafka, logLevel, type Admin, type ITopicConfig } from 'kafkajs';
import { parseBrokerList } from '@conveyor/kafka-local';
import { uniqueName } from './names';

/** The brokers of this test run, from KAFKA_BROKERS (set by the Jest global setup). */
export function kafkaBrokers(env: Record<string, string | undefined> = process.env): string[] {
  const value = env['KAFKA_BROKERS'];
  if (!value?.trim()) {
    throw new Error(
      'KAFKA_BROKERS is not set: run the tests through a Jest config whose globalSetup is libs/testing/src/global-setup.js (the root jest.config.js has it), or set KAFKA_BROKERS to a running broker.',
    );
  }
  return parseBrokerList(value);
}

/**
 * A kafkajs client for the test broker. Silent by default: kafkajs logs retriable
 * broker answers (coordinator loading, rebalancing) as errors, and real failures reach
 * the test as rejected promises anyway. Pass a level to see its logs.
 */
export function testKafka(clientId = 'conveyor-test', level: logLevel = logLevel.NOTHING): Kafka {
  return new Kafka({ clientId, brokers: kafkaBrokers(), logLevel: level });
}

/** Runs `work` with a connected admin client and always disconnects it. */
export async function withAdmin<T>(work: (admin: Admin) => Promise<T>, kafka: Kafka = testKafka('conveyor-test-admin')): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

export type TopicSpec = string | (Omit<ITopicConfig, 'topic'> & { topic: string });

/**
 * Creates topics (a name alone means one partition) and waits until each has a leader.
 * An existing topic is an error: tests use uniqueName(), so a clash means a bug.
 */
export async function createTopics(admin: Admin, topics: TopicSpec[]): Promise<string[]> {
  const configs = topics.map((spec) => (typeof spec === 'string' ? { topic: spec, numPartitions: 1 } : spec));
  const created = await admin.createTopics({ topics: configs, waitForLeaders: true });
  if (!created) throw new Error(`Topics already exist: ${configs.map((c) => c.topic).join(', ')}`);
  return configs.map((c) => c.topic);
}

/** Deletes topics; ones that are already gone are fine (cleanup must not fail a test). */
export async function deleteTopics(admin: Admin, topics: string[]): Promise<void> {
  if (topics.length === 0) return;
  const existing = new Set(await admin.listTopics());
  const toDelete = topics.filter((topic) => existing.has(topic));
  if (toDelete.length > 0) await admin.deleteTopics({ topics: toDelete, timeout: 30_000 });
}

/** Deletes consumer groups left by a test; unknown or already-empty groups are fine. */
export async function deleteGroups(admin: Admin, groupIds: string[]): Promise<void> {
  if (groupIds.length === 0) return;
  try {
    await admin.deleteGroups(groupIds);
  } catch {
    // Groups that never committed do not exist; a member still leaving keeps a group
    // alive for a moment. Neither should fail the test that created them.
  }
}

export interface ReceivedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

export interface ConsumeOptions {
  topic: string;
  count: number;
  /** Default: a fresh unique group reading from the beginning. */
  groupId?: string;
  timeoutMs?: number;
  kafka?: Kafka;
}

/**
 * Reads `count` messages from a topic with a throw-away consumer and disconnects.
 * Keys, values and headers are copied: kafkajs hands out slices of the whole fetch
 * response, which must not be kept.
 */
export async function consumeMessages(options: ConsumeOptions): Promise<ReceivedMessage[]> {
  const kafka = options.kafka ?? testKafka('conveyor-test-consumer');
  const consumer = kafka.consumer({ groupId: options.groupId ?? uniqueName('collect'), maxWaitTimeInMs: 250 });
  const received: ReceivedMessage[] = [];
  const copy = (buffer: Buffer | null): Buffer | null => (buffer ? Buffer.from(buffer) : null);
  const timeoutMs = options.timeoutMs ?? 30_000;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: options.topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`Received ${received.length} of ${options.count} messages from ${options.topic} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      consumer
        .run({
          // No commits: a throw-away group leaves nothing behind on the broker.
          autoCommit: false,
          eachMessage: async ({ topic, partition, message }) => {
            const headers: ReceivedMessage['headers'] = {};
            for (const [name, value] of Object.entries(message.headers ?? {})) {
              headers[name] = Array.isArray(value)
                ? value.map((v) => (Buffer.isBuffer(v) ? Buffer.from(v) : v))
                : Buffer.isBuffer(value)
                  ? Buffer.from(value)
                  : value;
            }
            received.push({ topic, partition, offset: message.offset, key: copy(message.key), value: copy(message.value), headers });
            if (received.length >= options.count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return received;
}

/** Deletes every topic whose name starts with `prefix` (a test's TOPIC_PREFIX), and the prefixed consumer groups. */
export async function deleteTopicsWithPrefix(prefix: string): Promise<void> {
  if (!prefix) throw new Error('deleteTopicsWithPrefix needs a non-empty prefix');
  await withAdmin(async (admin) => {
    await deleteTopics(admin, (await admin.listTopics()).filter((topic) => topic.startsWith(prefix)));
    const { groups } = await admin.listGroups();
    await deleteGroups(admin, groups.map((g) => g.groupId).filter((id) => id.startsWith(prefix)));
  });
}
