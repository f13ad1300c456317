import { consumerGroup, findStage, resultKeyPrefix, topicName, type PipelineDefinition } from '@conveyor/pipeline';
import { connectRedisOnce, planProcesses, startLocalPlatform, topicsOf, type LocalPlatform } from '@conveyor/platform';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { compareResults, errorRow, mostDifferent, parseStoredResult, summarise, type ComparisonRow, type ComparisonSummary } from './compare';
import { copierGroup, replayTopicPrefix } from './ids';
import { copyWindow, planWindow, windowSize } from './copier';
import { readCopied, readPlan, removeState, writePlan, type CopiedEntry, type ReplayPlan } from './state';
import type { ReplayWindow } from './time';

/** `--set <stage>.<ENV>=<value>`: one variable of one stage of the replayed pipeline. */
export interface StageSetting {
  stage: string;
  name: string;
  value: string;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parses `<stage>.<ENV>=<value>` against the pipeline's stages. */
export function parseStageSetting(text: string, pipeline: PipelineDefinition): StageSetting {
  const match = /^([^.=]+)\.([^=]+)=(.*)$/s.exec(text);
  if (!match) throw new Error(`--set wants <stage>.<ENV>=<value>, e.g. features.DET_LIMIT_SIDE=640 (got "${text}")`);
  const [, stage, name, value] = match;
  findStage(pipeline, stage);
  if (!ENV_NAME.test(name)) throw new Error(`--set ${text}: "${name}" is not an environment variable name`);
  return { stage, name, value };
}

/** The settings by stage, later ones winning. */
export function settingsByStage(settings: readonly StageSetting[]): Record<string, Record<string, string>> {
  const byStage: Record<string, Record<string, string>> = {};
  for (const s of settings) (byStage[s.stage] ??= {})[s.name] = s.value;
  return byStage;
}

export interface ReplayProgress {
  /** The window's size in messages (offsets), known once the plan is. */
  planned?(total: number, plan: ReplayPlan, resumed: boolean): void;
  /** Requests copied so far (including those of an earlier, interrupted run). */
  copied?(count: number): void;
  /** Replay results found so far. */
  results?(count: number): void;
  /** Phases worth a line: starting stages, waiting, cleaning up. */
  phase?(text: string): void;
}

export interface ReplayOptions {
  brokers: string[];
  redisUrl: string;
  /** TOPIC_PREFIX of the live pipeline. */
  liveTopicPrefix: string;
  pipeline: PipelineDefinition;
  /** Every definition (stage processes are planned over them). */
  definitions: readonly PipelineDefinition[];
  runId: string;
  /** Needed for a new run; a resumed run keeps its stored window. */
  window?: ReplayWindow;
  pipelineVersion?: string;
  settings?: readonly StageSetting[];
  /** Start the replayed pipeline's stages here (default true); false: one is deployed at `topicPrefix`. */
  start?: boolean;
  /** TOPIC_PREFIX of the replayed pipeline (default `<live prefix>replay.<runId>.`). */
  topicPrefix?: string;
  /** Delete the replay's topics, groups and state at the end (default: when it started its own stages). */
  cleanup?: boolean;
  /** Where plans and copied logs are kept (`.conveyor/replay`). */
  stateDir: string;
  /** How long to wait for the replay's results once everything is copied. */
  resultTimeoutMs: number;
  /**
   * RESULT_TTL_SECONDS of the stages it starts: its results expire after this. Default: the environment's, else the
   * stages' default (one day); left unset then, so the replay's configuration hashes match the live stages'.
   */
  resultTtlSeconds?: number;
  /** How many of the most different requests the report lists. */
  top: number;
  /** Partitions of the replay topics the replay creates (default: as many as the live input topic). */
  partitions?: number;
  /** Stops the replay: copying stops after the chunk in flight, resumable with the same run id. */
  signal?: AbortSignal;
  /** Environment of the stages it starts (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** The launcher's and the stages' log lines. */
  log?: (line: string) => void;
  progress?: ReplayProgress;
  /** Copy chunk size (tests). */
  chunkMessages?: number;
}

export interface ReplayReport {
  runId: string;
  pipeline: string;
  pipelineVersion: string | null;
  set: Record<string, Record<string, string>>;
  liveTopic: string;
  replayTopicPrefix: string;
  since: string;
  until: string | null;
  /** A resumed run (its plan was found in the state directory). */
  resumed: boolean;
  /** `interrupted`: stopped by the signal; run again with the same run id to resume. */
  state: 'completed' | 'interrupted';
  /** Messages in the window (offsets). */
  total: number;
  /** Requests copied so far, over every run of this run id. */
  copied: number;
  summary: ComparisonSummary;
  rows: ComparisonRow[];
  mostDifferent: ComparisonRow[];
  /** What the clean-up deleted (nothing when it was off or the run was interrupted). */
  cleanedUp: { topics: string[]; groups: string[] } | null;
  resultTtlSeconds: number | null;
}

/** Kafka or Redis did not answer: the CLI's exit 3. */
export class ReplayUnreachableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReplayUnreachableError';
  }
}

