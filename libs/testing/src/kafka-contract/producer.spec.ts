// Pins: the idempotent producer with acks=-1 works against Kafka 4.x (InitProducerId,
// sequence numbers), and messages with the same key keep their order in one partition.
import type { Admin, Producer } from 'kafkajs';
import { consumeMessages, createTopics, deleteTopics, testKafka, uniqueName } from '../index';

jest.setTimeout(120_000);

describe('idempotent producer and per-key ordering', () => {
  const kafka = testKafka('contract-producer');
  let admin: Admin;
  let producer: Producer;
  const topics: string[] = [];

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  });
  afterAll(async () => {
    await producer.disconnect();
    await deleteTopics(admin, topics);
    await admin.disconnect();
  });

  it('acknowledges with acks=-1 and assigns consecutive offsets', async () => {
    const topic = uniqueName('producer-acks');
    topics.push(topic);
    await createTopics(admin, [topic]);
    const first = await producer.send({ topic, acks: -1, messages: [{ key: 'a', value: '1' }, { key: 'a', value: '2' }] });
    const second = await producer.send({ topic, acks: -1, messages: [{ key: 'a', value: '3' }] });
    expect(first).toEqual([expect.objectContaining({ topicName: topic, partition: 0, errorCode: 0, baseOffset: '0' })]);
    expect(second).toEqual([expect.objectContaining({ errorCode: 0, baseOffset: '2' })]);
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets).toEqual([expect.objectContaining({ partition: 0, high: '3', low: '0' })]);
  });

  it('keeps every key in one partition and in send order', async () => {
    const topic = uniqueName('producer-order');
    topics.push(topic);
    await createTopics(admin, [{ topic, numPartitions: 3 }]);
    const keys = ['req-a', 'req-b', 'req-c', 'req-d', 'req-e'];
    const perKey = 20;
    // Interleave keys across several sends, as concurrent requests would.
    for (let round = 0; round < perKey; round += 5) {
      await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: 5 }, (_, i) => round + i).flatMap((seq) => keys.map((key) => ({ key, value: String(seq) }))),
      });
    }
    const received = await consumeMessages({ topic, count: keys.length * perKey });
    expect(received).toHaveLength(keys.length * perKey);
    for (const key of keys) {
      const ofKey = received.filter((m) => m.key?.toString() === key);
      expect(new Set(ofKey.map((m) => m.partition)).size).toBe(1);
      expect(ofKey.map((m) => Number(m.value!.toString()))).toEqual(Array.from({ length: perKey }, (_, i) => i));
    }
    // With 5 keys over 3 partitions, more than one partition is used (ordering is per key, not global).
    expect(new Set(received.map((m) => m.partition)).size).toBeGreaterThan(1);
  });
});
