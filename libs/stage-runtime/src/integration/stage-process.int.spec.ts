/*
 * A stage process as it runs in production (runStage in its own Node
 * process): it must always end on SIGTERM, and end itself when its Kafka
 * consumer crashed for good; in-process, liveness must report that crash.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { findWorkspaceRoot } from '@conveyor/kafka-local';
import { createTopics, deleteTopicsWithPrefix, kafkaBrokers, redisUrl, testKafka, uniqueName, waitFor } from '@conveyor/testing';
import type { Admin, Producer } from 'kafkajs';
import { startStage, type RunningStage, type StageRuntimeSettings } from '../index';
import { faultyKafka } from './faulty-kafka.test-support';
import { committedOffset, sendTexts, within } from './transport-harness.test-support';
import { RecordingDeadLetterHook, wordCountModule } from './word-count-stage';

jest.setTimeout(180_000);

interface StageProcess {
  child: ChildProcess;
  /** Log messages (pino `msg`) and HANDLER_STARTED lines, in order. */
  lines: string[];
  exited: Promise<number | null>;
}

const settingsFor = (prefix: string, stage: string): StageRuntimeSettings => ({
  stage,
  brokers: kafkaBrokers(),
  redisUrl: redisUrl(),
  topicPrefix: prefix,
  logLevel: 'info',
  httpHost: '127.0.0.1',
  httpPort: 0,
  maxInFlight: 2,
  claimCheckThresholdBytes: 1_000_000,
  claimTtlSeconds: 60,
  maxMessageBytes: 1_000_000,
  shutdownGraceMs: 1_000,
  retry: { maxAttempts: 2, initialBackoffMs: 10, maxBackoffMs: 50 },
});

function spawnStage(settings: StageRuntimeSettings, fault = ''): StageProcess {
  const root = findWorkspaceRoot();
  const child = spawn(process.execPath, ['-r', '@swc-node/register', path.join(__dirname, 'stage-process.test-support.ts')], {
    cwd: root,
    env: { ...process.env, SWC_NODE_PROJECT: path.join(root, 'tsconfig.base.json'), STAGE_SETTINGS: JSON.stringify(settings), STAGE_FAULT: fault },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      lines.push(String((JSON.parse(line) as { msg?: unknown }).msg));
    } catch {
      lines.push(line);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, lines, exited };
}

describe('a stage process (runStage)', () => {
  const prefix = `${uniqueName('proc')}.`;
  const topic = `${prefix}hang.in`;
  let admin: Admin;
  let producer: Producer;
  let running: StageProcess | undefined;

  beforeAll(async () => {
    admin = testKafka('stage-process-admin').admin();
    await admin.connect();
    await createTopics(admin, [topic, `${topic}.dlq`]);
    producer = testKafka('stage-process-producer').producer({ idempotent: true });
    await producer.connect();
  });

  afterEach(async () => {
    if (running && running.child.exitCode === null && running.child.signalCode === null) {
      running.child.kill('SIGKILL');
      await running.exited;
    }
    running = undefined;
  });

  afterAll(async () => {
    await producer?.disconnect();
    await admin?.disconnect();
    await deleteTopicsWithPrefix(prefix);
  });

  it('ends on SIGTERM within its grace although a handler never finishes, leaving that message uncommitted', async () => {
    running = spawnStage(settingsFor(prefix, 'hang'));
    await waitFor('the stage to run', () => running!.lines.includes('signal handlers installed'));
    await sendTexts(producer, topic, ['never finishes']);
    await waitFor('the handler to start', () => running!.lines.some((l) => l.startsWith('HANDLER_STARTED')));

    running.child.kill('SIGTERM');
    expect(await within('the stage process to exit after SIGTERM', running.exited)).toBe(0);
    expect(running.lines).toContain('shutdown grace over with messages still in flight; they stay uncommitted');
    expect(running.lines).toContain('stage stopped');
    expect(await committedOffset(admin, `${prefix}conveyor-hang`, topic)).toBe('-1');
  });

  it('exits (1) through the hard timer when closing the app hangs after the drain', async () => {
    running = spawnStage(settingsFor(prefix, 'stuck'), 'stuck-shutdown');
    await waitFor('the stage to run', () => running!.lines.includes('signal handlers installed'));

    running.child.kill('SIGTERM');
    expect(await within('the stage process to exit after SIGTERM', running.exited)).toBe(1);
    expect(running.lines).toContain('shutdown did not finish in time; exiting anyway');
  });

  it('exits (1) by itself when its Kafka consumer crashed for good', async () => {
    running = spawnStage(settingsFor(prefix, 'crashing'), 'crash');
    await waitFor('the stage to run', () => running!.lines.includes('signal handlers installed'));
    await sendTexts(producer, topic, ['a batch to crash on']);

    expect(await within('the stage process to exit after the crash', running.exited)).toBe(1);
    expect(running.lines).toContain('kafka consumer crashed for good; exiting so the stage is restarted');
  });
});

describe('a stage whose Kafka consumer crashed for good (in process)', () => {
  const prefix = `${uniqueName('crash')}.`;
  let stage: RunningStage | undefined;

  afterAll(async () => {
    await stage?.stop();
    await deleteTopicsWithPrefix(prefix);
  });

  it('fails its liveness probe, so the orchestrator restarts it', async () => {
    const kafka = testKafka('stage-crash-setup');
    const admin = kafka.admin();
    await admin.connect();
    await createTopics(admin, [`${prefix}words.in`, `${prefix}words.batch`]);
    await admin.disconnect();
    const settings: StageRuntimeSettings = { ...settingsFor(prefix, 'wordcount'), logLevel: 'silent' };
    stage = await startStage(wordCountModule(settings), { deadLetterHook: RecordingDeadLetterHook }, {
      kafka: faultyKafka({
        beforeEachBatch: () => {
          throw new TypeError('injected: a bug in eachBatch');
        },
      }),
    });
    const live = () => fetch(`http://127.0.0.1:${stage!.httpPort}/health/live`);
    expect((await live()).status).toBe(200);

    const producer = kafka.producer();
    await producer.connect();
    await sendTexts(producer, `${prefix}words.in`, ['crash on this batch']);
    await producer.disconnect();

    await waitFor('liveness to fail', async () => (await live()).status === 503, 60_000);
    expect(await (await live()).json()).toMatchObject({ live: false, checks: { 'kafka-consumer': false } });
    expect(stage.transport.isLive).toBe(false);
  });
});
