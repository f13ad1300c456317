import {
  CloudEventHeader,
  ConveyorHeader,
  headerString,
  isValidRequestId,
  parseDeadLetterReason,
  type KafkaHeaders,
  type KafkaOrigin,
} from '@conveyor/contracts';
import { DEAD_LETTER_SUFFIX, resultKeyPrefix, topicName, type PipelineDefinition } from '@conveyor/pipeline';
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';

/** A dead-letter topic of a pipeline: `<prefix><pipeline>.<input>.dlq`, with the stages that consume that input. */
export interface DeadLetterSource {
  pipeline: PipelineDefinition;
  /** The dead-letter topic (TOPIC_PREFIX applied). */
  topic: string;
  /** The input topic whose failures it holds (TOPIC_PREFIX applied). */
  inputTopic: string;
  stages: string[];
}

/** Every dead-letter topic of `pipelines`, from their definitions: one per stage input. */
export function deadLetterSources(pipelines: readonly PipelineDefinition[], topicPrefix = ''): DeadLetterSource[] {
  return pipelines.flatMap((pipeline) => {
    const inputs = [...new Set(pipeline.stages.map((s) => s.input))];
    return inputs.map((input) => {
      const inputTopic = topicName(pipeline, input, topicPrefix);
      return {
        pipeline,
        topic: `${inputTopic}${DEAD_LETTER_SUFFIX}`,
        inputTopic,
        stages: pipeline.stages.filter((s) => s.input === input).map((s) => s.name),
      };
    });
  });
}

/** One dead letter as read back from a `.dlq` topic. */
export interface DeadLetter {
  /** Where the dead letter itself is: `<dlq topic>/<partition>/<offset>` (an id `dlq show` and `dlq replay` accept). */
  position: string;
  dlqTopic: string;
  partition: number;
  offset: string;
  pipeline: string;
  /** The result key prefix of its pipeline (Redis). */
  resultKeyPrefix: string;
  /** `ce_id`, else the key; undefined when neither is a valid request id. */
  requestId: string | undefined;
  /** When the dead letter was written (its Kafka timestamp). */
  time: Date;
  stage: string;
  code: string;
  message: string;
  attempts: number;
  /** Where the failed message was: the topic a replay publishes to. */
  origin: KafkaOrigin | undefined;
  /** Why the reason headers could not be read (not a dead letter the runtime wrote); such a letter cannot be replayed. */
  malformed?: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: KafkaHeaders;
  contentType: string | undefined;
  /** Redis key of a claim-checked payload (the dead letter carries the key, not the bytes). */
  claimKey: string | undefined;
}

/** The headers the runtime adds to a dead letter; a replay strips them. */
export const DEAD_LETTER_REASON_HEADERS: readonly string[] = [
  ConveyorHeader.errorCode,
  ConveyorHeader.errorMessage,
  ConveyorHeader.stage,
  ConveyorHeader.attempts,
  ConveyorHeader.origin,
];

/** The original headers of a dead-lettered message: the dead letter's, without the reason headers. */
export function originalHeaders(headers: KafkaHeaders): KafkaHeaders {
  const reason = new Set(DEAD_LETTER_REASON_HEADERS);
  return Object.fromEntries(Object.entries(headers).filter(([name, value]) => value !== undefined && !reason.has(name.toLowerCase())));
}

function copyHeaders(headers: Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined): KafkaHeaders {
  const copy: KafkaHeaders = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    copy[name] = Array.isArray(value) ? value.map((v) => (Buffer.isBuffer(v) ? Buffer.from(v) : v)) : Buffer.isBuffer(value) ? Buffer.from(value) : value;
  }
  return copy;
}

/** Turns one record of a dead-letter topic into a DeadLetter. */
export function toDeadLetter(
  source: DeadLetterSource,
  record: { partition: number; offset: string; timestamp: string; key: Buffer | null; value: Buffer | null; headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined> },
): DeadLetter {
  const headers = copyHeaders(record.headers);
  const ceId = headerString(headers, CloudEventHeader.id);
  const key = record.key ? Buffer.from(record.key) : null;
  const candidate = ceId ?? key?.toString('utf8');
  const base = {
    position: `${source.topic}/${record.partition}/${record.offset}`,
    dlqTopic: source.topic,
    partition: record.partition,
    offset: record.offset,
    pipeline: source.pipeline.name,
    resultKeyPrefix: resultKeyPrefix(source.pipeline),
    requestId: candidate !== undefined && isValidRequestId(candidate) ? candidate : undefined,
    time: new Date(Number(record.timestamp)),
    key,
    value: record.value ? Buffer.from(record.value) : null,
    headers,
    contentType: headerString(headers, CloudEventHeader.contentType),
    claimKey: headerString(headers, ConveyorHeader.claim),
  };
  try {
    const reason = parseDeadLetterReason(headers);
    return { ...base, stage: reason.stage, code: reason.code, message: reason.message, attempts: reason.attempts, origin: reason.origin };
  } catch (error) {
    return {
      ...base,
      stage: headerString(headers, ConveyorHeader.stage) ?? '?',
      code: headerString(headers, ConveyorHeader.errorCode) ?? '?',
      message: headerString(headers, ConveyorHeader.errorMessage) ?? '',
      attempts: Number(headerString(headers, ConveyorHeader.attempts) ?? 0) || 0,
      origin: undefined,
      malformed: (error as Error).message,
    };
  }
}

