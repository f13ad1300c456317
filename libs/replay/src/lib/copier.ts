import type { Admin, Kafka, Message } from 'kafkajs';
import { originalRequestId, replayHeaders, replayRequestId } from './ids';
import { appendCopied, type CopiedEntry, type PartitionRange, type ReplayPlan } from './state';
import type { ReplayWindow } from './time';

/**
 * The offsets of a time window on a topic, per partition: from the first
 * message at or after `since` to the first at or after `until` (or the end of
 * the partition now). Message timestamps are the producer's (CreateTime), so
 * the window is as exact as the producers' clocks.
 */
export async function planWindow(admin: Admin, topic: string, window: ReplayWindow): Promise<PartitionRange[]> {
  const starts = await admin.fetchTopicOffsetsByTimestamp(topic, window.since.getTime());
  const ends = window.until
    ? await admin.fetchTopicOffsetsByTimestamp(topic, window.until.getTime())
    : (await admin.fetchTopicOffsets(topic)).map(({ partition, offset }) => ({ partition, offset }));
  const endOf = new Map(ends.map((e) => [e.partition, BigInt(e.offset)]));
  return starts
    .map(({ partition, offset }) => {
      const start = BigInt(offset);
      const end = endOf.get(partition) ?? start;
      return { partition, start: start.toString(), end: (end > start ? end : start).toString() };
    })
    .sort((a, b) => a.partition - b.partition);
}

/** Messages in the window: the sum of end − start over the partitions. */
export function windowSize(partitions: readonly PartitionRange[]): number {
  return partitions.reduce((sum, p) => sum + Number(BigInt(p.end) - BigInt(p.start)), 0);
}

/**
 * Retries what a broker answers with a retriable error that kafkajs' admin
 * passes on (a group coordinator still loading or just moved).
 */
export async function retrying<T>(work: () => Promise<T>, attempts = 10, delayMs = 300): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const retriable = (error as { retriable?: unknown }).retriable === true;
      if (!retriable || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, delayMs * attempt));
    }
  }
}

export interface CopyOptions {
  kafka: Kafka;
  plan: ReplayPlan;
  /** Where the copied-requests log is appended (the state directory). */
  stateDir: string;
  /** Stops the copy after the chunk in flight is sent and committed. */
  signal?: AbortSignal;
  /** Called after each chunk is sent, logged and committed. */
  onCopied?: (entries: readonly CopiedEntry[]) => void;
  /** Most messages sent and committed at once (default 32). */
  chunkMessages?: number;
  /** Most value bytes sent at once (default 8 MiB; a larger message goes alone). */
  chunkBytes?: number;
}

export interface CopyOutcome {
  /** Every partition reached its end offset. */
  completed: boolean;
  /** Requests copied (or refused) by this call. */
  handled: number;
}

/**
 * Copies the plan's window from the live input topic to the replay input
 * topic as consumer group `plan.group`: each message with a new request id
 * (`<runId>.<original id>`, also its key), its original value and headers
 * (see replayHeaders). Per chunk: send (acks=-1), append to the copied log,
 * commit the group's offset. A stop (signal) comes between chunks, so a
 * resumed copy starts after the last chunk sent; after a crash between send
 * and commit a chunk is sent again, under the same replay ids (the result
 * store keeps the first result of an id).
 *
 * Partitions without a committed offset (a new run, or one that crashed
 * before its first commit) are set to their start first.
 */
