// The Conveyor pipeline as a producer sees it: the local platform (Kafka, the
// topics, the stage processes) started for this run under a topic prefix of
// its own, images published as CloudEvents, results taken from the results
// topic (where the last stage announces each stored result).
// It serves any number of passes (closed loop, idle, open loop) while it is
// up; everything the run created is removed afterwards, also on failure.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConveyorHeader, headerString, resultRedisKeys, type KafkaHeaders } from '@conveyor/contracts';
import type { CorpusItem } from '@conveyor/corpus';
import { OcrClient } from '@conveyor/ocr-client';
import { consumerGroup, topicName, type PipelineDefinition } from '@conveyor/pipeline';
import { decodeOcrResult, ocrPipeline, type OcrResult } from '@conveyor/pipelines';
import { topicsOf, startLocalPlatform, type LocalPlatform } from '@conveyor/platform';
import Redis from 'ioredis';
import { Kafka, logLevel, type Admin, type Consumer } from 'kafkajs';
import { parseSamples, type Sample } from './prom-text';

export interface PipelineOptions {
  partitions: number;
  /** How long one request may take before it counts as lost. */
  timeoutMs: number;
  redisUrl: string;
  /** An existing Kafka; absent: the project's own broker on a free port with temporary data. */
  kafkaBrokers?: string;
  /** LOG_LEVEL of the stages. */
  stageLogLevel: string;
  /** NODE_OPTIONS of the stage processes (e.g. a --require that writes CPU profiles). */
  stageNodeOptions?: string;
  /** Processes per stage instead of the definition's `replicas` (stage name → count). */
  replicas?: Readonly<Record<string, number>>;
  /** Environment for every stage process on top of the bench's own (e.g. BATCH_MAX_WAIT_MS). */
  stageEnv?: NodeJS.ProcessEnv;
  /** Progress lines (stage and broker logs are collected, not passed here). */
  progress: (line: string) => void;
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

/** A request that came back with a `failed` result. */
export class PipelineItemFailed extends Error {
  constructor(readonly result: Extract<OcrResult, { status: 'failed' }>) {
    super(`${result.error.code} in ${result.error.stage}: ${result.error.message}`);
    this.name = 'PipelineItemFailed';
  }
}

/** Message sizes on one topic of the run: what each hop carries, inline and claim-checked. */
export interface HopBytes {
  topic: string;
  messages: number;
  /** Mean bytes per message in Kafka: key + value + header names and values. */
  meanKafkaBytes: number;
  /** Messages whose payload went to Redis (claim check). */
  claimChecked: number;
  /** Mean payload bytes per claim-checked message (what Redis held); 0 when none. */
  meanClaimBytes: number;
}

const MAX_LOG_LINES = 5_000;

export const contentTypeOf = (item: CorpusItem): string => (item.truth.format === 'jpeg' ? 'image/jpeg' : 'image/png');

/** A topic prefix nobody else uses, so a shared cluster's other pipelines never see the bench's messages. */
export function benchTopicPrefix(): string {
  return `bench-${randomBytes(4).toString('hex')}.`;
}

/** Request ids that say which run and which image they belong to (visible ASCII, as the contract wants). */
export const requestId = (prefix: string, seq: number, itemId: string): string => `${prefix}${seq}.${itemId}`;

/**
 * Waits for many results at once by consuming the pipeline's results topic,
 * where the last stage announces every result (ok or failed) once it is
 * stored: a producer that prefers events to polling Redis. Push, not poll, so
 * latency is measured without a polling grain and the watcher costs almost
 * no CPU while it waits.
 */
class ResultWatcher {
  private readonly waiting = new Map<string, { resolve: (r: OcrResult) => void; reject: (e: Error) => void; deadline: number }>();
  /** Results that arrived before anyone waited for them (a redelivered announcement, or a very fast result). */
  private readonly early = new Map<string, OcrResult>();
  private readonly timer: NodeJS.Timeout;

  private constructor(private readonly consumer: Consumer) {
    this.timer = setInterval(() => this.expire(), 500);
  }

