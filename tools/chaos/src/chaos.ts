// The chaos suite: the platform as `npm start` runs it (self-healing on), a
// steady open-loop load through the public contract (CloudEvents on the input
// topic; results from the results topic and Redis), and one fault per run.
// Each run's requests are counted (sent / ok / failed / missing / duplicated)
// and read against the corpus truth, so a fault that changes text shows too.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudEventHeader, DEAD_LETTER_SUFFIX, headerString, resultRedisKey } from '@conveyor/contracts';
import { requestMessage } from '@conveyor/ocr-client';
import { generateCorpus, type CorpusItem } from '@conveyor/corpus';
import { resultKeyPrefix, topicName, type PipelineDefinition } from '@conveyor/pipeline';
import { decodeOcrResult, ocrPipeline } from '@conveyor/pipelines';
import { startLocalPlatform, topicsOf, type LocalPlatform } from '@conveyor/platform';
import { startRedisServer, type TestRedisServer } from '@conveyor/testing';
import Redis from 'ioredis';
import { Kafka, logLevel, Partitioners, type Consumer, type Producer } from 'kafkajs';
import { faultCatalogue, NO_FAULT, selectFaults, waitAllReady, type Fault, type FaultOutcome } from './faults';
import { poisonInputs } from './poison';
import { DEFAULT_RULES, tallyRun, type FaultRow, type SentRequest, type StoredResult } from './tally';

export interface ChaosOptions {
  /** Fault names (faults.ts), or `all`. The no-fault run always comes first. */
  faults: readonly string[];
  /** Good requests per run. */
  requests: number;
  /** Arrival rate of the steady load, requests per second. */
  ratePerSecond: number;
  /** When the fault fires, ms after the first request. */
  faultAfterMs: number;
  /** How long the results of a run may take after its last request was sent. */
  resultTimeoutMs: number;
  seed: number;
  partitions: number;
  /** Stage process running the extra replica of the replica faults. */
  replicaStage: string;
  /** An existing Kafka (the broker fault is then skipped); absent: a broker of the run's own. */
  kafkaBrokers?: string;
  stageLogLevel: string;
  cerTolerance: number;
  progress: (line: string) => void;
  /** Every platform log line as it comes (the stages, the broker, the supervisor, the faults). */
  onLog?: (line: string) => void;
}

export interface ChaosReport {
  pipeline: string;
  startedAt: string;
  settings: { requests: number; ratePerSecond: number; faultAfterMs: number; partitions: number; seed: number; kafka: string };
  rows: FaultRow[];
  skipped: Array<{ fault: string; reason: string }>;
  passed: boolean;
}

/** The platform's logs, kept for a failing run's report. */
export class ChaosRunError extends Error {
  constructor(
    message: string,
    readonly logs: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ChaosRunError';
  }
}

const MAX_LOG_LINES = 20_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const contentTypeOf = (item: CorpusItem): string => (item.truth.format === 'jpeg' ? 'image/jpeg' : 'image/png');

/**
 * Counts messages by request id on some topics: result announcements on the
 * results topic (a producer hears of a result this way, so two are a
 * duplicate whatever Redis holds), dead letters on the dead-letter topics.
 */
class IdLedger {
  readonly counts = new Map<string, number>();
  private constructor(private readonly consumer: Consumer) {}

  static async start(kafka: Kafka, topics: string[], groupId: string): Promise<IdLedger> {
    const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 500 });
    const ledger = new IdLedger(consumer);
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const id = headerString(message.headers ?? {}, CloudEventHeader.id) ?? message.key?.toString();
        if (id) ledger.counts.set(id, (ledger.counts.get(id) ?? 0) + 1);
      },
    });
    await joined;
    return ledger;
  }

  async close(): Promise<void> {
    await this.consumer.disconnect().catch(() => undefined);
  }
}

/** Publishes requests as any producer would, and keeps sending one until the broker acknowledges it (same id: a repeat is not a new request). */
class Publisher {
  retries = 0;
  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly pipeline: PipelineDefinition,
  ) {}

  async send(id: string, data: Buffer, contentType: string): Promise<void> {
    const deadline = Date.now() + 180_000;
    for (;;) {
      try {
        await this.producer.send({
          topic: this.topic,
          acks: -1,
          messages: [requestMessage(this.pipeline, { id, image: data, contentType, source: 'chaos' })],
        });
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`request ${id} was not accepted in 180 s: ${(error as Error).message}`, { cause: error });
        this.retries += 1;
        await sleep(1_000);
      }
    }
  }
}

interface Run {
  requests: SentRequest[];
  outcome: FaultOutcome;
}