export async function copyWindow(options: CopyOptions): Promise<CopyOutcome> {
  const { kafka, plan, stateDir, signal } = options;
  const chunkMessages = options.chunkMessages ?? 32;
  const chunkBytes = options.chunkBytes ?? 8 * 1024 * 1024;
  const ranges = new Map(plan.partitions.map((p) => [p.partition, { start: BigInt(p.start), end: BigInt(p.end) }]));
  const position = new Map<number, bigint>();

  const admin = kafka.admin();
  await admin.connect();
  try {
    const [committed] = await retrying(() => admin.fetchOffsets({ groupId: plan.group, topics: [plan.liveTopic] }));
    const fresh: Array<{ partition: number; offset: string }> = [];
    for (const [partition, range] of ranges) {
      const at = committed?.partitions.find((p) => p.partition === partition)?.offset;
      if (at === undefined || BigInt(at) < 0n) {
        fresh.push({ partition, offset: range.start.toString() });
        position.set(partition, range.start);
      } else {
        position.set(partition, BigInt(at));
      }
    }
    if (fresh.length > 0) await retrying(() => admin.setOffsets({ groupId: plan.group, topic: plan.liveTopic, partitions: fresh }));
  } finally {
    await admin.disconnect();
  }

  const done = (partition: number): boolean => {
    const range = ranges.get(partition);
    return !range || (position.get(partition) ?? range.start) >= range.end;
  };
  const allDone = () => [...ranges.keys()].every(done);
  if (allDone() || signal?.aborted) return { completed: allDone(), handled: 0 };

  let handled = 0;
  let settle: (completed: boolean) => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const finished = new Promise<boolean>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  const onAbort = () => settle(false);
  signal?.addEventListener('abort', onAbort, { once: true });

  const producer = kafka.producer({ idempotent: true, allowAutoTopicCreation: false, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId: plan.group, sessionTimeout: 10_000, heartbeatInterval: 2_000, maxWaitTimeInMs: 250, retry: { retries: 5 } });
  consumer.on(consumer.events.CRASH, (event) => {
    if (!event.payload.restart) fail(event.payload.error);
  });
  await producer.connect();
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [plan.liveTopic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const partition = batch.partition;
        const range = ranges.get(partition);
        if (!range || done(partition)) {
          consumer.pause([{ topic: batch.topic, partitions: [partition] }]);
          if (allDone()) settle(true);
          return;
        }
        let chunk: Array<{ entry: CopiedEntry; message?: Message; offset: bigint }> = [];
        let bytes = 0;
        const flush = async () => {
          if (chunk.length === 0) return;
          const messages = chunk.flatMap((c) => (c.message ? [c.message] : []));
          if (messages.length > 0) await producer.send({ topic: plan.replayTopic, acks: -1, messages });
          const entries = chunk.map((c) => c.entry);
          appendCopied(stateDir, plan.runId, entries);
          const next = chunk[chunk.length - 1].offset + 1n;
          await consumer.commitOffsets([{ topic: batch.topic, partition, offset: next.toString() }]);
          resolveOffset(chunk[chunk.length - 1].offset.toString());
          position.set(partition, next);
          handled += entries.length;
          chunk = [];
          bytes = 0;
          options.onCopied?.(entries);
          await heartbeat();
        };
        for (const message of batch.messages) {
          if (signal?.aborted || !isRunning() || isStale()) break;
          const offset = BigInt(message.offset);
          if (offset < (position.get(partition) ?? range.start)) continue;
          if (offset >= range.end) break;
          const original = originalRequestId(message.headers, message.key);
          const made = original === undefined ? undefined : replayRequestId(plan.runId, original);
          const entry: CopiedEntry = { original: original ?? '', partition, offset: message.offset };
          let copy: Message | undefined;
          if (original === undefined || made === undefined) {
            entry.error = 'the request has no id (no ce_id header, no key)';
          } else if (!made.ok) {
            entry.error = made.reason;
          } else {
            entry.replay = made.id;
            const value = message.value ? Buffer.from(message.value) : null;
            copy = { key: made.id, value, headers: replayHeaders(message.headers, made.id, original, plan.runId) };
          }
          const size = copy?.value ? (copy.value as Buffer).length : 0;
          // A message that would make the chunk too large waits for the next one (alone if it is that large).
          if (chunk.length > 0 && bytes + size > chunkBytes) await flush();
          chunk.push({ entry, message: copy, offset });
          bytes += size;
          if (chunk.length >= chunkMessages) await flush();
        }
        if (!signal?.aborted && isRunning() && !isStale()) await flush();
        else if (chunk.length > 0) chunk = []; // not committed: sent again on resume (never sent here)
        if (done(partition)) {
          consumer.pause([{ topic: batch.topic, partitions: [partition] }]);
          if (allDone()) settle(true);
        }
      },
    });
    const completed = await finished;
    return { completed, handled };
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
  }
}
