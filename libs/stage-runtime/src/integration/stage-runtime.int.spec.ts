import { randomUUID } from 'node:crypto';
import {
  CloudEventHeader,
  ConveyorHeader,
  decodeSafetensors,
  headerString,
  newRequestId,
  parseDeadLetterReason,
  parseTimings,
  toCloudEventHeaders,
} from '@conveyor/contracts';
import { findFreePort } from '@conveyor/kafka-local';
import { kafkaBrokers, redisUrl, uniqueName, waitFor } from '@conveyor/testing';
import Redis from 'ioredis';
import { Kafka, logLevel, type Admin, type Consumer, type KafkaMessage, type Producer } from 'kafkajs';
import { RedisClaimCheckStore, startStage, type RunningStage, type StageRuntimeSettings } from '../index';
import { RecordingDeadLetterHook, WordCountStage, wordCountModule } from './word-count-stage';

jest.setTimeout(120_000);

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('stage runtime on a real Kafka (non-OCR stage)', () => {
  const prefix = `${uniqueName('rt')}.`;
  const topics = ['words.in', 'words.in.dlq', 'words.batch', 'words.batch.dlq', 'words.out'].map((t) => prefix + t);
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let outConsumer: Consumer;
  let dlqConsumer: Consumer;
  let redis: Redis;
  let stage: RunningStage | undefined;
  const outputs: KafkaMessage[] = [];
  const deadLetters: KafkaMessage[] = [];
  const claimKeys: string[] = [];

  const settings = (): StageRuntimeSettings => ({
    stage: 'wordcount',
    brokers: kafkaBrokers(),
    redisUrl: redisUrl(),
    topicPrefix: prefix,
    logLevel: 'warn',
    httpHost: '127.0.0.1',
    httpPort: 0,
    maxInFlight: 4,
    claimCheckThresholdBytes: 1024,
    claimTtlSeconds: 60,
    maxMessageBytes: 1_000_000,
    shutdownGraceMs: 10_000,
    retry: { maxAttempts: 3, initialBackoffMs: 20, maxBackoffMs: 100 },
  });

  const send = async (topic: string, text: string, headers: Record<string, string> = {}, id = newRequestId()) => {
    await producer.send({
      topic: prefix + topic,
      acks: -1,
      messages: [
        {
          key: id,
          value: Buffer.from(text),
          headers: {
            ...toCloudEventHeaders({ specversion: '1.0', id, source: '/test', type: 'conveyor.test.text.v1', contentType: 'text/plain', traceparent: TRACEPARENT }),
            ...headers,
          },
        },
      ],
    });
    return id;
  };


  const outputFor = (id: string) => outputs.filter((m) => headerString(m.headers, CloudEventHeader.id) === id);

  beforeAll(async () => {
    kafka = new Kafka({ clientId: 'stage-runtime-test', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: 3 })) });
    producer = kafka.producer({ idempotent: true });
    await producer.connect();
    redis = new Redis(redisUrl());
    outConsumer = kafka.consumer({ groupId: uniqueName('out') });
    dlqConsumer = kafka.consumer({ groupId: uniqueName('dlq') });
    for (const [consumer, topic, sink] of [
      [outConsumer, 'words.out', outputs],
      [dlqConsumer, 'words.in.dlq', deadLetters],
    ] as const) {
      await consumer.connect();
      await consumer.subscribe({ topic: prefix + topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void sink.push(message) });
    }
    stage = await startStage(wordCountModule(settings()), { deadLetterHook: RecordingDeadLetterHook });
  });

  afterAll(async () => {
    await stage?.stop();
    await outConsumer?.disconnect();
    await dlqConsumer?.disconnect();
    await producer?.disconnect();
    await admin?.deleteTopics({ topics }).catch(() => undefined);
    await admin?.disconnect();
    // Only the claim keys this suite saw; anything else expires with its short TTL (60 s).
    if (claimKeys.length) await redis.del(...claimKeys);
    redis?.disconnect();
  });

  it('answers liveness and readiness over HTTP once consuming', async () => {
    const base = `http://127.0.0.1:${stage!.httpPort}`;
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    await waitFor('readiness', () => stage!.transport.isReady);
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, checks: { kafka: true, redis: true } });
  });

  it('turns each input into one output with the same id, key, trace context and timings', async () => {
    const ids = await Promise.all(Array.from({ length: 12 }, (_, i) => send('words.in', `hello conveyor number ${i}`)));
    await waitFor('12 outputs', () => ids.every((id) => outputFor(id).length === 1));
    for (const id of ids) {
      const [out] = outputFor(id);
      expect(out.key?.toString()).toBe(id);
      expect(headerString(out.headers, CloudEventHeader.type)).toBe('conveyor.test.words.v1');
      expect(headerString(out.headers, CloudEventHeader.source)).toBe('/conveyor/wordcount');
      expect(headerString(out.headers, CloudEventHeader.traceparent)).toBe(TRACEPARENT);
      expect(Object.keys(parseTimings(out.headers))).toEqual(['wordcount']);
      const bundle = decodeSafetensors(out.value!);
      expect(Array.from(bundle.tensors['lengths'].data as Int32Array)).toEqual([5, 8, 6, String(ids.indexOf(id)).length]);
    }
  });

  it('dead-letters bad input at once with its reason, and keeps consuming the partition', async () => {
    const poisonId = await send('words.in', '');
    const after = await send('words.in', 'still flowing', {}, poisonId.replace(/.$/, 'x'));
    await waitFor('dead letter', () => deadLetters.some((m) => headerString(m.headers, CloudEventHeader.id) === poisonId));
    await waitFor('later message', () => outputFor(after).length === 1);
    const letter = deadLetters.find((m) => headerString(m.headers, CloudEventHeader.id) === poisonId)!;
    const reason = parseDeadLetterReason(letter.headers!);
    expect(reason).toMatchObject({ code: 'EMPTY_TEXT', stage: 'wordcount', attempts: 1 });
    expect(reason.origin.topic).toBe(`${prefix}words.in`);
    expect(letter.key?.toString()).toBe(poisonId);
    expect(RecordingDeadLetterHook.events.find((e) => e.requestId === poisonId)?.error.code).toBe('EMPTY_TEXT');
    // The hook's answer (a pipeline's "failed" result) is published under the request's id.
    await waitFor('failed answer', () => outputFor(poisonId).length === 1);
    expect(headerString(outputFor(poisonId)[0].headers, CloudEventHeader.type)).toBe('conveyor.test.failed.v1');
  });

  it('dead-letters a message whose CloudEvent headers are invalid, naming the header', async () => {
    const id = randomUUID();
    await producer.send({ topic: `${prefix}words.in`, messages: [{ key: id, value: Buffer.from('no headers') }] });
    await waitFor('dead letter', () => deadLetters.some((m) => m.key?.toString() === id));
    const reason = parseDeadLetterReason(deadLetters.find((m) => m.key?.toString() === id)!.headers!);
    expect(reason.code).toBe('MISSING_HEADER');
    expect(reason.message).toContain('ce_specversion');
  });

  it('retries a transient failure and then succeeds, producing one output', async () => {
    const id = await send('words.in', 'flaky');
    await waitFor('output after retry', () => outputFor(id).length === 1);
    expect(WordCountStage.attempts.get(id)).toBe(2);
    await new Promise((r) => setTimeout(r, 300));
    expect(outputFor(id)).toHaveLength(1);
  });

  it('claim-checks a large output through Redis and reads a claim-checked input', async () => {
    const bigId = await send('words.in', 'big payload please');
    await waitFor('claim-checked output', () => outputFor(bigId).length === 1);
    const [out] = outputFor(bigId);
    const claimKey = headerString(out.headers, ConveyorHeader.claim)!;
    claimKeys.push(claimKey);
    expect(claimKey).toMatch(/^conveyor:claim:/);
    expect(out.value?.length ?? 0).toBe(0);
    expect(await redis.getBuffer(claimKey)).toEqual(Buffer.alloc(4096, 7));

    const store = new RedisClaimCheckStore(redis, 60);
    const key = await store.put(Buffer.from('words from redis'));
    claimKeys.push(key);
    const id = await send('words.in', '', { [ConveyorHeader.claim]: key });
    await waitFor('output of claim-checked input', () => outputFor(id).length === 1);
    expect(decodeSafetensors(outputFor(id)[0].value!).metadata['text']).toBe('words from redis');
  });

  it('batches messages across partitions for a handler that asks for batches', async () => {
    WordCountStage.batchSizes = [];
    const ids = await Promise.all(Array.from({ length: 16 }, (_, i) => send('words.batch', `a b ${i}`)));
    await waitFor('batched outputs', () => ids.every((id) => outputFor(id).length === 1));
    expect(WordCountStage.batchSizes.reduce((a, b) => a + b, 0)).toBe(16);
    expect(Math.max(...WordCountStage.batchSizes)).toBeGreaterThan(1);
    expect(Math.max(...WordCountStage.batchSizes)).toBeLessThanOrEqual(8);
  });

  it('pauses fetching while MAX_IN_FLIGHT messages are being worked on, and resumes after', async () => {
    const consumer = () => stage!.transport.unwrap<{ consumer: Consumer }>().consumer;
    const ids = await Promise.all(Array.from({ length: 6 }, () => send('words.in', 'slow')));
    await waitFor('a full work queue', () => stage!.transport.inFlight === 4);
    expect(consumer().paused().map((p) => p.topic)).toContain(`${prefix}words.in`);
    await waitFor('slow outputs', () => ids.every((id) => outputFor(id).length === 1));
    await waitFor('resumed', () => consumer().paused().length === 0);
  });

  it('commits only what it finished: after a drain and restart nothing is processed twice', async () => {
    const before = await Promise.all(Array.from({ length: 6 }, (_, i) => send('words.in', `before restart ${i}`)));
    await waitFor('outputs before restart', () => before.every((id) => outputFor(id).length === 1));
    await stage!.stop();
    expect(stage!.transport.isReady).toBe(false);
    const during = await Promise.all(Array.from({ length: 6 }, (_, i) => send('words.in', `while stopped ${i}`)));
    await new Promise((r) => setTimeout(r, 500));
    expect(during.every((id) => outputFor(id).length === 0)).toBe(true);

    stage = await startStage(wordCountModule(settings()), { deadLetterHook: RecordingDeadLetterHook });
    await waitFor('outputs after restart', () => during.every((id) => outputFor(id).length === 1), 60_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(before.every((id) => outputFor(id).length === 1)).toBe(true);

    const offsets = await admin.fetchOffsets({ groupId: `${prefix}conveyor-wordcount`, topics: [`${prefix}words.in`] });
    const highs = await admin.fetchTopicOffsets(`${prefix}words.in`);
    for (const { partition, offset } of offsets[0].partitions) {
      expect(offset).toBe(highs.find((h) => h.partition === partition)!.high);
    }
  });

  it('is live but not ready while starting (models loading) and while draining', async () => {
    await stage!.stop();
    const httpPort = await findFreePort();
    const base = `http://127.0.0.1:${httpPort}`;
    const probe = async (path: string) => fetch(`${base}${path}`).then((r) => r.status, () => 0);
    WordCountStage.startupDelayMs = 2_000;
    const starting = startStage(wordCountModule({ ...settings(), httpPort }), { deadLetterHook: RecordingDeadLetterHook });
    let started = false;
    void starting.then(() => (started = true), () => undefined);
    const seenWhileStarting: number[] = [];
    while (!started) {
      const [live, ready] = [await probe('/health/live'), await probe('/health/ready')];
      if (live === 200) seenWhileStarting.push(ready);
      await new Promise((r) => setTimeout(r, 100));
    }
    stage = await starting;
    WordCountStage.startupDelayMs = 0;
    expect(seenWhileStarting).toContain(503);
    await waitFor('ready after start', () => stage!.transport.isReady);
    expect(await probe('/health/ready')).toBe(200);

    let release = (): void => undefined;
    WordCountStage.slowGate = new Promise<void>((resolve) => (release = resolve));
    try {
      const slowId = await send('words.in', 'slow');
      await waitFor('slow message in flight', () => stage!.transport.inFlight > 0);
      const stopping = stage!.stop();
      await waitFor('drain began', () => !stage!.transport.isReady);
      expect(await probe('/health/ready')).toBe(503); // draining: the slow message holds the drain open
      expect(await probe('/health/live')).toBe(200);
      release();
      await stopping;
      await waitFor('slow message finished during drain', () => outputFor(slowId).length === 1);
    } finally {
      release();
      WordCountStage.slowGate = null;
    }
  });
});

