/*
 * The stage transport when Kafka misbehaves: a refused commit, a rebalance in
 * the middle of a batch, a handler that never finishes at shutdown, a failing
 * dead-letter send or hook. Real broker and clients throughout; where a
 * healthy broker cannot fail on cue, faultyKafka() wraps the real client and
 * fails exactly one call.
 */
import { deadLetterTopic } from '@conveyor/contracts';
import { createTopics, deleteGroups, deleteTopics, testKafka, uniqueName, waitFor } from '@conveyor/testing';
import { KafkaJSConnectionError, KafkaJSProtocolError, type Admin, type Consumer, type ConsumerConfig, type EachBatchPayload, type Producer } from 'kafkajs';
import { signalsRebalance, StageError, type KafkaStageTransport, type StageResult } from '../index';
import { faultyKafka } from './faulty-kafka.test-support';
import { committedOffset, gate, messageCount, recordingLogger, sendTexts, startTransport, within } from './transport-harness.test-support';

jest.setTimeout(180_000);

/** How kafkajs reports a coordinator that moved (broker restart, reassignment): retriable. */
function notCoordinator(): KafkaJSProtocolError {
  return new KafkaJSProtocolError(
    Object.assign(new Error('This is not the correct coordinator for this group (injected)'), { type: 'NOT_COORDINATOR_FOR_GROUP', code: 16, retriable: true }),
  );
}

type Offsets = Parameters<EachBatchPayload['commitOffsetsIfNecessary']>[0];

const output = (topic: string): StageResult => ({ topic, type: 'conveyor.test.done.v1', value: Buffer.from('done') });

