// The Conveyor pipeline as a producer sees it: the local platform (Kafka, the
// topics, four stage processes) started for this run under a topic prefix of
// its own, images published with OcrClient, results read back from Redis.
// Everything the run created is removed afterwards, also on failure.
import { randomBytes } from 'node:crypto';
import { resultRedisKeys } from '@conveyor/contracts';
import { consumerGroup } from '@conveyor/pipeline';
import { ocrPipeline, type OcrError } from '@conveyor/pipelines';
import type { CorpusItem } from '@conveyor/corpus';
import { OcrClient } from '@conveyor/ocr-client';
import { topicsOf, startLocalPlatform, type LocalPlatform } from '@conveyor/platform';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';

/** Where the result store marks a result as announced (libs/ocr-pipeline result-store). */

export interface PipelineRunOptions {
  items: readonly CorpusItem[];
  warmUp: readonly CorpusItem[];
  partitions: number;
  timeoutMs: number;
  redisUrl: string;
  /** An existing Kafka; absent: the project's own broker on a free port with temporary data. */
  kafkaBrokers?: string;
  /** LOG_LEVEL of the stages. */
  stageLogLevel: string;
  /** Progress lines (stage and broker logs are collected, not passed here). */
  progress: (line: string) => void;
}

export interface FailedItem {
  id: string;
  error: OcrError;
}

export interface PipelineRun {
  /** Lines read, by corpus item id; only items with an "ok" result. */
  predictions: Map<string, string[]>;
  /** First submit to last result of the timed pass. */
  seconds: number;
  failed: FailedItem[];
  /** Corpus item ids without a result by the deadline. */
  lost: string[];
  topicPrefix: string;
  brokers: string;
  /** Log lines of the broker, the platform and the stages (at the stage log level). */
  logs: string[];
  /** Anything that went wrong while cleaning up (the run's figures still stand). */
  cleanupProblems: string[];
}

/** The platform's logs, attached to an error so the caller can show them only when it fails. */
export class PipelineRunError extends Error {
  constructor(
    message: string,
    readonly logs: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PipelineRunError';
  }
}

const MAX_LOG_LINES = 5_000;
const WARM_UP_TIMEOUT_MS = 120_000;

const contentType = (item: CorpusItem): string => (item.truth.format === 'jpeg' ? 'image/jpeg' : 'image/png');

/** A topic prefix nobody else uses, so a shared cluster's other pipelines never see the bench's messages. */
export function benchTopicPrefix(): string {
  return `bench-${randomBytes(4).toString('hex')}.`;
}

/** Request ids that say which run and which image they belong to (visible ASCII, as the contract wants). */
export const requestId = (prefix: string, kind: 'warmup' | 'timed', itemId: string): string =>
  `${prefix}${kind}.${itemId}`;

