/*
 * Poison quarantine across process deaths: a stage process (runStageApp, its
 * own Node process) is SIGKILLed by one of its inputs, as a native crash or
 * an OOM kill would take it down. Restarted like an orchestrator would (here
 * by the test), it must not crash-loop on that input forever: after
 * POISON_MAX_CRASHES deaths the input is dead-lettered as POISON, with a
 * failed result, without running the handler again, and every other input is
 * processed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { deadLetterTopic, parseDeadLetterReason, resultRedisKeys } from '@conveyor/contracts';
import { findWorkspaceRoot } from '@conveyor/kafka-local';
import { consumeMessages, createTopics, deleteRedisKeys, deleteTopicsWithPrefix, kafkaBrokers, redisUrl, testKafka, uniqueName, waitFor } from '@conveyor/testing';
import Redis from 'ioredis';
import type { Producer } from 'kafkajs';
import { ResultStore } from '../lib/result-store';
import { sendRequests } from './counter-stage.test-support';

jest.setTimeout(300_000);

interface StageProcess {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

describe('a stage process killed by one of its inputs (poison quarantine)', () => {
  const prefix = `${uniqueName('poison')}.`;
  const resultPrefix = `${uniqueName('poison')}:result:`;
  const requests = `${prefix}wordcount.requests`;
  const root = findWorkspaceRoot();
  let producer: Producer;
  let redis: Redis;
  let running: StageProcess | undefined;
  let stopped = false;
  const lines: string[] = [];
  const deaths: Array<{ code: number | null; signal: NodeJS.Signals | null }> = [];

  const spawnStage = (): StageProcess => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', path.join(__dirname, 'counter-process.test-support.ts')], {
      cwd: root,
      env: {
        ...process.env,
        SWC_NODE_PROJECT: path.join(root, 'tsconfig.base.json'),
        KAFKA_BROKERS: kafkaBrokers().join(','),
        REDIS_URL: redisUrl(),
        TOPIC_PREFIX: prefix,
        COUNTER_RESULT_PREFIX: resultPrefix,
        COUNTER_TRACE: '1',
        HTTP_PORT: '0',
        LOG_LEVEL: 'warn',
        MAX_IN_FLIGHT: '2',
        POISON_MAX_CRASHES: '2',
        // A killed member holds its partition until its session times out: keep restarts quick.
        KAFKA_SESSION_TIMEOUT_MS: '6000',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    createInterface({ input: child.stdout! }).on('line', (line) => void lines.push(line));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    return { child, exited };
  };

  /** Restarts the stage whenever it dies, as an orchestrator (or `conveyor up`) would; at most 5 times. */
  const supervise = (): void => {
    running = spawnStage();
    void running.exited.then((death) => {
      if (stopped) return;
      deaths.push(death);
      if (deaths.length < 5) setTimeout(supervise, 300);
    });
  };

  beforeAll(async () => {
    const kafka = testKafka('poison-setup');
    const admin = kafka.admin();
    await admin.connect();
    await createTopics(admin, [requests, `${prefix}wordcount.results`, deadLetterTopic(requests)]);
    await admin.disconnect();
    producer = kafka.producer({ idempotent: true });
    await producer.connect();
    redis = new Redis(redisUrl());
  });

  afterAll(async () => {
    stopped = true;
    if (running && running.child.exitCode === null && running.child.signalCode === null) {
      running.child.kill('SIGTERM');
      await running.exited;
    }
    await producer?.disconnect();
    await deleteRedisKeys(redis, resultPrefix);
    await deleteRedisKeys(redis, `conveyor:attempts:${prefix}`);
    redis?.disconnect();
    await deleteTopicsWithPrefix(prefix);
  });

  it('dead-letters the input as POISON with a failed result after two deaths, and processes the others', async () => {
    const texts = ['alpha', 'crash', 'beta gamma', 'delta epsilon zeta'];
    const ids = await sendRequests(producer, requests, texts);
    const store = new ResultStore(redis, 60, resultPrefix);
    supervise();

    await waitFor(
      'every request to have a result',
      async () => {
        if (deaths.length >= 5) throw new Error(`the stage crash-loops: ${deaths.length} deaths`);
        return (await Promise.all(ids.map((id) => store.get(id)))).every(Boolean);
      },
      240_000,
    );

    const poisonId = ids[1];
    expect(await store.get(poisonId)).toMatchObject({ status: 'failed', error: { code: 'POISON', stage: 'count' }, words: 0 });
    for (const i of [0, 2, 3]) {
      expect(await store.get(ids[i])).toMatchObject({ status: 'ok', words: texts[i].split(' ').length });
    }
    const [letter] = await consumeMessages({ topic: deadLetterTopic(requests), count: 1 });
    expect(letter.key?.toString()).toBe(poisonId);
    expect(letter.value?.toString()).toBe('crash');
    expect(parseDeadLetterReason(letter.headers)).toMatchObject({ code: 'POISON', stage: 'count', attempts: 2, origin: { topic: requests, partition: 0, offset: '1' } });

    // Killed twice by the input (SIGKILL, no exit code), then never again: the third process is still up.
    expect(deaths).toEqual([
      { code: null, signal: 'SIGKILL' },
      { code: null, signal: 'SIGKILL' },
    ]);
    expect(running?.child.exitCode).toBeNull();
    expect(running?.child.signalCode).toBeNull();
    // The handler met the poison input twice only; the third process quarantined it without running it.
    expect(lines.filter((l) => l === 'HANDLER 1 crash')).toHaveLength(2);
    await redis.del(...ids.flatMap((id) => resultRedisKeys(id, resultPrefix)));
  });
});