/** A replay that cannot run as asked (no input topic, an existing run of another pipeline …): the CLI's exit 2. */
export class ReplayUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayUsageError';
  }
}

function kafkaOf(brokers: string[]): Kafka {
  return new Kafka({ clientId: 'conveyor-replay', brokers, logLevel: logLevel.NOTHING, retry: { retries: 5 } });
}


async function newPlan(kafka: Kafka, options: ReplayOptions): Promise<ReplayPlan> {
  if (!options.window) throw new ReplayUsageError(`no replay "${options.runId}" to resume: --since is needed to start one`);
  const { pipeline, liveTopicPrefix, runId } = options;
  const liveTopic = topicName(pipeline, pipeline.input.topic, liveTopicPrefix);
  const start = options.start ?? true;
  const prefix = options.topicPrefix ?? replayTopicPrefix(liveTopicPrefix, runId);
  if (prefix === liveTopicPrefix) throw new ReplayUsageError(`--topic-prefix "${prefix}" is the live pipeline's: a replay must never write to live topics`);
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (error) {
    throw new ReplayUnreachableError(`Kafka at ${options.brokers.join(',')} is unreachable: ${(error as Error).message}`, { cause: error });
  }
  try {
    const topics = await admin.listTopics();
    if (!topics.includes(liveTopic)) throw new ReplayUsageError(`the live input topic ${liveTopic} does not exist (TOPIC_PREFIX "${liveTopicPrefix}")`);
    const replayTopic = topicName(pipeline, pipeline.input.topic, prefix);
    if (!start && !topics.includes(replayTopic)) {
      throw new ReplayUsageError(`--no-start: no replay pipeline is deployed at topic prefix "${prefix}" (its input topic ${replayTopic} does not exist)`);
    }
    return {
      version: 1,
      runId,
      pipeline: pipeline.name,
      liveTopic,
      replayTopicPrefix: prefix,
      replayTopic,
      group: copierGroup(liveTopicPrefix, runId),
      since: options.window.since.toISOString(),
      until: options.window.until?.toISOString() ?? null,
      pipelineVersion: options.pipelineVersion ?? null,
      set: settingsByStage(options.settings ?? []),
      startsStages: start,
      partitions: await planWindow(admin, liveTopic, options.window),
      createdAt: new Date().toISOString(),
    };
  } finally {
    await admin.disconnect();
  }
}

/** The replayed pipeline's stages, on the same Kafka and Redis, under the replay's prefix, with the --set variables. */
function startReplayStages(options: ReplayOptions, plan: ReplayPlan, partitions: number): Promise<LocalPlatform> {
  const stageEnv: Record<string, NodeJS.ProcessEnv> = {};
  for (const proc of planProcesses(options.definitions, [plan.pipeline], 0)) {
    const own = plan.set[proc.stage.name];
    if (own) stageEnv[proc.name] = { ...own };
  }
  const env = options.env ?? process.env;
  return startLocalPlatform({
    kafkaBrokers: options.brokers.join(','),
    kafkaPort: 0,
    redisUrl: options.redisUrl,
    topicPrefix: plan.replayTopicPrefix,
    partitions,
    pipelines: [plan.pipeline],
    definitions: options.definitions,
    httpBasePort: 0,
    env: { ...env, LOG_LEVEL: env['LOG_LEVEL'] || 'warn', ...(options.resultTtlSeconds !== undefined ? { RESULT_TTL_SECONDS: String(options.resultTtlSeconds) } : {}) },
    stageEnv,
    log: options.log ?? (() => undefined),
  });
}

/** The RESULT_TTL_SECONDS the started stages run with. */
function effectiveResultTtl(options: ReplayOptions): number {
  const fromEnv = Number((options.env ?? process.env)['RESULT_TTL_SECONDS']);
  return options.resultTtlSeconds ?? (Number.isSafeInteger(fromEnv) && fromEnv > 0 ? fromEnv : 86_400);
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

async function mget(redis: Redis, keys: readonly string[]): Promise<Array<string | null>> {
  const values: Array<string | null> = [];
  for (let i = 0; i < keys.length; i += 500) values.push(...(await redis.mget(...keys.slice(i, i + 500))));
  return values;
}

/** Polls Redis until every replay result is there, the time is up or the signal fires; returns the raw results. */
async function waitForResults(redis: Redis, keys: readonly string[], options: ReplayOptions): Promise<Array<string | null>> {
  const deadline = Date.now() + options.resultTimeoutMs;
  for (;;) {
    const values = await mget(redis, keys);
    const found = values.filter((v) => v !== null).length;
    options.progress?.results?.(found);
    if (found === keys.length || Date.now() >= deadline || options.signal?.aborted) return values;
    await sleep(Math.min(500, Math.max(0, deadline - Date.now())), options.signal);
  }
}

async function cleanUp(kafka: Kafka, plan: ReplayPlan, pipeline: PipelineDefinition, stateDir: string): Promise<{ topics: string[]; groups: string[] }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const groups = [plan.group];
    let topics: string[] = [];
    // A deployed replay pipeline (--no-start) keeps its topics and groups: they are its own.
    if (plan.startsStages) {
      const existing = new Set(await admin.listTopics());
      topics = topicsOf([pipeline], plan.replayTopicPrefix, 1).map((t) => t.topic).filter((t) => existing.has(t));
      if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
      groups.push(...pipeline.stages.map((s) => `${plan.replayTopicPrefix}${consumerGroup(pipeline, s)}`));
    }
    const known = new Set((await admin.listGroups()).groups.map((g) => g.groupId));
    const present = groups.filter((g) => known.has(g));
    if (present.length > 0) await admin.deleteGroups(present).catch(() => undefined);
    removeState(stateDir, plan.runId);
    return { topics, groups: present };
  } finally {
    await admin.disconnect();
  }
}

