// Pins: CloudEvents binary-mode attributes and W3C trace context travel as Kafka
// headers byte for byte, including header values that are not valid UTF-8.
import type { Admin } from 'kafkajs';
import { consumeMessages, createTopics, deleteTopics, testKafka, uniqueName } from '../index';

jest.setTimeout(120_000);

describe('CloudEvents binary-mode headers', () => {
  const kafka = testKafka('contract-cloudevents');
  let admin: Admin;
  let topic: string;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    topic = uniqueName('cloudevents');
    await createTopics(admin, [topic]);
  });
  afterAll(async () => {
    await deleteTopics(admin, [topic]);
    await admin.disconnect();
  });

  it('round-trips ce_* headers, content-type, traceparent, raw bytes, key and value', async () => {
    const rawHeader = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0a, 0x00]); // not UTF-8, contains NULs
    const value = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff]);
    const headers = {
      ce_specversion: '1.0',
      ce_id: '4f6c1a52-2e0b-4bb5-9b37-0cc0e6c5a1de',
      ce_source: '/conveyor/contract-test',
      ce_type: 'conveyor.ocr.requests.v1',
      ce_time: '2026-01-02T03:04:05.678Z',
      'content-type': 'image/png',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      tracestate: 'conveyor=1',
      'conveyor-raw': rawHeader,
    };
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: headers.ce_id, value, headers }] });
    await producer.disconnect();

    const [message] = await consumeMessages({ topic, count: 1 });
    expect(message.key!.toString()).toBe(headers.ce_id);
    expect(message.value!.equals(value)).toBe(true);
    expect(Object.keys(message.headers).sort()).toEqual(Object.keys(headers).sort());
    for (const [name, sent] of Object.entries(headers)) {
      const got = message.headers[name];
      // kafkajs delivers every header value as a Buffer, whatever was sent.
      expect(Buffer.isBuffer(got)).toBe(true);
      expect((got as Buffer).equals(Buffer.isBuffer(sent) ? sent : Buffer.from(sent, 'utf8'))).toBe(true);
    }
  });

  it('keeps repeated header names as an array in order', async () => {
    const repeated = uniqueName('cloudevents-repeated');
    await createTopics(admin, [repeated]);
    try {
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: repeated, messages: [{ value: 'x', headers: { 'conveyor-hop': ['preprocess', 'features'] } }] });
      await producer.disconnect();
      const [message] = await consumeMessages({ topic: repeated, count: 1 });
      const hops = message.headers['conveyor-hop'] as Buffer[];
      expect(hops.map((h) => h.toString())).toEqual(['preprocess', 'features']);
    } finally {
      await deleteTopics(admin, [repeated]);
    }
  });
});
