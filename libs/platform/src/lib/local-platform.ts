import { selectPipelines, type PipelineDefinition, type StageDefinition, type TopicSpec } from '@conveyor/pipeline';
import { PIPELINES } from '@conveyor/pipelines';
import { join } from 'node:path';
import { findFreePort, findWorkspaceRoot, parseBrokerList, type ResolvedKafka } from '@conveyor/kafka-local';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { keepKafka, type KeepKafkaOptions, type KeptKafka } from './kafka-keeper';
import { ProcessSupervisor, type ServiceSpec } from './process-supervisor';
import type { RestartPolicy } from './restart-policy';
import { planProcesses } from './stage-plan';
import { ensureTopics, topicsOf, type EnsureTopicsReport } from './topics';

export interface LocalPlatformOptions {
  /** KAFKA_BROKERS: use that Kafka and start none. */
  kafkaBrokers?: string;
  /** Port of the local broker when one is started (npm start: 9092; tests: 0 = free). */
  kafkaPort: number;
  /** Where the local broker keeps data (npm start: .conveyor/kafka-data); absent = temporary. */
  kafkaDataDir?: string;
  redisUrl: string;
  topicPrefix: string;
  partitions: number;
  /** Pipelines to run, by name (default: every pipeline in pipelines/). */
  pipelines?: readonly string[];
  /** The pipeline definitions to choose from (default: the repository's). */
  definitions?: readonly PipelineDefinition[];
  /** Only these stages of the selected pipelines (default: all); a shadow runs a stage and those after it. */
  stages?: (pipeline: PipelineDefinition, stage: StageDefinition) => boolean;
  /** The topics to create (default: every topic of the selected pipelines under `topicPrefix`). */
  topics?: readonly TopicSpec[];
  /** First HTTP port (health, metrics) of the stages, counted up in definition order (see planProcesses); 0 = free ports. */
  httpBasePort: number;
  /** Environment passed to every stage (LOG_LEVEL, ORT_* …). */
  env: NodeJS.ProcessEnv;
  /** Per-process environment on top of `env`, by process name (`ocr-inference`). */
  stageEnv?: Record<string, NodeJS.ProcessEnv>;
  log: (line: string) => void;
  /** How long to wait for every stage to report ready. */
  readyTimeoutMs?: number;
  /** Restarting stages that die once the platform is up (default: DEFAULT_RESTART_POLICY); false = never. */
  stageRestart?: Partial<RestartPolicy> | false;
  /** Restarting the local broker when it dies (default: DEFAULT_RESTART_POLICY, 5 failed starts in a row give up). */
  kafkaRestart?: Pick<KeepKafkaOptions, 'restart' | 'maxFailedStarts'>;
}

/** The platform's Kafka: KAFKA_BROKERS (external), or the local broker the launcher started and keeps running. */
export interface PlatformKafka extends ResolvedKafka {
  /** The local broker's JVM pid; undefined for an external Kafka or while the local broker is down. */
  readonly pid: number | undefined;
  /** How often the local broker was restarted after dying. */
  readonly restarts: number;
}

export interface LocalPlatform {
  brokers: string;
  kafka: PlatformKafka;
  supervisor: ProcessSupervisor;
  /** The pipelines running. */
  pipelines: PipelineDefinition[];
  /** Process name (`ocr-inference`) → health URL base. */
  healthUrls: Record<string, string>;
  /**
   * Settles only when the platform cannot go on: its local broker died and
   * could not be started again. The stages are stopped by then; the caller
   * should call stop() and report the error.
   */
  failed: Promise<Error>;
  stop(): Promise<void>;
}

export class RedisUnreachableError extends Error {
  constructor(url: string, cause: unknown) {
    super(`Redis at ${url} is unreachable (${(cause as Error).message}); start redis-server or set REDIS_URL`, { cause });
    this.name = 'RedisUnreachableError';
  }
}

async function checkRedis(url: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 3_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new RedisUnreachableError(url, error);
  } finally {
    redis.disconnect();
  }
}

/**
 * How a stage process is launched: its app's main.ts from TypeScript sources
 * through swc (no build step needed). MALLOC_ARENA_MAX=2 unless set, as in the
 * images: glibc's per-thread malloc arenas (ONNX Runtime's and libvips'
 * threads) cost ~30 MB of RSS per stage for no CPU gain (tools/bench/README.md).
 */
export function stageServiceSpec(name: string, app: string, root: string, env: NodeJS.ProcessEnv): ServiceSpec {
  return {
    name,
    command: process.execPath,
    args: ['-r', '@swc-node/register', join(root, 'apps', app, 'src', 'main.ts')],
    cwd: root,
    env: { MALLOC_ARENA_MAX: '2', ...env, SWC_NODE_PROJECT: join(root, 'tsconfig.base.json') },
  };
}

