/*
 * Poison quarantine and dependency outages in the transport (real broker,
 * real Redis for the attempt markers): an input whose marker says processes
 * died working on it is dead-lettered as POISON without running the handler;
 * a suspect runs alone; markers of finished inputs are cleared. A transient
 * failure while a dependency is down waits for it instead of using up the
 * message's attempts. The crash itself, across real process restarts, is in
 * libs/stage-host/src/integration/poison-quarantine.int.spec.ts.
 */
import { ConveyorHeader, deadLetterTopic, headerString, parseDeadLetterReason } from '@conveyor/contracts';
import { consumeMessages, createTopics, deleteGroups, deleteRedisKeys, deleteTopics, redisUrl, testKafka, uniqueName, waitFor } from '@conveyor/testing';
import Redis from 'ioredis';
import type { Admin, Producer } from 'kafkajs';
import { attemptKey, POISON_CODE, RedisAttemptMarkers, type DeadLetterEvent, type KafkaStageTransport, type StageResult } from '../index';
import { committedOffset, recordingLogger, sendTexts, startTransport } from './transport-harness.test-support';

jest.setTimeout(120_000);

const output = (topic: string, text: string): StageResult => ({ topic, type: 'conveyor.test.done.v1', value: Buffer.from(text) });
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('poison quarantine and dependency outages (real Kafka and Redis)', () => {
  const keyPrefix = `${uniqueName('attempts')}:`;
  let admin: Admin;
  let producer: Producer;
  let redis: Redis;
  const topics: string[] = [];
  const groups: string[] = [];
  const transports: KafkaStageTransport[] = [];

  const newTopics = async (...names: string[]): Promise<string[]> => {
    const created = names.map((name) => uniqueName(name));
    await createTopics(admin, [...created, ...created.map(deadLetterTopic)]);
    topics.push(...created, ...created.map(deadLetterTopic));
    return created;
  };

  beforeAll(async () => {
    admin = testKafka('poison-admin').admin();
    await admin.connect();
    producer = testKafka('poison-producer').producer({ idempotent: true });
    await producer.connect();
    redis = new Redis(redisUrl());
  });

  afterEach(async () => {
    await Promise.all(transports.splice(0).map((t) => t.drain(1_000)));
  });

  afterAll(async () => {
    await producer?.disconnect();
    await deleteGroups(admin, groups);
    await deleteTopics(admin, topics);
    await admin?.disconnect();
    await deleteRedisKeys(redis, keyPrefix);
    redis?.disconnect();
  });

  it('RedisAttemptMarkers: start marks once, restart counts, clear removes, all with a TTL', async () => {
    const markers = new RedisAttemptMarkers(redis, 60, keyPrefix);
    const position = { groupId: 'g', topic: 't', partition: 3, offset: '17' };
    expect(await markers.start(position)).toBe(0);
    expect(await redis.get(attemptKey(position, keyPrefix))).toBe('1');
    // Still marked when it comes back: a process died working on it once; start leaves the mark as it is.
    expect(await markers.start(position)).toBe(1);
    expect(await markers.restart(position)).toBe(1);
    expect(await markers.start(position)).toBe(2);
    expect(await redis.ttl(attemptKey(position, keyPrefix))).toBeGreaterThan(0);
    await markers.clear([position, { ...position, offset: '18' }]);
    expect(await redis.exists(attemptKey(position, keyPrefix))).toBe(0);
  });

  it('dead-letters an input that crashed processes as POISON without running it, runs a suspect alone, clears the marks', async () => {
    const [topic, out] = await newTopics('poison.in', 'poison.out');
    const groupId = uniqueName('poison');
    groups.push(groupId);
    const markers = new RedisAttemptMarkers(redis, 60, keyPrefix);
    const at = (offset: number) => ({ groupId, topic, partition: 0, offset: String(offset) });
    // As earlier processes would have left them: offset 1 was in flight at two deaths, offset 2 at one.
    await redis.set(attemptKey(at(1), keyPrefix), '2', 'EX', 60);
    await redis.set(attemptKey(at(2), keyPrefix), '1', 'EX', 60);
    const ids = await sendTexts(producer, topic, ['before', 'poison', 'suspect', 'after', 'last']);

    let active = 0;
    const seen: Array<{ text: string; activeWith: number }> = [];
    const hookEvents: DeadLetterEvent[] = [];
    const transport = await startTransport({
      topic,
      groupId,
      maxInFlight: 4,
      poison: { markers, maxCrashes: 2 },
      deadLetterHook: { onDeadLetter: async (event) => void hookEvents.push(event) },
      handler: async (message) => {
        active += 1;
        const text = message.value.toString();
        seen.push({ text, activeWith: active });
        await pause(300);
        active -= 1;
        return output(out, text);
      },
    });
    transports.push(transport);

    await waitFor('all five committed', async () => (await committedOffset(admin, groupId, topic)) === '5', 60_000);
    expect(seen.map((s) => s.text).sort()).toEqual(['after', 'before', 'last', 'suspect']);
    expect(seen.find((s) => s.text === 'suspect')?.activeWith).toBe(1); // nothing else ran beside it
    expect(Math.max(...seen.map((s) => s.activeWith))).toBeGreaterThan(1); // the others did run concurrently

    const [letter] = await consumeMessages({ topic: deadLetterTopic(topic), count: 1 });
    const reason = parseDeadLetterReason(letter.headers);
    expect(reason).toMatchObject({ code: POISON_CODE, attempts: 2, origin: { topic, partition: 0, offset: '1' } });
    expect(headerString(letter.headers, ConveyorHeader.errorMessage)).toMatch(/died 2 times/);
    expect(letter.value?.toString()).toBe('poison');
    expect(hookEvents).toEqual([expect.objectContaining({ requestId: ids[1], error: expect.objectContaining({ code: POISON_CODE }), attempts: 2 })]);

    // Finished inputs leave no mark behind (cleared at the commits).
    await waitFor('the marks to be cleared', async () => (await redis.keys(`${keyPrefix}${groupId}/*`)).length === 0, 10_000);
  });

  it('waits for a dependency that is down instead of spending the attempts, and is not dead-lettered', async () => {
    const [topic, out] = await newTopics('outage.in', 'outage.out');
    let down = true;
    let failures = 0;
    const logger = recordingLogger();
    const transport = await startTransport({
      topic,
      maxInFlight: 2,
      logger,
      retry: { maxAttempts: 2, initialBackoffMs: 10, maxBackoffMs: 20 },
      unavailableDependencies: () => (down ? ['redis'] : []),
      handler: async (message) => {
        if (down) {
          failures += 1;
          throw new Error('Connection is closed.');
        }
        return output(out, message.value.toString());
      },
    });
    transports.push(transport);
    groups.push(transport.groupIdForTest);
    await sendTexts(producer, topic, ['one', 'two', 'three']);
    await waitFor('the messages to fail while redis is down', () => failures >= 2, 30_000);
    await pause(1_500); // far more than two attempts' worth of backoff
    expect(await committedOffset(admin, transport.groupIdForTest, topic)).toBe('-1');
    expect(logger.entries.some((e) => e.message.startsWith('redis unavailable'))).toBe(true);
    down = false;
    await waitFor('all three committed', async () => (await committedOffset(admin, transport.groupIdForTest, topic)) === '3', 30_000);
    const offsets = await admin.fetchTopicOffsets(deadLetterTopic(topic));
    expect(offsets[0].high).toBe('0');
    expect(await consumeMessages({ topic: out, count: 3 })).toHaveLength(3);
  });
});
