// Pins the commit semantics the stage runtime relies on: a committed offset is where
// the group resumes, and with eachBatch + autoCommit false only resolved offsets are
// committed (resolveOffset(n) commits n + 1, and a later, lower resolve overwrites).
//
// A kafkajs 2.2.4 trap pinned here: with autoCommit false (and no autoCommitInterval or
// autoCommitThreshold), `commitOffsetsIfNecessary()` without arguments commits NOTHING;
// pass the offsets: `commitOffsetsIfNecessary(uncommittedOffsets())`.
import type { Admin, Kafka } from 'kafkajs';
import { createTopics, deleteGroups, deleteTopics, testKafka, uniqueName } from '../index';

jest.setTimeout(120_000);

async function produce(kafka: Kafka, topic: string, count: number): Promise<void> {
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: Array.from({ length: count }, (_, i) => ({ key: 'k', value: `m${i}` })) });
  await producer.disconnect();
}

async function committedOffset(admin: Admin, groupId: string, topic: string): Promise<string | undefined> {
  const [result] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return result.partitions.find((p) => p.partition === 0)?.offset;
}

/** The first offset a new member of `groupId` is given, then disconnects. */
async function firstOffsetSeenBy(kafka: Kafka, groupId: string, topic: string): Promise<string> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  try {
    return await new Promise<string>((resolve, reject) => {
      consumer.run({ autoCommit: false, eachMessage: async ({ message }) => resolve(message.offset) }).catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
}

describe('offsets and commits', () => {
  const kafka = testKafka('contract-offsets');
  let admin: Admin;
  const topics: string[] = [];
  const groups: string[] = [];

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });
  afterAll(async () => {
    await deleteGroups(admin, groups);
    await deleteTopics(admin, topics);
    await admin.disconnect();
  });

  it('resumes from the committed offset after the consumer stops', async () => {
    const topic = uniqueName('offsets-resume');
    const groupId = uniqueName('offsets-resume-group');
    topics.push(topic);
    groups.push(groupId);
    await createTopics(admin, [topic]);
    await produce(kafka, topic, 10);

    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ message }) => {
            seen.push(message.offset);
            if (message.offset === '4') {
              await consumer.commitOffsets([{ topic, partition: 0, offset: '5' }]);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    await consumer.stop();
    await consumer.disconnect();
    expect(seen.slice(0, 5)).toEqual(['0', '1', '2', '3', '4']);
    expect(await committedOffset(admin, groupId, topic)).toBe('5');

    expect(await firstOffsetSeenBy(kafka, groupId, topic)).toBe('5');
  });

  it('commits exactly the resolved offsets with eachBatch, autoCommit false and manual resolution', async () => {
    const topic = uniqueName('offsets-batch');
    const groupId = uniqueName('offsets-batch-group');
    topics.push(topic);
    groups.push(groupId);
    await createTopics(admin, [topic]);
    await produce(kafka, topic, 8);

    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const batchOffsets: string[] = [];
    const committedWithoutArguments: (string | undefined)[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary, uncommittedOffsets, heartbeat }) => {
            for (const message of batch.messages) {
              batchOffsets.push(message.offset);
              // Only the first four count as done: 0..3.
              if (Number(message.offset) <= 3) resolveOffset(message.offset);
              await heartbeat();
            }
            await commitOffsetsIfNecessary();
            committedWithoutArguments.push(await committedOffset(admin, groupId, topic));
            await commitOffsetsIfNecessary(uncommittedOffsets());
            if (new Set(batchOffsets).size >= 8) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    // (Unresolved messages are fetched again, so offsets may repeat.)
    expect([...new Set(batchOffsets)]).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
    // The argument-less call committed nothing (-1: no committed offset).
    expect(committedWithoutArguments[0]).toBe('-1');
    // resolveOffset(3) commits 4: the next message to process.
    expect(await committedOffset(admin, groupId, topic)).toBe('4');
    expect(await firstOffsetSeenBy(kafka, groupId, topic)).toBe('4');
  });

  it('lets a later, lower resolveOffset overwrite a higher one (kafkajs takes no maximum)', async () => {
    const topic = uniqueName('offsets-overwrite');
    const groupId = uniqueName('offsets-overwrite-group');
    topics.push(topic);
    groups.push(groupId);
    await createTopics(admin, [topic]);
    await produce(kafka, topic, 5);

    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let seen = 0;
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary, uncommittedOffsets }) => {
            seen += batch.messages.length;
            if (seen < 5) return;
            resolveOffset('3');
            resolveOffset('1');
            await commitOffsetsIfNecessary(uncommittedOffsets());
            resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    expect(await committedOffset(admin, groupId, topic)).toBe('2');
  });
});
