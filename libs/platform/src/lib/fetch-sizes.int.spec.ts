import { createHash, randomBytes } from 'node:crypto';
import { ocrPipeline } from '@conveyor/pipelines';
import { createTopics, deleteGroups, deleteTopicsWithPrefix, kafkaBrokers, testKafka, uniqueName, withAdmin } from '@conveyor/testing';
import { Kafka, logLevel } from 'kafkajs';

/*
 * Can a stage's consumer, with kafkajs 2.2.4's default fetch sizes
 * (maxBytesPerPartition 1 MiB, maxBytes 10 MiB, which the stage runtime does
 * not change), read the requests the input topics now allow (max.message.bytes
 * 20 MiB + 64 KiB)? Kafka answers Fetch v3+ (kafkajs uses v11) with the whole
 * first record batch of the first non-empty partition even when it is larger
 * than both limits (KIP-74), so a consumer always makes progress; a later
 * partition of the same response gets at most its remaining share, which for
 * an oversized batch is a truncated one that kafkajs drops, and it is read by
 * a later fetch. kafkajs shuffles the partition order of every fetch, so no
 * partition waits for good.
 */
jest.setTimeout(180_000);

const topicLimit = Number(ocrPipeline.topics['requests'].config!['max.message.bytes']);
const MiB = 1024 * 1024;

interface RawFetchPartition {
  partition: number;
  errorCode: number;
  messages: Array<{ offset: string; value: Buffer | null }>;
}
interface RawFetchBroker {
  fetch(request: {
    maxWaitTime: number;
    minBytes: number;
    maxBytes: number;
    isolationLevel: number;
    topics: Array<{ topic: string; partitions: Array<{ partition: number; fetchOffset: string; maxBytes: number }> }>;
  }): Promise<{ responses: Array<{ topicName: string; partitions: RawFetchPartition[] }> }>;
}
interface RawCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(query: { nodeId: string }): Promise<RawFetchBroker>;
}

/** One Fetch request, as kafkajs' consumer sends it, through kafkajs' own (internal) cluster and broker classes. */
async function rawFetch(topic: string, partitions: number[], limits: { maxBytes: number; maxBytesPerPartition: number }): Promise<RawFetchPartition[]> {
  const kafka = new Kafka({ clientId: 'fetch-sizes-raw', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
  const symbol = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  if (!symbol) throw new Error('kafkajs internals changed: no createCluster (this test reads kafkajs 2.2.4 internals)');
  const createCluster = (kafka as unknown as Record<symbol, (options: object) => RawCluster>)[symbol];
  const cluster = createCluster({});
  await cluster.connect();
  try {
    await cluster.addTargetTopic(topic);
    const [nodeId, led] = Object.entries(cluster.findLeaderForPartitions(topic, partitions))[0];
    expect(led.sort()).toEqual(partitions);
    const broker = await cluster.findBroker({ nodeId });
    const { responses } = await broker.fetch({
      maxWaitTime: 500,
      minBytes: 1,
      maxBytes: limits.maxBytes,
      isolationLevel: 1,
      topics: [{ topic, partitions: partitions.map((partition) => ({ partition, fetchOffset: '0', maxBytes: limits.maxBytesPerPartition })) }],
    });
    return responses.flatMap((r) => r.partitions).sort((a, b) => a.partition - b.partition);
  } finally {
    await cluster.disconnect();
  }
}

const sha = (b: Buffer | null): string => createHash('sha256').update(b ?? Buffer.alloc(0)).digest('hex');

describe('fetching requests up to the input topics\' limit', () => {
  const prefix = `${uniqueName('fetch')}.`;
  const topic = `${prefix}requests`;
  // Two large requests per partition, the second as large as the topic allows (less room for the batch header).
  const sizes = [8.5 * MiB, topicLimit - 1024];
  const sent = new Map<string, { partition: number; sha: string; bytes: number }>();
  const groups: string[] = [];

  beforeAll(async () => {
    await withAdmin((admin) =>
      createTopics(admin, [{ topic, numPartitions: 2, configEntries: [{ name: 'max.message.bytes', value: String(topicLimit) }] }]),
    );
    const producer = testKafka('fetch-sizes').producer({ idempotent: true, allowAutoTopicCreation: false });
    await producer.connect();
    try {
      for (const size of sizes) {
        for (const partition of [0, 1]) {
          const key = `p${partition}-${size}`;
          const value = randomBytes(Math.floor(size));
          await producer.send({ topic, acks: -1, messages: [{ key, value, partition }] });
          sent.set(key, { partition, sha: sha(value), bytes: value.length });
        }
      }
    } finally {
      await producer.disconnect();
    }
  });

  afterAll(async () => {
    await withAdmin((admin) => deleteGroups(admin, groups));
    await deleteTopicsWithPrefix(prefix);
  });

  it('with kafkajs\' default limits, a fetch returns the oversized first record of one partition whole and drops the truncated rest', async () => {
    const partitions = await rawFetch(topic, [0, 1], { maxBytes: 10 * MiB, maxBytesPerPartition: 1 * MiB });
    expect(partitions.map((p) => p.errorCode)).toEqual([0, 0]);
    const counts = partitions.map((p) => p.messages.length).sort();
    expect(counts).toEqual([0, 1]);
    const whole = partitions.find((p) => p.messages.length === 1)!.messages[0];
    expect(whole.offset).toBe('0');
    expect(whole.value!.length).toBe(Math.floor(sizes[0]));
    expect(whole.value!.length).toBeGreaterThan(8 * MiB); // larger than maxBytesPerPartition and most of maxBytes
  });

  it('with a per-partition limit at the topic limit, one fetch returns the first record of every partition', async () => {
    const partitions = await rawFetch(topic, [0, 1], { maxBytes: 2 * topicLimit, maxBytesPerPartition: topicLimit });
    expect(partitions.map((p) => p.messages.length)).toEqual([1, 1]);
  });

  it('a consumer with kafkajs\' defaults (as the stages run) receives every request intact, up to the topic limit', async () => {
    const groupId = uniqueName('fetch-sizes-group');
    groups.push(groupId);
    const consumer = testKafka('fetch-sizes-consumer').consumer({ groupId, allowAutoTopicCreation: false });
    const received = new Map<string, { partition: number; sha: string; bytes: number }>();
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      let resolveAll!: () => void;
      const all = new Promise<void>((resolve) => (resolveAll = resolve));
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          received.set(message.key!.toString(), { partition, sha: sha(message.value), bytes: message.value?.length ?? 0 });
          if (received.size === sent.size) resolveAll();
        },
      });
      await all;
    } finally {
      await consumer.disconnect();
    }
    expect(received).toEqual(sent);
    expect(Math.max(...[...received.values()].map((r) => r.bytes))).toBeGreaterThan(20 * MiB);
  });
});