  static async start(kafka: Kafka, topic: string, groupId: string): Promise<ResultWatcher> {
    const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 1_000 });
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const watcher = new ResultWatcher(consumer);
    await consumer.run({ eachMessage: async ({ message }) => watcher.onResult(message.value) });
    await joined;
    return watcher;
  }

  private onResult(value: Buffer | null): void {
    if (!value) return;
    let result: OcrResult;
    try {
      result = decodeOcrResult(value.toString('utf8'));
    } catch {
      return;
    }
    const entry = this.waiting.get(result.id);
    if (!entry) {
      this.early.set(result.id, result);
      return;
    }
    this.waiting.delete(result.id);
    entry.resolve(result);
  }

  wait(id: string, timeoutMs: number): Promise<OcrResult> {
    const early = this.early.get(id);
    if (early) {
      this.early.delete(id);
      return Promise.resolve(early);
    }
    return new Promise<OcrResult>((resolve, reject) => this.waiting.set(id, { resolve, reject, deadline: Date.now() + timeoutMs }));
  }

  private expire(): void {
    for (const [id, entry] of this.waiting) {
      if (Date.now() <= entry.deadline) continue;
      this.waiting.delete(id);
      entry.reject(new Error(`no result for ${id} in time`));
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    for (const entry of this.waiting.values()) entry.reject(new Error('closed'));
    this.waiting.clear();
    await this.consumer.disconnect().catch(() => undefined);
  }
}

/** The definition with other replica counts (what `replicas` in pipelines/ocr/pipeline.ts would say). */
export function withReplicas(pipeline: PipelineDefinition, replicas: Readonly<Record<string, number>>): PipelineDefinition {
  const unknown = Object.keys(replicas).filter((name) => !pipeline.stages.some((s) => s.name === name));
  if (unknown.length > 0) throw new Error(`no stage ${unknown.join(', ')} in pipeline ${pipeline.name}`);
  return { ...pipeline, stages: pipeline.stages.map((s) => (replicas[s.name] === undefined ? s : { ...s, replicas: replicas[s.name] })) };
}

