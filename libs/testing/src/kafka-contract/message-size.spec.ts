// Pins Kafka's default message size limit (message.max.bytes = 1048588, left at the
// default on purpose): a value of 1,000,000 bytes goes through, a bigger one is refused
// at once with a named error instead of hanging.
import type { Admin } from 'kafkajs';
import { consumeMessages, createTopics, deleteTopics, testKafka, uniqueName } from '../index';

jest.setTimeout(120_000);

describe('message size limit', () => {
  const kafka = testKafka('contract-size');
  let admin: Admin;
  let topic: string;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    topic = uniqueName('size');
    await createTopics(admin, [topic]);
  });
  afterAll(async () => {
    await deleteTopics(admin, [topic]);
    await admin.disconnect();
  });

  it('produces and consumes a 1,000,000-byte value intact', async () => {
    const value = Buffer.alloc(1_000_000);
    for (let i = 0; i < value.length; i++) value[i] = (i * 31 + 7) & 0xff;
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'big', value }] });
    await producer.disconnect();
    const [message] = await consumeMessages({ topic, count: 1 });
    expect(message.value!.length).toBe(1_000_000);
    expect(message.value!.equals(value)).toBe(true);
  });

  it('rejects a 1,100,000-byte value with MESSAGE_TOO_LARGE, quickly', async () => {
    const producer = testKafka('contract-size-refused').producer({ idempotent: true });
    await producer.connect();
    const started = Date.now();
    try {
      const failure = producer.send({ topic, acks: -1, messages: [{ key: 'too-big', value: Buffer.alloc(1_100_000, 1) }] });
      await expect(failure).rejects.toMatchObject({ type: 'MESSAGE_TOO_LARGE', retriable: false });
      await expect(failure).rejects.toThrow(/larger than the max message size the server will accept/);
    } finally {
      await producer.disconnect();
    }
    // Not a performance assertion: a refusal must not turn into a retry loop (docs/architecture.md, "Kafka").
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
