// Pins: topics are created explicitly with a partition count, listed and deleted
// through the kafkajs admin; the broker never creates a topic on its own.
import type { Admin } from 'kafkajs';
import { createTopics, deleteTopics, testKafka, uniqueName } from '../index';

jest.setTimeout(120_000);

describe('Kafka admin (kafkajs 2.2.4 against the pinned broker)', () => {
  const kafka = testKafka('contract-admin');
  let admin: Admin;
  const created: string[] = [];

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });
  afterAll(async () => {
    await deleteTopics(admin, created);
    await admin.disconnect();
  });

  it('creates topics with the requested partitions, lists and deletes them', async () => {
    const three = uniqueName('admin-three');
    const one = uniqueName('admin-one');
    created.push(three, one);
    await createTopics(admin, [{ topic: three, numPartitions: 3 }, one]);

    expect(await admin.listTopics()).toEqual(expect.arrayContaining([three, one]));
    const { topics } = await admin.fetchTopicMetadata({ topics: [three, one] });
    const partitionsOf = (name: string): number[] =>
      topics
        .find((t) => t.name === name)!
        .partitions.map((p) => p.partitionId)
        .sort();
    expect(partitionsOf(three)).toEqual([0, 1, 2]);
    expect(partitionsOf(one)).toEqual([0]);
    for (const topic of topics) for (const p of topic.partitions) expect(p.leader).toBeGreaterThanOrEqual(0);

    await expect(createTopics(admin, [three])).rejects.toThrow(/already exist/);

    await admin.deleteTopics({ topics: [three, one] });
    const deadline = Date.now() + 30_000;
    while ((await admin.listTopics()).some((t) => t === three || t === one) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(await admin.listTopics()).not.toEqual(expect.arrayContaining([three]));
    expect(await admin.listTopics()).not.toEqual(expect.arrayContaining([one]));
  });

  it('does not create topics automatically (auto.create.topics.enable=false)', async () => {
    const missing = uniqueName('admin-missing');
    const producer = testKafka('contract-admin-missing').producer({ retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 200 } });
    await producer.connect();
    try {
      await expect(producer.send({ topic: missing, messages: [{ value: 'x' }] })).rejects.toThrow(
        /This server does not host this topic-partition/,
      );
    } finally {
      await producer.disconnect();
    }
    expect(await admin.listTopics()).not.toContain(missing);
  });
});
