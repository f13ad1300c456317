/*
 * A stage whose Redis goes away for 10 s under load (a redis-server of the
 * test's own, without persistence, stopped and started again on its port):
 * the stage waits for it instead of failing messages, reports not ready
 * meanwhile (but stays live), loses no request and dead-letters nothing, and
 * works off the backlog once Redis is back. What the restart does lose is
 * what Redis alone held: results written before it (README, "Redis").
 */
import { deadLetterTopic, resultRedisKey } from '@conveyor/contracts';
import { createTopics, deleteTopicsWithPrefix, kafkaBrokers, startRedisServer, testKafka, uniqueName, waitFor, type TestRedisServer } from '@conveyor/testing';
import type { RunningStage } from '@conveyor/stage-runtime';
import Redis from 'ioredis';
import type { Admin, Consumer, Producer } from 'kafkajs';
import { startStageApp } from '../lib/run-stage-app';
import { counterPipeline, counterStage, sendRequests } from './counter-stage.test-support';

jest.setTimeout(240_000);

const OUTAGE_MS = 10_000;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a stage while Redis is down for 10 s under load', () => {
  const prefix = `${uniqueName('outage')}.`;
  const resultPrefix = `${uniqueName('outage')}:result:`;
  const requests = `${prefix}wordcount.requests`;
  const results = `${prefix}wordcount.results`;
  let server: TestRedisServer;
  let stage: RunningStage | undefined;
  let admin: Admin;
  let producer: Producer;
  let consumer: Consumer;
  const announced = new Map<string, string>();

  const health = async (probe: 'ready' | 'live') => {
    const response = await fetch(`http://127.0.0.1:${stage!.httpPort}/health/${probe}`);
    return { status: response.status, body: (await response.json()) as { checks: Record<string, boolean> } };
  };

  beforeAll(async () => {
    server = await startRedisServer();
    const kafka = testKafka('outage-setup');
    admin = kafka.admin();
    await admin.connect();
    await createTopics(admin, [requests, results, deadLetterTopic(requests)]);
    producer = kafka.producer({ idempotent: true });
    await producer.connect();
    consumer = kafka.consumer({ groupId: uniqueName('outage-results'), maxWaitTimeInMs: 250 });
    await consumer.connect();
    await consumer.subscribe({ topic: results, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        const { id, status } = JSON.parse(message.value!.toString()) as { id: string; status: string };
        announced.set(id, status);
      },
    });
    stage = await startStageApp(
      counterStage,
      {
        KAFKA_BROKERS: kafkaBrokers().join(','),
        REDIS_URL: server.url,
        TOPIC_PREFIX: prefix,
        HTTP_PORT: '0',
        HTTP_HOST: '127.0.0.1',
        LOG_LEVEL: process.env['TEST_STAGE_LOG_LEVEL'] ?? 'silent',
        MAX_IN_FLIGHT: '4',
        // Attempts that end well inside the outage (ioredis gives a command up after 3 reconnection tries,
        // 1.5-4.5 s): counted as attempts, they would dead-letter the messages in flight.
        RETRY_MAX_ATTEMPTS: '2',
        RETRY_BACKOFF_MS: '50',
      },
      [counterPipeline(resultPrefix)],
    );
  });

  afterAll(async () => {
    await stage?.stop();
    await consumer?.disconnect();
    await producer?.disconnect();
    await admin?.disconnect();
    await server?.stop();
    await deleteTopicsWithPrefix(prefix);
  });

  it('retries while Redis is down, is not ready meanwhile, loses nothing and drains the backlog afterwards', async () => {
    const sent: string[] = [];
    let sending = true;
    // Load: a request every 50 ms until the outage is over and a little longer.
    const load = (async () => {
      for (let i = 0; sending; i += 1) {
        sent.push(...(await sendRequests(producer, requests, [`request number ${i}`])));
        await pause(50);
      }
    })();
    const redis = new Redis(server.url, { maxRetriesPerRequest: 1, retryStrategy: () => 200 });
    redis.on('error', () => undefined);
    try {
      await waitFor('results before the outage', async () => sent.length >= 20 && (await redis.exists(resultRedisKey(sent[9], resultPrefix))) === 1, 60_000);
      const before = sent.slice(0, 10);
      expect((await health('ready')).status).toBe(200);

      await server.stop();
      const stoppedAt = Date.now();
      const sentAtStop = sent.length;
      await waitFor('readiness to turn false', async () => (await health('ready')).status === 503, 8_000);
      expect((await health('ready')).body.checks).toMatchObject({ redis: false, kafka: true });
      expect((await health('live')).status).toBe(200); // an outage is not a reason to restart the stage
      await pause(OUTAGE_MS - (Date.now() - stoppedAt));
      const sentDuringOutage = sent.length - sentAtStop;
      expect(sentDuringOutage).toBeGreaterThan(50);
      await server.start();
      await waitFor('readiness to come back', async () => (await health('ready')).status === 200, 30_000);
      await pause(2_000);
      sending = false;
      await load;

      // Nothing lost: every request announced, ok; nothing dead-lettered.
      await waitFor(`all ${sent.length} results announced`, () => sent.every((id) => announced.has(id)), 120_000);
      expect(sent.filter((id) => announced.get(id) !== 'ok')).toEqual([]);
      const [dlq] = await admin.fetchTopicOffsets(deadLetterTopic(requests));
      expect(dlq.high).toBe('0');
      // Results written after the restart are in Redis; those written before it are gone with it (no persistence).
      for (const id of sent.slice(sentAtStop)) expect(await redis.exists(resultRedisKey(id, resultPrefix))).toBe(1);
      for (const id of before) expect(await redis.exists(resultRedisKey(id, resultPrefix))).toBe(0);
    } finally {
      sending = false;
      await load;
      redis.disconnect();
    }
  });
});