export async function runPipeline(options: PipelineRunOptions): Promise<PipelineRun> {
  const logs: string[] = [];
  const log = (line: string): void => {
    logs.push(line);
    if (logs.length > MAX_LOG_LINES) logs.splice(0, logs.length - MAX_LOG_LINES);
  };
  const topicPrefix = benchTopicPrefix();
  options.progress(`pipeline: starting Kafka${options.kafkaBrokers ? ` (${options.kafkaBrokers})` : ''} and the four stages, topics ${topicPrefix}ocr.*`);
  let platform: LocalPlatform;
  try {
    platform = await startLocalPlatform({
      kafkaBrokers: options.kafkaBrokers,
      kafkaPort: 0,
      redisUrl: options.redisUrl,
      topicPrefix,
      partitions: options.partitions,
      pipelines: [ocrPipeline.name],
      httpBasePort: 0,
      env: {
        ...process.env,
        LOG_LEVEL: options.stageLogLevel,
        // Claim-checked payloads (the pages between preprocess and features) have random keys the bench
        // cannot name; a TTL just past the run's longest wait lets them expire instead of lingering a day.
        CLAIM_TTL_SECONDS: String(Math.ceil((WARM_UP_TIMEOUT_MS + options.timeoutMs) / 1000) + 300),
      },
      log,
    });
  } catch (error) {
    throw new PipelineRunError(`the platform did not start: ${(error as Error).message}`, logs, { cause: error });
  }

  const ids: string[] = [];
  let client: OcrClient | undefined;
  let run: Omit<PipelineRun, 'cleanupProblems' | 'logs'> | undefined;
  let failure: unknown;
  try {
    client = await OcrClient.connect({
      brokers: platform.brokers.split(','),
      redisUrl: options.redisUrl,
      topicPrefix,
      clientId: 'conveyor-bench',
    });

    // Warm-up: the first message through each stage pays for consumer fetch sessions and ONNX allocation.
    const warmIds: string[] = [];
    for (const item of options.warmUp) {
      const id = requestId(topicPrefix, 'warmup', item.truth.id);
      ids.push(id);
      warmIds.push(id);
      await client.submit(item.data, contentType(item), { id });
    }
    const warm = await client.waitForResults(warmIds, { timeoutMs: WARM_UP_TIMEOUT_MS, pollMs: 50 });
    if (warm.size < warmIds.length) {
      throw new Error(`warm-up: ${warmIds.length - warm.size} of ${warmIds.length} results missing after ${WARM_UP_TIMEOUT_MS / 1000} s`);
    }
    options.progress(`pipeline: ready and warm, submitting ${options.items.length} images`);

    // Timed pass: publish everything (each send waits for acks=-1, as any careful producer's would), then collect.
    const itemOf = new Map<string, string>();
    const started = performance.now();
    let last = started;
    for (const item of options.items) {
      const id = requestId(topicPrefix, 'timed', item.truth.id);
      ids.push(id);
      itemOf.set(id, item.truth.id);
      await client.submit(item.data, contentType(item), { id });
    }
    const results = await client.waitForResults([...itemOf.keys()], {
      timeoutMs: options.timeoutMs,
      pollMs: 20,
      onResult: () => (last = performance.now()),
    });
    const predictions = new Map<string, string[]>();
    const failed: FailedItem[] = [];
    for (const [id, result] of results) {
      const itemId = itemOf.get(id) as string;
      if (result.status === 'ok') predictions.set(itemId, result.lines.map((l) => l.text));
      else failed.push({ id: itemId, error: result.error });
    }
    const lost = [...itemOf].filter(([id]) => !results.has(id)).map(([, itemId]) => itemId);
    run = { predictions, seconds: (last - started) / 1000, failed, lost, topicPrefix, brokers: platform.brokers };
  } catch (error) {
    failure = error;
  }
  await client?.close();
  const cleanupProblems = await cleanUp(platform, topicPrefix, options.partitions, ids, options.redisUrl);
  if (!run) {
    throw new PipelineRunError(`the pipeline run failed: ${(failure as Error).message}`, [...logs, ...cleanupProblems], {
      cause: failure,
    });
  }
  return { ...run, logs, cleanupProblems };
}

/**
 * Stops the stages, deletes the run's topics, consumer groups and result keys,
 * then stops the broker (when the platform started one). Returns what could
 * not be cleaned instead of throwing, so a cleanup hiccup never hides the
 * figures or the first error.
 */
async function cleanUp(
  platform: LocalPlatform,
  topicPrefix: string,
  partitions: number,
  requestIds: readonly string[],
  redisUrl: string,
): Promise<string[]> {
  const problems: string[] = [];
  const attempt = async (what: string, work: () => Promise<unknown>): Promise<void> => {
    try {
      await work();
    } catch (error) {
      problems.push(`cleanup: ${what}: ${(error as Error).message}`);
    }
  };
  // Stages first: they must leave their consumer groups before the groups can go.
  await attempt('stopping the stages', () => platform.supervisor.stopAll());
  await attempt('deleting topics and consumer groups', async () => {
    const admin = new Kafka({
      clientId: 'conveyor-bench-cleanup',
      brokers: platform.brokers.split(','),
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const topics = topicsOf([ocrPipeline], topicPrefix, partitions)
        .map((t) => t.topic)
        .filter((t) => existing.has(t));
      if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
      const groups = new Set((await admin.listGroups()).groups.map((g) => g.groupId));
      const ours = ocrPipeline.stages.map((stage) => `${topicPrefix}${consumerGroup(ocrPipeline, stage)}`).filter((g) => groups.has(g));
      if (ours.length > 0) await admin.deleteGroups(ours);
    } finally {
      await admin.disconnect();
    }
  });
  await attempt('deleting result keys in Redis', async () => {
    const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    try {
      const keys = requestIds.flatMap((id) => resultRedisKeys(id));
      for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
    } finally {
      redis.disconnect();
    }
  });
  await attempt('stopping Kafka', () => platform.stop());
  return problems;
}