export interface ReadDeadLettersOptions {
  kafka: Kafka;
  sources: readonly DeadLetterSource[];
  /** Bound on reading every topic to its end (default 60 s). */
  timeoutMs?: number;
}

/**
 * Reads every dead letter of `sources`, from the beginning of each topic to
 * the high watermark it had when reading started; oldest first. A throw-away
 * consumer group that commits nothing (and is deleted afterwards): reading
 * changes nothing on the broker. Topics that do not exist (a pipeline never
 * started) are skipped.
 */
export async function readDeadLetters({ kafka, sources, timeoutMs = 60_000 }: ReadDeadLettersOptions): Promise<DeadLetter[]> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `conveyor-dlq-reader-${randomUUID()}`;
  const letters: DeadLetter[] = [];
  try {
    const existing = new Set(await admin.listTopics());
    /** Per topic and partition: the last offset to read (high watermark - 1). */
    const targets = new Map<string, Map<number, bigint>>();
    for (const source of sources) {
      if (!existing.has(source.topic) || targets.has(source.topic)) continue;
      const partitions = new Map<number, bigint>();
      for (const p of await admin.fetchTopicOffsets(source.topic)) {
        if (BigInt(p.high) > BigInt(p.low)) partitions.set(p.partition, BigInt(p.high) - 1n);
      }
      if (partitions.size > 0) targets.set(source.topic, partitions);
    }
    if (targets.size === 0) return [];
    const byTopic = new Map(sources.map((s) => [s.topic, s]));
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250, allowAutoTopicCreation: false });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [...targets.keys()], fromBeginning: true });
      const remaining = new Set([...targets].flatMap(([topic, partitions]) => [...partitions.keys()].map((p) => `${topic}/${p}`)));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`reading the dead-letter topics did not finish within ${timeoutMs} ms`)), timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          resolve();
        };
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              const target = targets.get(batch.topic)?.get(batch.partition);
              const source = byTopic.get(batch.topic);
              if (target === undefined || !source) return;
              for (const message of batch.messages) {
                if (BigInt(message.offset) > target) break;
                letters.push(toDeadLetter(source, { ...message, partition: batch.partition }));
              }
              if (BigInt(batch.lastOffset()) >= target) {
                remaining.delete(`${batch.topic}/${batch.partition}`);
                if (remaining.size === 0) done();
              }
            },
          })
          .catch((error: unknown) => {
            clearTimeout(timer);
            reject(error as Error);
          });
      });
    } finally {
      await consumer.disconnect();
    }
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
  return letters.sort((a, b) => a.time.getTime() - b.time.getTime() || a.position.localeCompare(b.position));
}

export interface DeadLetterFilter {
  pipelines?: readonly string[];
  stage?: string;
  code?: string;
  /** Only dead letters written at or after this time. */
  since?: Date;
  /** Request ids or dead-letter positions. */
  ids?: readonly string[];
}

/** The dead letters `filter` selects (every one for an empty filter). Codes compare case-insensitively. */
export function filterDeadLetters(letters: readonly DeadLetter[], filter: DeadLetterFilter): DeadLetter[] {
  const ids = filter.ids && filter.ids.length > 0 ? new Set(filter.ids) : undefined;
  return letters.filter(
    (l) =>
      (!filter.pipelines?.length || filter.pipelines.includes(l.pipeline)) &&
      (!filter.stage || l.stage === filter.stage) &&
      (!filter.code || l.code.toUpperCase() === filter.code.toUpperCase()) &&
      (!filter.since || l.time.getTime() >= filter.since.getTime()) &&
      (!ids || ids.has(l.position) || (l.requestId !== undefined && ids.has(l.requestId))),
  );
}

/**
 * Parses `--since`: an ISO 8601 date or time (`2026-11-30`, `2026-11-30T08:00:00Z`)
 * or an age (`90s`, `30m`, `2h`, `7d`) counted back from `now`.
 */
export function parseSince(text: string, now: Date = new Date()): Date {
  const age = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)$/.exec(text.trim());
  if (age) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[age[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(now.getTime() - Number(age[1]) * unit);
  }
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text.trim())) {
    const date = new Date(text.trim());
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new Error(`--since wants an ISO date or time (2026-11-30, 2026-11-30T08:00:00Z) or an age (90s, 30m, 2h, 7d), got "${text}"`);
}
