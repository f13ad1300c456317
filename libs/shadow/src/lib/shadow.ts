import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { consumerGroup, findStage, type PipelineDefinition } from '@conveyor/pipeline';
import { startLocalPlatform, type LocalPlatform } from '@conveyor/platform';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { ShadowComparer } from './comparer';
import { shadowGroups, shadowRedisPatterns, shadowStageEnv, shadowTopics, type ShadowPlan } from './plan';
import { scanKeys } from './report';

/** What `.conveyor/shadow/<name>.json` keeps while a shadow runs: its plan, the launcher's pid and metrics port. */
export interface ShadowState {
  plan: ShadowPlan;
  pid: number;
  metricsPort: number;
  startedAt: string;
}

export function shadowStatePath(dir: string, name: string): string {
  return join(dir, `${name}.json`);
}

export function readShadowState(dir: string, name: string): ShadowState | undefined {
  const path = shadowStatePath(dir, name);
  if (!existsSync(path)) return undefined;
  const state = JSON.parse(readFileSync(path, 'utf8')) as ShadowState;
  if (state.plan?.version !== 1 || state.plan.name !== name) throw new Error(`${path} is not the state file of shadow ${name}`);
  return state;
}

function writeShadowState(dir: string, state: ShadowState): void {
  mkdirSync(dir, { recursive: true });
  const path = shadowStatePath(dir, state.plan.name);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

export function kafkaOf(brokers: readonly string[]): Kafka {
  return new Kafka({ clientId: 'conveyor-shadow', brokers: [...brokers], logLevel: logLevel.NOTHING, retry: { retries: 5 } });
}

export interface CleanupReport {
  topics: string[];
  groups: string[];
  redisKeys: number;
}

/**
 * Deletes everything a shadow made: its topics, its stages' and comparer's
 * consumer groups, and its Redis keys (results, announced markers, claims,
 * attempt markers). Live topics, groups and keys are never named here. Safe
 * to run again (what is gone is skipped).
 */
export async function cleanUpShadow(kafka: Kafka, redis: Redis, pipeline: PipelineDefinition, plan: ShadowPlan): Promise<CleanupReport> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const topics = shadowTopics(pipeline, plan, 1)
      .map((t) => t.topic)
      .filter((t) => existing.has(t) && t.startsWith(plan.topicPrefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
    const known = new Set((await admin.listGroups()).groups.map((g) => g.groupId));
    const groups = shadowGroups(pipeline, plan).filter((g) => known.has(g));
    if (groups.length > 0) await admin.deleteGroups(groups);
    let redisKeys = 0;
    for (const pattern of shadowRedisPatterns(plan)) {
      const keys = await scanKeys(redis, pattern);
      for (let i = 0; i < keys.length; i += 500) redisKeys += await redis.del(...keys.slice(i, i + 500));
    }
    return { topics, groups, redisKeys };
  } finally {
    await admin.disconnect();
  }
}

export interface StartShadowOptions {
  brokers: string[];
  redisUrl: string;
  pipeline: PipelineDefinition;
  definitions: readonly PipelineDefinition[];
  plan: ShadowPlan;
  /** Partitions of the shadow's topics (default: those of the live input topic). */
  partitions?: number;
  /** Read the live input topic from its beginning (default: from its end when the shadow starts). */
  fromBeginning?: boolean;
  /** Port of the comparer's /metrics (0: a free one). */
  metricsPort: number;
  /** How long a shadow result waits for its live result in the comparer. */
  liveWaitMs?: number;
  /** Where the running shadow's state is kept (`.conveyor/shadow`); undefined: none (tests). */
  stateDir?: string;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

export interface RunningShadow {
  plan: ShadowPlan;
  platform: LocalPlatform;
  comparer: ShadowComparer;
  redis: Redis;
  /** Settles when the shadow's stages cannot go on (see LocalPlatform.failed). */
  failed: Promise<Error>;
  /** Stops the comparer and the stages; with cleanup (default) then deletes every topic, group and key of the shadow. */
  stop(options?: { cleanup?: boolean }): Promise<CleanupReport | undefined>;
}

/**
 * Starts a shadow on the same Kafka and Redis as the live pipeline: its topics,
 * its stages (the entry stage reading the live input topic with its own group,
 * `--set` variables on the named stages) through the local platform's
 * supervisor, and the comparer. Stopping it (`stop()`) leaves nothing behind.
 */
export async function startShadow(options: StartShadowOptions): Promise<RunningShadow> {
  const { pipeline, plan } = options;
  findStage(pipeline, plan.stage);
  const kafka = kafkaOf(options.brokers);
  const redis = new Redis(options.redisUrl, { lazyConnect: true, connectTimeout: 3_000, maxRetriesPerRequest: 3 });
  await redis.connect();
  let platform: LocalPlatform | undefined;
  let comparer: ShadowComparer | undefined;
  try {
    let partitions = options.partitions;
    const admin = kafka.admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(plan.liveInputTopic);
      partitions ??= Math.max(1, ends.length);
      // From now on, not the topic's history (that is `conveyor replay`): the entry group starts at the live topic's end.
      if (!options.fromBeginning) {
        await admin.setOffsets({
          groupId: `${plan.topicPrefix}${consumerGroup(pipeline, plan.stage)}`,
          topic: plan.liveInputTopic,
          partitions: ends.map(({ partition, high }) => ({ partition, offset: high })),
        });
      }
    } finally {
      await admin.disconnect();
    }
    const env = options.env ?? process.env;
    platform = await startLocalPlatform({
      kafkaBrokers: options.brokers.join(','),
      kafkaPort: 0,
      redisUrl: options.redisUrl,
      topicPrefix: plan.topicPrefix,
      partitions,
      pipelines: [pipeline.name],
      definitions: options.definitions,
      stages: (p, s) => p.name === pipeline.name && plan.stages.includes(s.name),
      topics: shadowTopics(pipeline, plan, partitions),
      httpBasePort: 0,
      env: { ...env, LOG_LEVEL: env['LOG_LEVEL'] || 'warn' },
      stageEnv: shadowStageEnv(pipeline, plan),
      log: options.log ?? (() => undefined),
    });
    comparer = new ShadowComparer({ kafka, redis, plan, metricsPort: options.metricsPort, liveWaitMs: options.liveWaitMs, log: options.log });
    await comparer.start();
    if (options.stateDir) writeShadowState(options.stateDir, { plan, pid: process.pid, metricsPort: comparer.port, startedAt: new Date().toISOString() });
  } catch (error) {
    await comparer?.stop();
    await platform?.stop();
    await cleanUpShadow(kafka, redis, pipeline, plan).catch(() => undefined);
    redis.disconnect();
    throw error;
  }
  const running = platform;
  const runningComparer = comparer;
  let stopping: Promise<CleanupReport | undefined> | undefined;
  return {
    plan,
    platform: running,
    comparer: runningComparer,
    redis,
    failed: running.failed,
    stop: (stopOptions) =>
      (stopping ??= (async () => {
        try {
          await runningComparer.stop();
          await running.stop();
          const report = stopOptions?.cleanup === false ? undefined : await cleanUpShadow(kafka, redis, pipeline, plan);
          if (options.stateDir) rmSync(shadowStatePath(options.stateDir, plan.name), { force: true });
          return report;
        } finally {
          redis.disconnect();
        }
      })()),
  };
}
