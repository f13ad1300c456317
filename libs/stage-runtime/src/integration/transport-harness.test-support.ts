/*
 * A KafkaStageTransport on the test broker without a Nest app: handlers are
 * registered the way Nest registers a controller's @StageHandler methods
 * (Server.addHandler), so a test controls exactly what each message does.
 */
import { newRequestId, toCloudEventHeaders } from '@conveyor/contracts';
import { kafkaBrokers, uniqueName } from '@conveyor/testing';
import type { Admin, Producer } from 'kafkajs';
import { KafkaStageTransport, type KafkaStageTransportOptions, type StageLogger, type StageMessage, type StageResult } from '../index';

export interface LogEntry {
  level: 'info' | 'warn' | 'error' | 'debug';
  fields: Record<string, unknown>;
  message: string;
}

/** A StageLogger that keeps what it is told (tests read it) and prints nothing. */
export function recordingLogger(): StageLogger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: LogEntry['level']) =>
    (fields: unknown, message?: unknown): void =>
      void entries.push({ level, fields: typeof fields === 'object' && fields !== null ? (fields as Record<string, unknown>) : {}, message: String(message ?? '') });
  return { entries, info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') } as unknown as StageLogger & { entries: LogEntry[] };
}

export type TestHandler = (message: StageMessage) => Promise<StageResult>;

export interface HarnessOptions extends Partial<KafkaStageTransportOptions> {
  topic: string;
  handler: TestHandler;
}

/** Starts a transport consuming `topic` with `handler`; its group is unique to the test. */
export async function startTransport({ topic, handler, ...options }: HarnessOptions): Promise<KafkaStageTransport & { groupIdForTest: string }> {
  const groupId = options.groupId ?? uniqueName('faults');
  const transport = new KafkaStageTransport({
    stage: 'faults',
    brokers: kafkaBrokers(),
    groupId,
    maxInFlight: 4,
    limits: { claimCheckThresholdBytes: 1_000_000, maxMessageBytes: 1_000_000 },
    retry: { maxAttempts: 2, initialBackoffMs: 10, maxBackoffMs: 50 },
    logger: recordingLogger(),
    ...options,
  });
  transport.addHandler(topic, (data: unknown) => handler(data as StageMessage), true, {});
  await new Promise<void>((resolve, reject) => void transport.listen((error?: unknown) => (error ? reject(error) : resolve())));
  return Object.assign(transport, { groupIdForTest: groupId });
}

/** Produces text messages with valid CloudEvent headers, in one request (so they arrive in one fetched batch). */
export async function sendTexts(producer: Producer, topic: string, texts: string[]): Promise<string[]> {
  const ids = texts.map(() => newRequestId());
  await producer.send({
    topic,
    acks: -1,
    messages: texts.map((text, i) => ({
      key: ids[i],
      value: Buffer.from(text),
      headers: toCloudEventHeaders({ specversion: '1.0', id: ids[i], source: '/test', type: 'conveyor.test.text.v1', contentType: 'text/plain' }),
    })),
  });
  return ids;
}

/** The group's committed offset for partition 0 of `topic` ('-1': none). */
export async function committedOffset(admin: Admin, groupId: string, topic: string): Promise<string> {
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return offsets.partitions.find((p) => p.partition === 0)?.offset ?? '-1';
}

/** Messages in partition 0 of `topic` (its high watermark). */
export async function messageCount(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return Number(offsets.find((p) => p.partition === 0)?.high ?? 0);
}

/** A promise the test resolves when it chooses. */
export function gate(): { opened: Promise<void>; open(): void } {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Waits for `work`, or fails naming `what` after a generous bound (a hang is the failure, not slowness). */
export async function within<T>(what: string, work: Promise<T>, boundMs = 60_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${boundMs} ms`)), boundMs);
  });
  try {
    return await Promise.race([work, bound]);
  } finally {
    clearTimeout(timer);
  }
}
