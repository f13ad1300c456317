import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { resultRedisKeys } from '@conveyor/contracts';
import { findFreePort, findWorkspaceRoot, parseBrokerList } from '@conveyor/kafka-local';
import { collectImageFiles, contentTypeForFile, OcrClient } from '@conveyor/ocr-client';
import { ocrPipeline } from '@conveyor/pipelines';
import { startLocalPlatform, type LocalPlatform } from '@conveyor/platform';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import type { ActiveTarget, VectorSample } from './prometheus-api';
import { renderPrometheusConfig, scrapeTargetsFromHealthUrls } from './prometheus-config';
import { findPrometheusBinary, prometheusVersion, startPrometheus, type RunningPrometheus } from './prometheus-process';

export const SCRAPE_JOB = 'conveyor';
export const CONSUMED_BY_STAGE_QUERY = 'sum by (stage) (conveyor_messages_consumed_total)';

/** The postprocess stage's "already announced" marker (libs/ocr-pipeline result-store), removed with the result. */

export interface ScrapeCheckOptions {
  /** KAFKA_BROKERS-style list; absent = the project's own broker on a free port with a temporary data dir. */
  kafkaBrokers?: string;
  redisUrl: string;
  /** Images to publish; default: every image in the workspace's samples/. */
  images?: readonly string[];
  /** Unique per run by default, so runs never share topics, groups or results. */
  topicPrefix?: string;
  /** A Prometheus executable; default `prometheus` on PATH. */
  prometheusBinary?: string;
  /** Extra environment for the stages (on top of this process's, with LOG_LEVEL=warn). */
  stageEnv?: NodeJS.ProcessEnv;
  /** How long the four targets may take to be scraped `up` (default 30 s). */
  targetsTimeoutMs?: number;
  /** How long the images' results may take (default 60 s). */
  resultsTimeoutMs?: number;
  /** How long the query may take to show every image at every stage (default 60 s). */
  queryTimeoutMs?: number;
  /** Progress lines, and the stages' and broker's own warnings. */
  log?: (line: string) => void;
  /** Stops the check early (Ctrl-C); cleanup still runs. */
  signal?: AbortSignal;
}

export interface ScrapeCheckReport {
  prometheusVersion: string;
  prometheusUrl: string;
  brokers: string;
  topicPrefix: string;
  targets: Array<{ service: string; scrapeUrl: string; health: string }>;
  images: Array<{ file: string; id: string; status: string }>;
  query: string;
  /** The query's answer: stage → consumed messages, as Prometheus returned it. */
  consumedByStage: Record<string, number>;
  /** The query's HTTP API answer, as Prometheus sent it (JSON). */
  queryAnswer: string;
  timingsMs: { platformStart: number; targetsUp: number; results: number; scraped: number; total: number };
  /** Cleanup steps that failed (the check itself passed). */
  cleanupProblems: string[];
}

/** The platform was scraped, but not as expected (or something on the way failed). */
export class ScrapeCheckError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ScrapeCheckError';
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new ScrapeCheckError('stopped'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new ScrapeCheckError('stopped'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Polls `probe` until `done` holds for its answer. On timeout the error names
 * what was awaited and shows the last answer, so a failure says how far it got.
 */
async function pollUntil<T>(
  what: string,
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  describe: (value: T | undefined, error: unknown) => string,
  options: { timeoutMs: number; intervalMs: number; signal?: AbortSignal },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await probe();
      lastError = undefined;
      if (done(last)) return last;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) throw new ScrapeCheckError(`${what} not reached after ${options.timeoutMs} ms; last seen: ${describe(last, lastError)}`);
    await sleep(options.intervalMs, options.signal);
  }
}

function describeTargets(targets: ActiveTarget[] | undefined, error: unknown): string {
  if (error) return (error as Error).message;
  if (!targets?.length) return 'no active targets';
  return targets.map((t) => `${t.labels['service'] ?? t.scrapeUrl}=${t.health}${t.lastError ? ` (${t.lastError})` : ''}`).join(', ');
}

