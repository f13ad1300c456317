import { kafkaBrokers, uniqueName } from '@conveyor/testing';
import { Kafka, logLevel } from 'kafkajs';
import { ConsumerLagPoller, lagOf } from './consumer-lag';

describe('lagOf', () => {
  it.each([
    ['committed inside the log', '7', '10', '0', 3],
    ['caught up', '10', '10', '0', 0],
    ['nothing committed yet: all retained messages', '-1', '10', '4', 6],
    ['nothing committed, empty partition', '-1', '0', '0', 0],
    ['committed past the end (truncated log)', '12', '10', '0', 0],
    ['offsets beyond 2^53', '9007199254740993', '9007199254740999', '0', 6],
  ])('%s: committed %s, high %s, low %s → %i', (_case, committed, high, low, expected) => {
    expect(lagOf(committed, high, low)).toBe(expected);
  });
});

describe('ConsumerLagPoller on a real broker', () => {
  jest.setTimeout(60_000);
  const kafka = new Kafka({ clientId: 'lag-test', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const topic = uniqueName('lag');
  const groupId = uniqueName('lag-group');

  beforeAll(async () => {
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 2 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [0, 0, 0, 0, 0, 1, 1].map((partition, i) => ({ partition, value: `m${i}` })) });
    await producer.disconnect();
    // The group has read 2 of partition 0's 5 messages and nothing of partition 1.
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '2' }] });
  });

  afterAll(async () => {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('reports committed-to-high-watermark lag per partition', async () => {
    const lags = new Map<string, number>();
    const errors: unknown[] = [];
    const poller = new ConsumerLagPoller(
      { stage: 's', groupId, topics: [topic], brokers: kafkaBrokers(), clientId: 'lag-test' },
      { lag: (t, p, lag) => lags.set(`${t}/${p}`, lag), error: (e) => errors.push(e) },
    );
    await poller.refresh();
    await poller.stop();
    expect(errors).toEqual([]);
    expect(Object.fromEntries(lags)).toEqual({ [`${topic}/0`]: 3, [`${topic}/1`]: 2 });
  });

  it('reports an unreachable broker as an error and never throws', async () => {
    const errors: unknown[] = [];
    const poller = new ConsumerLagPoller(
      { stage: 's', groupId, topics: [topic], brokers: ['127.0.0.1:1'], clientId: 'lag-test' },
      { lag: () => undefined, error: (e) => errors.push(e) },
    );
    await expect(poller.refresh()).resolves.toBeUndefined();
    await poller.stop();
    expect(errors).toHaveLength(1);
  });
});
