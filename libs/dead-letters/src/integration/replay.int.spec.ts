/*
 * Reading and replaying dead letters against the real broker and Redis:
 * dead letters as the runtime writes them (original key, value and headers
 * plus the reason headers) in the `.dlq` topics of a test pipeline.
 */
import { deadLetterHeaders, newRequestId, resultRedisKey, resultRedisKeys, toCloudEventHeaders, type KafkaHeaders } from '@conveyor/contracts';
import { definePipeline, resultKeyPrefix } from '@conveyor/pipeline';
import { consumeMessages, createTopics, deleteRedisKeys, deleteTopicsWithPrefix, kafkaBrokers, redisUrl, testKafka, uniqueName } from '@conveyor/testing';
import Redis from 'ioredis';
import type { Producer } from 'kafkajs';
import { deadLetterSources, readDeadLetters, runDlqList, runDlqReplay, type DlqContext } from '../index';

jest.setTimeout(120_000);

describe('dead letters read from and replayed to real Kafka, results reset in real Redis', () => {
  const prefix = `${uniqueName('dlq')}.`;
  const name = `dl${Date.now().toString(36)}`;
  const pipeline = definePipeline({
    name,
    description: 'dead-letter tooling tests',
    topics: { requests: {}, mid: {}, results: {} },
    input: { topic: 'requests', eventType: 'conveyor.dl.request.v1', contentTypes: ['text/plain'] },
    output: { topic: 'results', resultSchema: 'conveyor.dl.result.v1', failedFields: {} },
    stages: [
      { name: 'first', app: 'first', input: 'requests', output: 'mid' },
      { name: 'second', app: 'second', input: 'mid', output: 'results' },
    ],
  });
  const topic = (key: string) => `${prefix}${name}.${key}`;
  const keys = resultKeyPrefix(pipeline);
  let producer: Producer;
  let redis: Redis;
  const output: string[] = [];
  const ctx = (): DlqContext => ({
    brokers: kafkaBrokers(),
    redisUrl: redisUrl(),
    topicPrefix: prefix,
    pipelines: [pipeline],
    out: (text) => void output.push(text),
    err: (text) => void output.push(text),
  });

  const result = (id: string, status: 'ok' | 'failed') =>
    JSON.stringify({ schema: 'conveyor.dl.result.v1', id, status, timings: {}, completedAt: new Date().toISOString(), ...(status === 'failed' ? { error: { code: 'X', message: 'x', stage: 'first' } } : {}) });

  const deadLetter = async (id: string | undefined, key: 'requests' | 'mid', code: string, extra: KafkaHeaders = {}) => {
    const requestId = id ?? newRequestId();
    await producer.send({
      topic: `${topic(key)}.dlq`,
      acks: -1,
      messages: [
        {
          key: id ?? null,
          value: Buffer.from(`payload of ${requestId}`),
          headers: {
            ...(id ? toCloudEventHeaders({ specversion: '1.0', id, source: '/t', type: 'conveyor.dl.request.v1', contentType: 'text/plain' }) : {}),
            ...(extra as Record<string, string>),
            ...deadLetterHeaders({ code, message: `${code} here`, stage: key === 'requests' ? 'first' : 'second', attempts: 1, origin: { topic: topic(key), partition: 0, offset: '3' } }),
          },
        },
      ],
    });
    // Distinct timestamps: "newest" is decided by the dead letter's time.
    await new Promise((resolve) => setTimeout(resolve, 20));
  };

  beforeAll(async () => {
    const kafka = testKafka('dlq-setup');
    const admin = kafka.admin();
    await admin.connect();
    await createTopics(admin, [topic('requests'), topic('mid'), topic('results'), `${topic('requests')}.dlq`, `${topic('mid')}.dlq`]);
    await admin.disconnect();
    producer = kafka.producer({ idempotent: true });
    await producer.connect();
    redis = new Redis(redisUrl());
  });

  afterAll(async () => {
    await producer?.disconnect();
    await deleteRedisKeys(redis, keys);
    redis?.disconnect();
    await deleteTopicsWithPrefix(prefix);
  });

  it('lists every dead letter, replays the newest per request to its origin, and resets only failed results', async () => {
    const failed = newRequestId();
    const recovered = newRequestId();
    const twice = newRequestId();
    const claimed = newRequestId();
    await deadLetter(failed, 'requests', 'IMAGE_TOO_LARGE', { 'conveyor-timings': '{"first":2}' });
    await deadLetter(recovered, 'mid', 'INTERNAL');
    await deadLetter(twice, 'requests', 'INTERNAL');
    await deadLetter(twice, 'mid', 'SHAPE_MISMATCH');
    await deadLetter(claimed, 'mid', 'INTERNAL', { 'conveyor-claim': `conveyor:claim:${uniqueName('gone')}` });
    await deadLetter(undefined, 'requests', 'MISSING_HEADER');
    await redis.set(resultRedisKey(failed, keys), result(failed, 'failed'));
    await redis.set(resultRedisKeys(failed, keys)[1], '1');
    await redis.set(resultRedisKey(recovered, keys), result(recovered, 'ok'));
    await redis.set(resultRedisKey(twice, keys), result(twice, 'failed'));

    const letters = await readDeadLetters({ kafka: testKafka('dlq-read'), sources: deadLetterSources([pipeline], prefix) });
    expect(letters.map((l) => [l.requestId ?? null, l.stage, l.code])).toEqual([
      [failed, 'first', 'IMAGE_TOO_LARGE'],
      [recovered, 'second', 'INTERNAL'],
      [twice, 'first', 'INTERNAL'],
      [twice, 'second', 'SHAPE_MISMATCH'],
      [claimed, 'second', 'INTERNAL'],
      [null, 'first', 'MISSING_HEADER'],
    ]);
    // Reading commits nothing and changes nothing: a second read sees the same.
    expect(await readDeadLetters({ kafka: testKafka('dlq-read'), sources: deadLetterSources([pipeline], prefix) })).toHaveLength(6);

    expect(await runDlqList(ctx(), { filter: { code: 'INTERNAL' }, json: true })).toBe(0);
    const listed = JSON.parse(output.join('')) as Array<{ requestId: string; result: string }>;
    expect(listed.map((l) => [l.requestId, l.result])).toEqual([
      [recovered, 'ok'],
      [twice, 'failed'],
      [claimed, 'none'],
    ]);

    output.length = 0;
    expect(await runDlqReplay(ctx(), { filter: {}, dryRun: true })).toBe(0);
    expect(output.join('')).toMatch(/2 would be replayed, 4 skipped \(dry run: nothing changed\)/);
    expect(await redis.exists(resultRedisKey(failed, keys))).toBe(1);

    output.length = 0;
    expect(await runDlqReplay(ctx(), { filter: {} })).toBe(0);
    const report = output.join('');
    expect(report).toMatch(/2 replayed, 4 skipped, 0 failed/);
    expect(report).toContain(`skipped ${recovered}`);
    expect(report).toMatch(/already has an ok result/);
    expect(report).toMatch(/superseded by the newer dead letter/);
    expect(report).toMatch(/claim-checked payload .* is gone/);
    expect(report).toMatch(/no request id/);

    // The failed results (and the announced marker) are gone; the ok one is untouched.
    expect(await redis.exists(...resultRedisKeys(failed, keys))).toBe(0);
    expect(await redis.exists(resultRedisKey(twice, keys))).toBe(0);
    expect(JSON.parse((await redis.get(resultRedisKey(recovered, keys)))!).status).toBe('ok');

    // Replayed to the origin topic with the original key, value and headers, the reason headers stripped.
    const [replayed] = await consumeMessages({ topic: topic('requests'), count: 1 });
    expect(replayed.key?.toString()).toBe(failed);
    expect(replayed.value?.toString()).toBe(`payload of ${failed}`);
    expect(Object.keys(replayed.headers).sort()).toEqual(['ce_id', 'ce_source', 'ce_specversion', 'ce_type', 'content-type', 'conveyor-timings']);
    const [replayedMid] = await consumeMessages({ topic: topic('mid'), count: 1 });
    expect(replayedMid.key?.toString()).toBe(twice);

    // --id for an unknown request: exit 1, nothing replayed.
    output.length = 0;
    expect(await runDlqReplay(ctx(), { filter: { ids: ['no-such-request'] } })).toBe(1);
    expect(output.join('')).toMatch(/no dead letter for "no-such-request"/);
  });

  it('reports an unreachable Kafka with exit code 3', async () => {
    output.length = 0;
    expect(await runDlqList({ ...ctx(), brokers: ['127.0.0.1:1'] }, { filter: {} })).toBe(3);
    expect(output.join('')).toMatch(/conveyor dlq list: reading the dead-letter topics/);
  });
});