/** The pid of the Redis server when it runs on this machine (INFO server), else undefined. */
async function localRedisPid(redis: Redis): Promise<number | undefined> {
  try {
    const info = await redis.info('server');
    const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
    if (!Number.isInteger(pid)) return undefined;
    // Another machine's pid could name an unrelated process here: check it is a redis-server.
    const comm = readFileSync(`/proc/${pid}/comm`, 'utf8');
    return /redis/.test(comm) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The JVM flags of the local broker (heap, GC), from its command line. */
function jvmFlags(pid: number | undefined): string[] {
  if (pid === undefined) return [];
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .filter((a) => a.startsWith('-X'));
  } catch {
    return [];
  }
}

export class PipelineSystem {
  private seq = 0;
  private readonly ids: string[] = [];
  /** Claim-checked payloads seen on the topics (hopBytes), removed by close(). */
  private readonly claimKeys: string[] = [];

  private constructor(
    private readonly platform: LocalPlatform,
    private readonly client: OcrClient,
    private readonly redis: Redis,
    private readonly watcher: ResultWatcher,
    readonly topicPrefix: string,
    private readonly options: PipelineOptions,
    readonly logs: string[],
    private readonly redisPid: number | undefined,
  ) {}

  static async start(options: PipelineOptions): Promise<PipelineSystem> {
    const logs: string[] = [];
    const log = (line: string): void => {
      logs.push(line);
      if (logs.length > MAX_LOG_LINES) logs.splice(0, logs.length - MAX_LOG_LINES);
    };
    const topicPrefix = benchTopicPrefix();
    options.progress(`pipeline: starting Kafka${options.kafkaBrokers ? ` (${options.kafkaBrokers})` : ''} and the stages, topics ${topicPrefix}ocr.*`);
    let platform: LocalPlatform;
    try {
      platform = await startLocalPlatform({
        kafkaBrokers: options.kafkaBrokers,
        kafkaPort: 0,
        redisUrl: options.redisUrl,
        topicPrefix,
        partitions: options.partitions,
        pipelines: [ocrPipeline.name],
        definitions: [withReplicas(ocrPipeline, options.replicas ?? {})],
        httpBasePort: 0,
        // A stage that dies mid-run is a failed run here, not something to paper over.
        stageRestart: false,
        env: {
          ...process.env,
          LOG_LEVEL: options.stageLogLevel,
          ...(options.stageNodeOptions ? { NODE_OPTIONS: options.stageNodeOptions } : {}),
          ...options.stageEnv,
          // Claim-checked payloads (the pages between preprocess and features) have random keys the bench
          // cannot name; a short TTL lets them expire instead of lingering a day.
          CLAIM_TTL_SECONDS: String(Math.ceil(options.timeoutMs / 1000) + 3_600),
        },
        log,
      });
    } catch (error) {
      throw new PipelineRunError(`the platform did not start: ${(error as Error).message}`, logs, { cause: error });
    }
    let client: OcrClient | undefined;
    const redis = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      client = await OcrClient.connect({ brokers: platform.brokers.split(','), redisUrl: options.redisUrl, topicPrefix, clientId: 'conveyor-bench' });
      await redis.connect();
      const kafka = new Kafka({ clientId: 'conveyor-bench-results', brokers: platform.brokers.split(','), logLevel: logLevel.NOTHING });
      const watcher = await ResultWatcher.start(kafka, topicName(ocrPipeline, ocrPipeline.output.topic, topicPrefix), `${topicPrefix}bench-results`);
      return new PipelineSystem(platform, client, redis, watcher, topicPrefix, options, logs, await localRedisPid(redis));
    } catch (error) {
      await client?.close();
      redis.disconnect();
      await platform.stop().catch(() => undefined);
      throw new PipelineRunError(`the bench client could not connect: ${(error as Error).message}`, logs, { cause: error });
    }
  }

  get brokers(): string {
    return this.platform.brokers;
  }

  /** Publishes one image (acks=-1) and resolves with its lines once its result is in Redis; a failed result rejects. */
  read = async (item: CorpusItem): Promise<string[]> => {
    const id = requestId(this.topicPrefix, ++this.seq, item.truth.id);
    this.ids.push(id);
    const result = this.watcher.wait(id, this.options.timeoutMs);
    await this.client.submit(item.data, contentTypeOf(item), { id });
    const r = await result;
    if (r.status !== 'ok') throw new PipelineItemFailed(r);
    return r.lines.map((l) => l.text);
  };

  /** Every process the pipeline runs on this machine: the stages, the local broker's JVM, Redis, and this (the producer). */
  processes(): Array<{ name: string; pid: number | undefined }> {
    return [
      ...this.platform.supervisor.names().map((name) => ({ name, pid: this.platform.supervisor.pid(name) })),
      { name: 'kafka (JVM)', pid: this.platform.kafka.pid },
      { name: 'redis', pid: this.redisPid },
      { name: 'bench (producer)', pid: process.pid },
    ];
  }

  /** The local broker's JVM flags (empty for an external Kafka). */
  kafkaJvmFlags(): string[] {
    return jvmFlags(this.platform.kafka.pid);
  }

  /** Each stage process's /metrics, parsed. */
  async scrapeMetrics(): Promise<Record<string, Sample[]>> {
    const entries = await Promise.all(
      Object.entries(this.platform.healthUrls).map(async ([name, url]): Promise<[string, Sample[]]> => {
        try {
          return [name, parseSamples(await (await fetch(`${url}/metrics`)).text())];
        } catch {
          return [name, []];
        }
      }),
    );
    return Object.fromEntries(entries);
  }

  /** Message sizes per topic of this run, read back from the topics (and Redis for claim-checked payloads). */
  async hopBytes(): Promise<HopBytes[]> {
    const kafka = new Kafka({ clientId: 'conveyor-bench-sizes', brokers: this.brokers.split(','), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const topics = Object.keys(ocrPipeline.topics).map((t) => topicName(ocrPipeline, t, this.topicPrefix));
    try {
      return await Promise.all(topics.map((topic) => this.topicBytes(kafka, admin, topic)));
    } finally {
      await admin.disconnect();
    }
  }

  private async topicBytes(kafka: Kafka, admin: Admin, topic: string): Promise<HopBytes> {
    const offsets = await admin.fetchTopicOffsets(topic);
    const total = offsets.reduce((a, o) => a + (Number(o.high) - Number(o.low)), 0);
    const stats: HopBytes = { topic, messages: 0, meanKafkaBytes: 0, claimChecked: 0, meanClaimBytes: 0 };
    if (total === 0) return stats;
    const consumer = kafka.consumer({ groupId: `${this.topicPrefix}bench-sizes-${randomBytes(3).toString('hex')}`, allowAutoTopicCreation: false });
    let kafkaBytes = 0;
    let claimBytes = 0;
    const claims: string[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const deadline = setTimeout(() => resolve(), 30_000);
        consumer
          .run({
            eachMessage: async ({ message }) => {
              const headers = (message.headers ?? {}) as KafkaHeaders;
              let bytes = (message.key?.length ?? 0) + (message.value?.length ?? 0);
              for (const [name, value] of Object.entries(headers)) {
                for (const v of Array.isArray(value) ? value : [value]) bytes += name.length + (v ? Buffer.byteLength(v) : 0);
              }
              kafkaBytes += bytes;
              stats.messages += 1;
              const claim = headerString(headers, ConveyorHeader.claim);
              if (claim) claims.push(claim);
              if (stats.messages >= total) {
                clearTimeout(deadline);
                resolve();
              }
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
    for (const key of claims) claimBytes += await this.redis.strlen(key);
    this.claimKeys.push(...claims);
    stats.meanKafkaBytes = stats.messages ? kafkaBytes / stats.messages : 0;
    stats.claimChecked = claims.length;
    stats.meanClaimBytes = claims.length ? claimBytes / claims.length : 0;
    return stats;
  }

  /**
   * Stops the stages, deletes the run's topics, consumer groups, result keys
   * and claim-checked payloads, then stops the broker (when the platform
   * started one). Returns what could not be cleaned instead of throwing, so a
   * cleanup hiccup never hides the figures or the first error.
   */
  async close(): Promise<string[]> {
    const problems: string[] = [];
    const attempt = async (what: string, work: () => Promise<unknown>): Promise<void> => {
      try {
        await work();
      } catch (error) {
        problems.push(`cleanup: ${what}: ${(error as Error).message}`);
      }
    };
    await this.watcher.close();
    await this.client.close();
    // Stages first: they must leave their consumer groups before the groups can go.
    await attempt('stopping the stages', () => this.platform.supervisor.stopAll());
    await attempt('deleting topics and consumer groups', async () => {
      const admin = new Kafka({ clientId: 'conveyor-bench-cleanup', brokers: this.brokers.split(','), logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        const existing = new Set(await admin.listTopics());
        const topics = topicsOf([ocrPipeline], this.topicPrefix, this.options.partitions)
          .map((t) => t.topic)
          .filter((t) => existing.has(t));
        if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
        const stageGroups = new Set(ocrPipeline.stages.map((stage) => `${this.topicPrefix}${consumerGroup(ocrPipeline, stage)}`));
        const ours = (await admin.listGroups()).groups
          .map((g) => g.groupId)
          .filter((g) => stageGroups.has(g) || g.startsWith(`${this.topicPrefix}bench-`));
        if (ours.length > 0) await admin.deleteGroups(ours);
      } finally {
        await admin.disconnect();
      }
    });
    await attempt('deleting result keys and claim-checked payloads in Redis', async () => {
      const keys = [...this.ids.flatMap((id) => resultRedisKeys(id)), ...this.claimKeys];
      for (let i = 0; i < keys.length; i += 500) await this.redis.del(...keys.slice(i, i + 500));
    });
    this.redis.disconnect();
    await attempt('stopping Kafka', () => this.platform.stop());
    return problems;
  }
}