describe('stage transport under Kafka faults (real broker)', () => {
  let admin: Admin;
  let producer: Producer;
  const topics: string[] = [];
  const groups: string[] = [];
  const transports: KafkaStageTransport[] = [];
  const consumers: Consumer[] = [];

  /** Fresh one-partition topics (and their dead-letter topics) for one test. */
  const newTopics = async (...names: string[]): Promise<string[]> => {
    const created = names.map((name) => uniqueName(name));
    await createTopics(admin, [...created, ...created.map(deadLetterTopic)]);
    topics.push(...created, ...created.map(deadLetterTopic));
    return created;
  };

  const start = async (options: Parameters<typeof startTransport>[0]) => {
    const transport = await startTransport(options);
    transports.push(transport);
    groups.push(transport.groupIdForTest);
    return transport;
  };

  beforeAll(async () => {
    admin = testKafka('stage-faults-admin').admin();
    await admin.connect();
    producer = testKafka('stage-faults-producer').producer({ idempotent: true });
    await producer.connect();
  });

  afterEach(async () => {
    await Promise.all(transports.splice(0).map((t) => t.drain(1_000)));
    await Promise.all(consumers.splice(0).map((c) => c.disconnect()));
  });

  afterAll(async () => {
    await producer?.disconnect();
    await deleteGroups(admin, groups);
    await deleteTopics(admin, topics);
    await admin?.disconnect();
  });

  it('retries a commit the coordinator refuses while other messages are in flight, with no unhandled rejection', async () => {
    const [topic, out] = await newTopics('commit.in', 'commit.out');
    const unhandled: unknown[] = [];
    const recordUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', recordUnhandled);
    try {
      const release = gate();
      const refused: unknown[] = [];
      const clientErrors: unknown[] = [];
      const configs: ConsumerConfig[] = [];
      await sendTexts(producer, topic, ['quick', 'gated', 'gated']);
      const transport = await start({
        topic,
        maxInFlight: 3,
        handler: async (message) => {
          if (message.value.toString() === 'gated') await release.opened;
          return output(out);
        },
        commitRetry: { maxAttempts: 5, initialBackoffMs: 20, maxBackoffMs: 100 },
        observer: { clientError: (_client, error) => void clientErrors.push(error) },
        kafka: faultyKafka({
          consumerConfig: (config) => void configs.push(config),
          // The first commit (offset 1, after "quick") is refused as after a coordinator move.
          payload: (payload) => ({
            commitOffsetsIfNecessary: async (offsets?: Offsets) => {
              if (refused.length === 0) {
                const error = notCoordinator();
                refused.push(error);
                throw error;
              }
              return payload.commitOffsetsIfNecessary(offsets);
            },
          }),
        }),
      });
      await waitFor('the first commit to be refused', () => refused.length === 1, 30_000);
      expect(transport.inFlight).toBe(2); // both "gated" messages are still running
      await waitFor('the refused commit to be retried', async () => (await committedOffset(admin, transport.groupIdForTest, topic)) === '1', 30_000);
      release.open();
      await waitFor('all three committed', async () => (await committedOffset(admin, transport.groupIdForTest, topic)) === '3', 30_000);
      expect(unhandled).toEqual([]);
      expect(clientErrors).toContain(refused[0]);
      // The rebalance timeout is named, not left to chance: kafkajs' 60 s unless configured.
      expect(configs[0].rebalanceTimeout).toBe(60_000);
    } finally {
      process.off('unhandledRejection', recordUnhandled);
    }
  });

  it('stops starting messages of its batch once a heartbeat reports a rebalance, commits what finished, and rejoins', async () => {
    const [topic] = await newTopics('rebalance.in');
    const events: string[] = [];
    const configs: ConsumerConfig[] = [];
    const release = gate();
    await sendTexts(producer, topic, ['gated', 'a', 'b', 'c', 'd']);
    const transport = await start({
      topic,
      maxInFlight: 1,
      heartbeatIntervalMs: 100,
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 45_000,
      handler: async (message) => {
        events.push(`start ${message.origin.offset}`);
        if (message.value.toString() === 'gated') await release.opened;
        return [];
      },
      kafka: faultyKafka({
        consumerConfig: (config) => void configs.push(config),
        consumerCreated: (consumer) => consumer.on(consumer.events.GROUP_JOIN, () => void events.push('join')),
        // Watch (not change) what the coordinator answers the transport's heartbeats.
        payload: (payload) => ({
          heartbeat: () =>
            payload.heartbeat().catch((error: unknown) => {
              if (signalsRebalance(error)) events.push('rebalance announced');
              throw error;
            }),
        }),
      }),
    });
    await waitFor('the first message to start', () => events.includes('start 0'), 30_000);

    // A second member joins the group: the coordinator starts a rebalance.
    const joiner = testKafka('stage-faults-joiner').consumer({ groupId: transport.groupIdForTest, heartbeatInterval: 100, sessionTimeout: 10_000 });
    consumers.push(joiner);
    await joiner.connect();
    await joiner.subscribe({ topic, fromBeginning: true });
    // Not awaited: run() returns once the join completes, and that waits for the stage to rejoin.
    const joined = joiner.run({ autoCommit: false, eachMessage: async () => undefined });
    await waitFor('a heartbeat to announce the rebalance', () => events.includes('rebalance announced'), 30_000);

    release.open();
    const announced = events.indexOf('rebalance announced');
    await waitFor('the stage to rejoin', () => events.indexOf('join', announced) > announced, 60_000);
    const rejoined = events.indexOf('join', announced);
    await joined;
    // Between the announcement and the rejoin, nothing new started: only "gated" (offset 0) was in flight.
    expect(events.slice(announced, rejoined).filter((e) => e.startsWith('start'))).toEqual([]);
    await waitFor('the finished message to be committed', async () => Number(await committedOffset(admin, transport.groupIdForTest, topic)) >= 1, 30_000);

    // The joiner (which commits nothing) leaves: the stage ends up with the partition and works through the rest.
    await joiner.disconnect();
    consumers.splice(consumers.indexOf(joiner), 1);
    await waitFor('the rest of the batch to be committed', async () => (await committedOffset(admin, transport.groupIdForTest, topic)) === '5', 60_000);
    // "gated" was committed while the group waited for the stage (same generation): it is not redelivered.
    expect(events.filter((e) => e === 'start 0')).toHaveLength(1);
    // The rebalance timeout the group waits for us is the configured one, not kafkajs' silent default.
    expect(configs[0].rebalanceTimeout).toBe(45_000);
  });

  it('drain returns after its grace even if a handler never finishes; that message stays uncommitted and is redelivered', async () => {
    const [topic, out] = await newTopics('drain.in', 'drain.out');
    const logger = recordingLogger();
    let hanging = 0;
    await sendTexts(producer, topic, ['quick', 'hang']);
    const transport = await start({
      topic,
      maxInFlight: 2,
      logger,
      handler: async (message) => {
        if (message.value.toString() !== 'hang') return output(out);
        hanging += 1;
        return new Promise<never>(() => undefined);
      },
    });
    await waitFor('"quick" committed and "hang" running', async () => hanging === 1 && (await committedOffset(admin, transport.groupIdForTest, topic)) === '1', 30_000);

    await within('drain(500) with a handler that never finishes', transport.drain(500), 30_000);
    expect(transport.isReady).toBe(false);
    expect(logger.entries.map((e) => e.message)).toContain('shutdown grace over with messages still in flight; they stay uncommitted');
    expect(await committedOffset(admin, transport.groupIdForTest, topic)).toBe('1');

    // The next member of the group gets the abandoned message again.
    const redelivered: string[] = [];
    const next = await start({
      topic,
      groupId: transport.groupIdForTest,
      handler: async (message) => {
        redelivered.push(message.value.toString());
        return output(out);
      },
    });
    await waitFor('the abandoned message to be redelivered and committed', async () => (await committedOffset(admin, next.groupIdForTest, topic)) === '2', 60_000);
    expect(redelivered).toEqual(['hang']);
  });

  it('keeps a message dead-lettered (once) when the dead-letter hook fails after the dead letter was acknowledged', async () => {
    const [topic] = await newTopics('hook.in');
    const logger = recordingLogger();
    let handled = 0;
    let hookCalls = 0;
    const hookFailures: unknown[] = [];
    await sendTexts(producer, topic, ['bad input']);
    const transport = await start({
      topic,
      logger,
      handler: async () => {
        handled += 1;
        throw new StageError('BAD_INPUT', 'cannot use this');
      },
      deadLetterHook: {
        onDeadLetter: async () => {
          hookCalls += 1;
          throw new Error('results store down');
        },
      },
      observer: { deadLetterHookFailed: (_origin, error) => void hookFailures.push(error) },
    });
    await waitFor('the dead-lettered message to be committed', async () => (await committedOffset(admin, transport.groupIdForTest, topic)) === '1', 30_000);
    expect(await messageCount(admin, deadLetterTopic(topic))).toBe(1);
    expect(handled).toBe(1);
    expect(hookCalls).toBe(1);
    expect(hookFailures).toEqual([expect.objectContaining({ message: 'results store down' })]);
    expect(logger.entries.find((e) => e.level === 'error')?.message).toBe('dead-letter hook failed; the message stays dead-lettered and is not retried');
  });

  it('retries a failing dead-letter send without running the handler again, and reports each failure', async () => {
    const [topic] = await newTopics('dlq-send.in');
    const dlq = deadLetterTopic(topic);
    const logger = recordingLogger();
    const clientErrors: unknown[] = [];
    let handled = 0;
    let failuresLeft = 2;
    await sendTexts(producer, topic, ['bad input']);
    const transport = await start({
      topic,
      logger,
      handler: async () => {
        handled += 1;
        throw new StageError('BAD_INPUT', 'cannot use this');
      },
      deadLetterRetry: { maxAttempts: 5, initialBackoffMs: 10, maxBackoffMs: 50 },
      observer: { clientError: (_client, error) => void clientErrors.push(error) },
      kafka: faultyKafka({
        send: async (record, send) => {
          if (record.topic === dlq && failuresLeft > 0) {
            failuresLeft -= 1;
            throw new KafkaJSConnectionError('Connection error: injected', { broker: 'test' });
          }
          return send(record);
        },
      }),
    });
    await waitFor('the dead-lettered message to be committed', async () => (await committedOffset(admin, transport.groupIdForTest, topic)) === '1', 30_000);
    expect(handled).toBe(1);
    expect(await messageCount(admin, dlq)).toBe(1);
    expect(clientErrors).toHaveLength(2);
    expect(logger.entries.filter((e) => e.message === 'dead-letter send failed, retrying')).toHaveLength(2);
  });

  it('after the bounded dead-letter retries, leaves the message unfinished: it is fetched and handled again', async () => {
    const [topic] = await newTopics('dlq-exhausted.in');
    const dlq = deadLetterTopic(topic);
    const logger = recordingLogger();
    let handled = 0;
    let failuresLeft = 3;
    await sendTexts(producer, topic, ['bad input']);
    const transport = await start({
      topic,
      logger,
      handler: async () => {
        handled += 1;
        throw new StageError('BAD_INPUT', 'cannot use this');
      },
      deadLetterRetry: { maxAttempts: 2, initialBackoffMs: 10, maxBackoffMs: 50 },
      kafka: faultyKafka({
        send: async (record, send) => {
          if (record.topic === dlq && failuresLeft > 0) {
            failuresLeft -= 1;
            throw new KafkaJSConnectionError('Connection error: injected', { broker: 'test' });
          }
          return send(record);
        },
      }),
    });
    await waitFor('the dead-lettered message to be committed', async () => (await committedOffset(admin, transport.groupIdForTest, topic)) === '1', 60_000);
    expect(handled).toBe(2);
    expect(await messageCount(admin, dlq)).toBe(1);
    expect(logger.entries.map((e) => e.message)).toContain('dead-letter send failed; the message stays uncommitted and is fetched again');
  });
});