async function waitReady(urls: Record<string, string>, timeoutMs: number, hasExited: (stage: string) => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(Object.keys(urls));
  while (pending.size > 0) {
    for (const stage of Object.keys(urls)) {
      // Start-up fails fast: a stage that dies before the platform is up is not restarted.
      if (hasExited(stage)) throw new Error(`stage ${stage} exited during start-up (see its log lines above)`);
    }
    for (const stage of [...pending]) {
      const ok = await fetch(`${urls[stage]}/health/ready`).then((r) => r.ok, () => false);
      if (ok) pending.delete(stage);
    }
    if (pending.size === 0) break;
    if (Date.now() > deadline) throw new Error(`stages not ready after ${timeoutMs} ms: ${[...pending].join(', ')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function externalKafka(brokers: string): PlatformKafka {
  return { brokers: parseBrokerList(brokers).join(','), external: true, pid: undefined, restarts: 0, stop: async () => undefined, logTail: () => '' };
}

function localKafka(kept: KeptKafka): PlatformKafka {
  return {
    brokers: kept.brokers,
    external: false,
    get pid() {
      return kept.pid;
    },
    get restarts() {
      return kept.restarts;
    },
    stop: () => kept.stop(),
    logTail: (lines) => kept.logTail(lines),
  };
}

function logTopicReport(report: EnsureTopicsReport, log: (line: string) => void): void {
  if (report.created.length) log(`topics created: ${report.created.join(', ')}`);
  for (const kept of report.kept.filter((k) => k.partitions !== k.wanted)) {
    log(`topic ${kept.topic} kept with ${kept.partitions} partitions (configured ${kept.wanted})`);
  }
  for (const { topic, changes } of report.altered) {
    log(`topic ${topic} altered to match its pipeline definition: ${changes.map((c) => `${c.name} ${c.from ?? '(unset)'} -> ${c.to}`).join(', ')}`);
  }
}

/**
 * The local platform: Kafka (KAFKA_BROKERS, else the project's own broker,
 * restarted when it dies), every selected pipeline's topics (created when
 * missing; existing ones keep their partitions and get the definition's
 * configs), Redis checked, and each stage of each pipeline as its own child
 * process, returned once all of them report ready; a stage that dies after that
 * is restarted (process-supervisor.ts). Everything is read from the pipeline
 * definitions at run time.
 */
export async function startLocalPlatform(options: LocalPlatformOptions): Promise<LocalPlatform> {
  const root = findWorkspaceRoot();
  const definitions = options.definitions ?? PIPELINES;
  const pipelines = selectPipelines(definitions, options.pipelines ?? []);
  await checkRedis(options.redisUrl);
  const kafkaLog = (line: string) => options.log(`[kafka] ${line}`);
  const external = options.kafkaBrokers?.trim();
  const kept = external ? undefined : await keepKafka({ port: options.kafkaPort, dataDir: options.kafkaDataDir, log: kafkaLog, ...options.kafkaRestart });
  const kafka = kept ? localKafka(kept) : externalKafka(external ?? '');
  let supervisor: ProcessSupervisor | undefined;
  try {
    const admin = new Kafka({ clientId: 'conveyor-up', brokers: kafka.brokers.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      logTopicReport(await ensureTopics(admin, options.topics ?? topicsOf(pipelines, options.topicPrefix, options.partitions)), options.log);
    } finally {
      await admin.disconnect();
    }

    const healthUrls: Record<string, string> = {};
    const only = options.stages;
    const plan = planProcesses(definitions, pipelines.map((p) => p.name), options.httpBasePort).filter((proc) => !only || only(proc.pipeline, proc.stage));
    const specs = await Promise.all(
      plan.map(async (proc) => {
        const port = proc.httpPort === 0 ? await findFreePort() : proc.httpPort;
        healthUrls[proc.name] = `http://127.0.0.1:${port}`;
        return stageServiceSpec(proc.name, proc.stage.app, root, {
          ...options.env,
          ...options.stageEnv?.[proc.name],
          // Which stage of which pipeline: the process finds its topics, group and defaults in the definition.
          PIPELINE: proc.pipeline.name,
          STAGE: proc.stage.name,
          KAFKA_BROKERS: kafka.brokers,
          REDIS_URL: options.redisUrl,
          TOPIC_PREFIX: options.topicPrefix,
          HTTP_PORT: String(port),
        });
      }),
    );
    const exitedBeforeReady = new Set<string>();
    let ready = false;
    supervisor = new ProcessSupervisor(specs, {
      write: options.log,
      restart: options.stageRestart,
      onEvent: (event) => {
        if (event.type === 'exited' && !ready) exitedBeforeReady.add(event.name);
      },
    });
    supervisor.startAll();
    const running = supervisor;
    await waitReady(healthUrls, options.readyTimeoutMs ?? 180_000, (stage) => exitedBeforeReady.has(stage));
    ready = true;
    let stopping = false;
    const failed = new Promise<Error>((resolve) => {
      void kept?.gaveUp.then(async (error) => {
        if (stopping) return;
        kafkaLog(`${error.message}; stopping the stages`);
        await running.stopAll();
        resolve(error);
      });
    });
    const stop = async () => {
      stopping = true;
      await running.stopAll();
      await kafka.stop();
    };
    return { brokers: kafka.brokers, kafka, supervisor: running, pipelines, healthUrls, failed, stop };
  } catch (error) {
    await supervisor?.stopAll();
    await kafka.stop();
    throw error;
  }
}