/**
 * `conveyor replay` (docs/architecture.md, "Replay"): re-reads a time window
 * of the live input topic, runs it through a copy of the pipeline under a new
 * run id and compares each result with the live one of the time. Live topics,
 * groups and result keys are only ever read.
 */
export async function runReplay(options: ReplayOptions): Promise<ReplayReport> {
  const { pipeline, stateDir, signal } = options;
  const kafka = kafkaOf(options.brokers);
  const stored = readPlan(stateDir, options.runId);
  if (stored && stored.pipeline !== pipeline.name) {
    throw new ReplayUsageError(`replay run "${options.runId}" is of pipeline ${stored.pipeline}, not ${pipeline.name}`);
  }
  const redis = await connectRedisOnce(options.redisUrl, (message, cause) => new ReplayUnreachableError(message, { cause }));
  let platform: LocalPlatform | undefined;
  try {
    const plan = stored ?? (await newPlan(kafka, options));
    if (!stored) writePlan(stateDir, plan);
    const total = windowSize(plan.partitions);
    options.progress?.planned?.(total, plan, Boolean(stored));
    let copied = readCopied(stateDir, plan.runId).length;
    options.progress?.copied?.(copied);

    if (plan.startsStages && !signal?.aborted) {
      options.progress?.phase?.(`starting the replay's ${pipeline.name} stages (topics ${plan.replayTopicPrefix}${pipeline.name}.*)`);
      platform = await startReplayStages(options, plan, options.partitions ?? Math.max(1, plan.partitions.length));
    }
    options.progress?.phase?.('copying');
    const outcome = await copyWindow({
      kafka,
      plan,
      stateDir,
      signal,
      chunkMessages: options.chunkMessages,
      onCopied: (entries) => options.progress?.copied?.((copied += entries.length)),
    });
    const entries = readCopied(stateDir, plan.runId);
    const replayed = entries.filter((e): e is CopiedEntry & { replay: string } => e.replay !== undefined);
    const prefix = resultKeyPrefix(pipeline);
    let replayValues: Array<string | null> = replayed.map(() => null);
    if (outcome.completed && !signal?.aborted) {
      options.progress?.phase?.('waiting for results');
      replayValues = await waitForResults(redis, replayed.map((e) => prefix + e.replay), options);
    } else if (replayed.length > 0) {
      replayValues = await mget(redis, replayed.map((e) => prefix + e.replay));
    }
    const interrupted = !outcome.completed || Boolean(signal?.aborted);
    const liveValues = replayed.length > 0 ? await mget(redis, replayed.map((e) => prefix + e.original)) : [];
    const rows: ComparisonRow[] = [];
    let i = 0;
    for (const entry of entries) {
      if (entry.replay === undefined) {
        rows.push(errorRow(entry.original || `${plan.liveTopic}/${entry.partition}/${entry.offset}`, entry.error ?? 'not copied'));
        continue;
      }
      rows.push(compareResults(entry.original, entry.replay, parseStoredResult(liveValues[i]), parseStoredResult(replayValues[i])));
      i++;
    }

    await platform?.stop();
    platform = undefined;
    let cleanedUp: ReplayReport['cleanedUp'] = null;
    if (!interrupted && (options.cleanup ?? plan.startsStages)) {
      options.progress?.phase?.('cleaning up');
      cleanedUp = await cleanUp(kafka, plan, pipeline, stateDir);
    }
    return {
      runId: plan.runId,
      pipeline: plan.pipeline,
      pipelineVersion: plan.pipelineVersion,
      set: plan.set,
      liveTopic: plan.liveTopic,
      replayTopicPrefix: plan.replayTopicPrefix,
      since: plan.since,
      until: plan.until,
      resumed: Boolean(stored),
      state: interrupted ? 'interrupted' : 'completed',
      total,
      copied: entries.length,
      summary: summarise(rows),
      rows,
      mostDifferent: mostDifferent(rows, options.top),
      cleanedUp,
      resultTtlSeconds: plan.startsStages ? effectiveResultTtl(options) : null,
    };
  } finally {
    await platform?.stop();
    redis.disconnect();
  }
}