export async function runChaos(options: ChaosOptions, pipeline: PipelineDefinition = ocrPipeline): Promise<ChaosReport> {
  const catalogue = faultCatalogue(pipeline, options.replicaStage);
  const chosen = selectFaults(catalogue, options.faults);
  const skipped = options.kafkaBrokers ? chosen.filter((f) => f.needsLocalKafka).map((f) => ({ fault: f.name, reason: 'needs the local broker; KAFKA_BROKERS names another' })) : [];
  const faults = [NO_FAULT, ...chosen.filter((f) => !skipped.some((s) => s.fault === f.name))];

  const logs: string[] = [];
  const log = (line: string): void => {
    options.onLog?.(line);
    logs.push(line);
    if (logs.length > MAX_LOG_LINES) logs.splice(0, logs.length - MAX_LOG_LINES);
  };
  const say = (line: string): void => {
    log(`[chaos] ${line}`);
    options.progress(line);
  };

  const corpus = await generateCorpus({ seed: options.seed, count: options.requests });
  const goodPng = corpus.items.find((i) => i.truth.format === 'png')?.data;
  if (!goodPng) throw new Error('the corpus holds no PNG to make the poison inputs from');
  const truth = corpus.items.map((i) => ({ id: i.truth.id, lines: i.truth.lines, rotated180: i.truth.rotated180 }));

  const dataDir = mkdtempSync(join(tmpdir(), 'conveyor-chaos-'));
  const topicPrefix = `chaos-${Date.now().toString(36)}.`;
  let redisServer: TestRedisServer | undefined;
  let platform: LocalPlatform | undefined;
  let redis: Redis | undefined;
  let producer: Producer | undefined;
  let ledger: IdLedger | undefined;
  let deadLetters: IdLedger | undefined;
  const rows: FaultRow[] = [];
  try {
    redisServer = await startRedisServer({ appendOnlyDir: dataDir });
    say(`Redis of the run on ${redisServer.url} (append-only file, fsync always); starting the platform, topics ${topicPrefix}${pipeline.name}.*`);
    platform = await startLocalPlatform({
      kafkaBrokers: options.kafkaBrokers,
      kafkaPort: 0,
      kafkaDataDir: join(dataDir, 'kafka'),
      redisUrl: redisServer.url,
      topicPrefix,
      partitions: options.partitions,
      pipelines: [pipeline.name],
      definitions: [pipeline],
      httpBasePort: 0,
      env: { ...process.env, LOG_LEVEL: options.stageLogLevel },
      log,
    });
    const brokers = platform.brokers.split(',');
    const kafka = new Kafka({ clientId: 'conveyor-chaos', brokers, logLevel: logLevel.NOTHING, retry: { retries: 8, maxRetryTime: 10_000 } });
    producer = kafka.producer({ idempotent: true, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    ledger = await IdLedger.start(kafka, [topicName(pipeline, pipeline.output.topic, topicPrefix)], `${topicPrefix}chaos-results`);
    const deadLetterTopics = topicsOf([pipeline], topicPrefix, options.partitions).map((t) => t.topic).filter((name) => name.endsWith(DEAD_LETTER_SUFFIX));
    deadLetters = await IdLedger.start(kafka, deadLetterTopics, `${topicPrefix}chaos-dead-letters`);
    redis = new Redis(redisServer.url, { lazyConnect: true });
    redis.on('error', () => undefined); // the Redis fault takes it away; commands wait and retry
    await redis.connect();
    const publisher = new Publisher(producer, topicName(pipeline, pipeline.input.topic, topicPrefix), pipeline);

    let baselineCer: number | undefined;
    for (const fault of faults) {
      const running = platform;
      const retriesBefore = publisher.retries;
      say(`${fault.title}: ${options.requests} requests at ${options.ratePerSecond}/s${fault === NO_FAULT ? '' : `, the fault after ${options.faultAfterMs / 1000} s`}`);
      const run = await runOnce(fault, corpus.items, publisher, {
        platform: running,
        pipeline,
        redis: redisServer,
        options,
        topicPrefix,
        goodPng,
        log: (line) => say(`${fault.title}: ${line}`),
      });
      const stored = await waitForResults(run.requests, ledger, redis, pipeline, options.resultTimeoutMs);
      await sleep(2_000); // a duplicate announcement would come right after the first
      const row = tallyRun(
        {
          fault: fault.title,
          requests: run.requests,
          stored,
          announcements: ledger.counts,
          deadLetters: deadLetters.counts,
          truth,
          healSeconds: run.outcome.healSeconds,
          notes: run.outcome.notes,
          sendRetries: publisher.retries - retriesBefore,
        },
        baselineCer,
        { ...DEFAULT_RULES, cerTolerance: options.cerTolerance },
      );
      if (fault === NO_FAULT) baselineCer = row.cer;
      rows.push(row);
      say(`${fault.title}: ${row.ok} ok, ${row.failed} failed (${row.expectedFailed} expected), ${row.missing} missing, ${row.duplicated} duplicated${row.problems.length ? ` — ${row.problems.join('; ')}` : ''}`);
      // The next fault starts from a whole platform, so one run's slow heal is not the next run's fault.
      if (!(await waitAllReady(running))) throw new ChaosRunError(`the platform was not whole again after "${fault.title}"`, logs);
    }
    return {
      pipeline: pipeline.name,
      startedAt: new Date().toISOString(),
      settings: {
        requests: options.requests,
        ratePerSecond: options.ratePerSecond,
        faultAfterMs: options.faultAfterMs,
        partitions: options.partitions,
        seed: options.seed,
        kafka: options.kafkaBrokers ? 'external' : 'local broker of the run',
      },
      rows,
      skipped,
      passed: rows.every((r) => r.problems.length === 0),
    };
  } catch (error) {
    if (error instanceof ChaosRunError) throw error;
    throw new ChaosRunError((error as Error).message, logs, { cause: error });
  } finally {
    await ledger?.close();
    await deadLetters?.close();
    await producer?.disconnect().catch(() => undefined);
    redis?.disconnect();
    await platform?.stop().catch(() => undefined);
    if (options.kafkaBrokers) await deleteRunTopics(options.kafkaBrokers, topicPrefix).catch(() => undefined);
    await redisServer?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

interface RunContext {
  platform: LocalPlatform;
  pipeline: PipelineDefinition;
  redis: TestRedisServer;
  options: ChaosOptions;
  topicPrefix: string;
  goodPng: Buffer;
  log: (line: string) => void;
}

/** Sends the run's requests at a steady rate and injects the fault on schedule, concurrently. */
async function runOnce(fault: Fault, items: readonly CorpusItem[], publisher: Publisher, ctx: RunContext): Promise<Run> {
  const runTag = `${ctx.topicPrefix}${fault.name}`;
  const requests: SentRequest[] = [];
  const sends: Array<Promise<void>> = [];
  const poison = poisonInputs(ctx.goodPng);
  const start = performance.now();
  const faultDone = sleep(fault === NO_FAULT ? 0 : ctx.options.faultAfterMs).then(() =>
    fault.inject({
      platform: ctx.platform,
      pipeline: ctx.pipeline,
      redis: ctx.redis,
      log: ctx.log,
      sendPoison: async () => {
        await Promise.all(
          poison.map((p, i) => {
            const id = `${runTag}.poison${i}`;
            requests.push({ id, kind: 'poison', expectedCode: p.expectedCode });
            ctx.log(`poison: ${p.name} as ${id}`);
            return publisher.send(id, p.data, p.contentType);
          }),
        );
      },
    }),
  );
  for (const [i, item] of items.entries()) {
    await sleep(start + (i * 1000) / ctx.options.ratePerSecond - performance.now());
    const id = `${runTag}.${i}.${item.truth.id}`;
    requests.push({ id, kind: 'good', itemId: item.truth.id });
    sends.push(publisher.send(id, item.data, contentTypeOf(item)));
  }
  await Promise.all(sends);
  const outcome = await faultDone.catch((error: Error): FaultOutcome => ({ notes: [`the fault could not be injected: ${error.message}`] }));
  return { requests, outcome };
}

/** Waits until every request's result is announced, then reads what Redis holds for each. */
async function waitForResults(
  requests: readonly SentRequest[],
  ledger: IdLedger,
  redis: Redis,
  pipeline: PipelineDefinition,
  timeoutMs: number,
): Promise<Map<string, StoredResult>> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !requests.every((r) => ledger.counts.has(r.id))) await sleep(250);
  const keys = requests.map((r) => resultRedisKey(r.id, resultKeyPrefix(pipeline)));
  const raws = await redis.mget(...keys);
  const stored = new Map<string, StoredResult>();
  requests.forEach((request, i) => {
    const raw = raws[i];
    if (raw === null || raw === undefined) return;
    const result = decodeOcrResult(raw);
    stored.set(request.id, {
      status: result.status,
      lines: result.status === 'ok' ? result.lines.map((l) => l.text) : [],
      errorCode: result.status === 'failed' ? result.error.code : undefined,
    });
  });
  return stored;
}

/** Against an external Kafka the run's topics and groups are removed by name (a local broker goes with its data). */
async function deleteRunTopics(brokers: string, prefix: string): Promise<void> {
  const admin = new Kafka({ clientId: 'conveyor-chaos-cleanup', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length) await admin.deleteTopics({ topics });
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix) || g.includes(`-${prefix}`));
    if (groups.length) await admin.deleteGroups(groups).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}
