import { selectPipelines, type PipelineDefinition } from '@conveyor/pipeline';
import { PIPELINES } from '@conveyor/pipelines';
import { join } from 'node:path';
import { findFreePort, findWorkspaceRoot, resolveKafka, type ResolvedKafka } from '@conveyor/kafka-local';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { ProcessSupervisor, type ServiceSpec } from './process-supervisor';
import { planProcesses } from './stage-plan';
import { ensureTopics, topicsOf } from './topics';

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
  /** First HTTP port (health, metrics) of the stages, counted up in definition order (see planProcesses); 0 = free ports. */
  httpBasePort: number;
  /** Environment passed to every stage (LOG_LEVEL, ORT_* …). */
  env: NodeJS.ProcessEnv;
  /** Per-process environment on top of `env`, by process name (`ocr-inference`). */
  stageEnv?: Record<string, NodeJS.ProcessEnv>;
  log: (line: string) => void;
  /** How long to wait for every stage to report ready. */
  readyTimeoutMs?: number;
}

export interface LocalPlatform {
  brokers: string;
  kafka: ResolvedKafka;
  supervisor: ProcessSupervisor;
  /** The pipelines running. */
  pipelines: PipelineDefinition[];
  /** Process name (`ocr-inference`) → health URL base. */
  healthUrls: Record<string, string>;
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

/** How a stage process is launched: its app's main.ts from TypeScript sources through swc (no build step needed). */
export function stageServiceSpec(name: string, app: string, root: string, env: NodeJS.ProcessEnv): ServiceSpec {
  return {
    name,
    command: process.execPath,
    args: ['-r', '@swc-node/register', join(root, 'apps', app, 'src', 'main.ts')],
    cwd: root,
    env: { ...env, SWC_NODE_PROJECT: join(root, 'tsconfig.base.json') },
  };
}

async function waitReady(urls: Record<string, string>, timeoutMs: number, isAlive: (stage: string) => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(Object.keys(urls));
  while (pending.size > 0) {
    for (const stage of [...pending]) {
      if (!isAlive(stage)) throw new Error(`stage ${stage} exited during start-up (see its log lines above)`);
      const ok = await fetch(`${urls[stage]}/health/ready`).then((r) => r.ok, () => false);
      if (ok) pending.delete(stage);
    }
    if (pending.size === 0) break;
    if (Date.now() > deadline) throw new Error(`stages not ready after ${timeoutMs} ms: ${[...pending].join(', ')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * The local platform: Kafka (KAFKA_BROKERS, else the project's own broker),
 * every selected pipeline's topics (created when missing, kept when present),
 * Redis checked, and each stage of each pipeline as its own child process
 * (`replicas` of them), returned once all of them report ready. Everything is
 * read from the pipeline definitions at run time.
 */
export async function startLocalPlatform(options: LocalPlatformOptions): Promise<LocalPlatform> {
  const root = findWorkspaceRoot();
  const definitions = options.definitions ?? PIPELINES;
  const pipelines = selectPipelines(definitions, options.pipelines ?? []);
  await checkRedis(options.redisUrl);
  const kafka = await resolveKafka(
    { port: options.kafkaPort, dataDir: options.kafkaDataDir, log: (line) => options.log(`[kafka] ${line}`) },
    { ...process.env, KAFKA_BROKERS: options.kafkaBrokers },
  );
  let supervisor: ProcessSupervisor | undefined;
  try {
    const admin = new Kafka({ clientId: 'conveyor-up', brokers: kafka.brokers.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const report = await ensureTopics(admin, topicsOf(pipelines, options.topicPrefix, options.partitions));
      if (report.created.length) options.log(`topics created: ${report.created.join(', ')}`);
      for (const kept of report.kept.filter((k) => k.partitions !== k.wanted)) {
        options.log(`topic ${kept.topic} kept with ${kept.partitions} partitions (configured ${kept.wanted})`);
      }
    } finally {
      await admin.disconnect();
    }

    const healthUrls: Record<string, string> = {};
    const plan = planProcesses(definitions, pipelines.map((p) => p.name), options.httpBasePort);
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
    supervisor = new ProcessSupervisor(specs, {
      write: options.log,
      onUnexpectedExit: (name, code, signal) => options.log(`[${name}] exited unexpectedly (code ${code}, signal ${signal})`),
    });
    supervisor.startAll();
    const running = supervisor;
    await waitReady(healthUrls, options.readyTimeoutMs ?? 180_000, (stage) => running.names().includes(stage));
    const stop = async () => {
      await running.stopAll();
      await kafka.stop();
    };
    return { brokers: kafka.brokers, kafka, supervisor: running, pipelines, healthUrls, stop };
  } catch (error) {
    await supervisor?.stopAll();
    await kafka.stop();
    throw error;
  }
}