function consumedByStage(samples: readonly VectorSample[]): Record<string, number> {
  return Object.fromEntries(samples.map((s) => [s.labels['stage'] ?? '(no stage label)', s.value]));
}

/**
 * Proves that a real Prometheus scrapes the running platform: starts the four
 * stages, points Prometheus at their /metrics (one job, target label
 * `service`), waits until every target is `up`, publishes images, and queries
 * Prometheus's HTTP API until `sum by (stage) (conveyor_messages_consumed_total)`
 * shows every image at every stage. Everything it started or wrote is removed
 * again, whatever the outcome.
 */
export async function runScrapeCheck(options: ScrapeCheckOptions): Promise<ScrapeCheckReport> {
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  // Before anything is started: without the binary there is nothing to check.
  const binary = findPrometheusBinary(options.prometheusBinary);
  const version = prometheusVersion(binary);
  if (options.kafkaBrokers !== undefined) parseBrokerList(options.kafkaBrokers);
  const root = findWorkspaceRoot();
  const files = options.images ? [...options.images] : await collectImageFiles([join(root, 'samples')]);
  if (files.length === 0) throw new ScrapeCheckError('no images to publish');
  for (const file of files) {
    if (!contentTypeForFile(file)) throw new ScrapeCheckError(`${file} has no image extension the platform knows`);
  }
  const topicPrefix = options.topicPrefix ?? `promcheck-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}.`;
  const stages: readonly string[] = ocrPipeline.stages.map((s) => s.name);

  let platform: LocalPlatform | undefined;
  let prometheus: RunningPrometheus | undefined;
  let client: OcrClient | undefined;
  let workDir: string | undefined;
  const ids: string[] = [];
  const cleanupProblems: string[] = [];
  let report: ScrapeCheckReport;
  try {
    log(`starting the platform (topic prefix ${topicPrefix}, ${options.kafkaBrokers ? `Kafka ${options.kafkaBrokers}` : 'own Kafka broker'})`);
    platform = await startLocalPlatform({
      kafkaBrokers: options.kafkaBrokers,
      kafkaPort: 0,
      redisUrl: options.redisUrl,
      topicPrefix,
      partitions: 1,
      pipelines: [ocrPipeline.name],
      httpBasePort: 0,
      env: { ...process.env, LOG_LEVEL: 'warn', CLAIM_TTL_SECONDS: '600', ...options.stageEnv },
      log,
    });
    const platformStart = Date.now() - started;

    workDir = await mkdtemp(join(tmpdir(), 'conveyor-prometheus-'));
    const configFile = join(workDir, 'prometheus.yml');
    const config = renderPrometheusConfig({ jobName: SCRAPE_JOB, scrapeIntervalSeconds: 1, targets: scrapeTargetsFromHealthUrls(platform.healthUrls) });
    await writeFile(configFile, config);
    log(`starting ${version} with ${configFile}`);
    prometheus = await startPrometheus({ binary, configFile, storageDir: join(workDir, 'data'), port: await findFreePort() });
    const api = prometheus.api;

    const targets = await pollUntil(
      `all ${stages.length} targets up`,
      () => api.activeTargets(),
      (ts) => ts.length === stages.length && ts.every((t) => t.health === 'up'),
      describeTargets,
      { timeoutMs: options.targetsTimeoutMs ?? 30_000, intervalMs: 250, signal: options.signal },
    );
    const targetsUp = Date.now() - started;
    log(`targets up: ${describeTargets(targets, undefined)}`);

    client = await OcrClient.connect({ brokers: parseBrokerList(platform.brokers), redisUrl: options.redisUrl, topicPrefix, clientId: 'conveyor-prometheus-check' });
    const submitted: Array<{ file: string; id: string }> = [];
    for (const file of files) {
      const { id } = await client.submit(await readFile(file), contentTypeForFile(file) ?? 'application/octet-stream');
      ids.push(id);
      submitted.push({ file, id });
    }
    log(`published ${files.length} images; waiting for their results`);
    const results = await client.waitForResults(ids, { timeoutMs: options.resultsTimeoutMs ?? 60_000 });
    const missing = submitted.filter((s) => !results.has(s.id));
    if (missing.length) throw new ScrapeCheckError(`no result for ${missing.map((m) => basename(m.file)).join(', ')} within ${options.resultsTimeoutMs ?? 60_000} ms`);
    const resultsAt = Date.now() - started;

    const answer = await pollUntil(
      `every stage at ≥ ${files.length} consumed in "${CONSUMED_BY_STAGE_QUERY}"`,
      () => api.queryVector(CONSUMED_BY_STAGE_QUERY),
      ({ samples }) => {
        const byStage = consumedByStage(samples);
        return stages.every((stage) => (byStage[stage] ?? 0) >= files.length);
      },
      (a, error) => (error ? (error as Error).message : JSON.stringify(consumedByStage(a?.samples ?? []))),
      { timeoutMs: options.queryTimeoutMs ?? 60_000, intervalMs: 500, signal: options.signal },
    );

    report = {
      prometheusVersion: version,
      prometheusUrl: prometheus.url,
      brokers: platform.brokers,
      topicPrefix,
      targets: targets.map((t) => ({ service: t.labels['service'] ?? '', scrapeUrl: t.scrapeUrl, health: t.health })),
      images: submitted.map((s) => ({ file: s.file, id: s.id, status: results.get(s.id)?.status ?? 'missing' })),
      query: CONSUMED_BY_STAGE_QUERY,
      consumedByStage: consumedByStage(answer.samples),
      queryAnswer: JSON.stringify(answer.body),
      timingsMs: { platformStart, targetsUp, results: resultsAt, scraped: Date.now() - started, total: 0 },
      cleanupProblems,
    };
  } catch (error) {
    const tail = prometheus?.logTail();
    if (tail && error instanceof ScrapeCheckError) error.message += `\nprometheus log:\n${tail}`;
    throw error;
  } finally {
    const step = async (what: string, work: () => Promise<unknown>) => {
      try {
        await work();
      } catch (error) {
        cleanupProblems.push(`${what}: ${(error as Error).message}`);
        log(`cleanup: ${what} failed: ${(error as Error).message}`);
      }
    };
    await step('close the OCR client', async () => client?.close());
    await step('stop prometheus', async () => prometheus?.stop());
    // Stages first, so they leave their consumer groups before the groups and topics go.
    await step('stop the stages', async () => platform?.supervisor.stopAll());
    await step('delete Redis result keys', async () => {
      if (!ids.length) return;
      const redis = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await redis.connect();
        await redis.del(...ids.flatMap((id) => resultRedisKeys(id)));
      } finally {
        redis.disconnect();
      }
    });
    // A broker of our own goes away with its temporary data dir; only a shared one needs tidying.
    if (platform?.kafka.external) {
      const brokers = parseBrokerList(platform.brokers);
      await step(`delete topics and groups ${topicPrefix}*`, async () => {
        const admin = new Kafka({ clientId: 'conveyor-prometheus-check-cleanup', brokers, logLevel: logLevel.NOTHING }).admin();
        await admin.connect();
        try {
          const topics = (await admin.listTopics()).filter((t) => t.startsWith(topicPrefix));
          if (topics.length) await admin.deleteTopics({ topics, timeout: 30_000 });
          const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(topicPrefix));
          if (groups.length) await admin.deleteGroups(groups);
        } finally {
          await admin.disconnect();
        }
      });
    }
    await step('stop the platform', async () => platform?.stop());
    await step('remove the temporary dir', async () => workDir && rm(workDir, { recursive: true, force: true }));
  }
  report.timingsMs.total = Date.now() - started;
  return report;
}
