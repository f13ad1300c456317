import { OCR_STAGE_NAMES, type OcrStageName } from '@conveyor/contracts';
import { join } from 'node:path';
import { findFreePort, findWorkspaceRoot, resolveKafka, type ResolvedKafka } from '@conveyor/kafka-local';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { ProcessSupervisor, type ServiceSpec } from './process-supervisor';
import { ensureTopics, ocrPipelineTopics } from './topics';

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
  /** First HTTP port (health, metrics) of the stages: preprocess gets it, features +1, …; 0 = free ports. */
  httpBasePort: number;
  /** Environment passed to every stage (LOG_LEVEL, ORT_* …). */
  env: NodeJS.ProcessEnv;
  /** Per-stage environment on top of `env`. */
  stageEnv?: Partial<Record<OcrStageName, NodeJS.ProcessEnv>>;
  log: (line: string) => void;
  /** How long to wait for every stage to report ready. */
  readyTimeoutMs?: number;
}

export interface LocalPlatform {
  brokers: string;
  kafka: ResolvedKafka;
  supervisor: ProcessSupervisor;
  /** Stage name → health URL base. */
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

/** How a stage process is launched: from TypeScript sources through swc (no build step needed). */
export function stageServiceSpec(stage: string, root: string, env: NodeJS.ProcessEnv): ServiceSpec {
  return {
    name: stage,
    command: process.execPath,
    args: ['-r', '@swc-node/register', join(root, 'apps', stage, 'src', 'main.ts')],
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
 * the pipeline's topics (created when missing, kept when present), Redis
 * checked, and the four stages as separate child processes, returned once all
 * of them report ready.
 */
export async function startLocalPlatform(options: LocalPlatformOptions): Promise<LocalPlatform> {
  const root = findWorkspaceRoot();
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
      const report = await ensureTopics(admin, ocrPipelineTopics(options.topicPrefix, options.partitions));
      if (report.created.length) options.log(`topics created: ${report.created.join(', ')}`);
      for (const kept of report.kept.filter((k) => k.partitions !== k.wanted)) {
        options.log(`topic ${kept.topic} kept with ${kept.partitions} partitions (configured ${kept.wanted})`);
      }
    } finally {
      await admin.disconnect();
    }

    const healthUrls: Record<string, string> = {};
    const specs = await Promise.all(
      OCR_STAGE_NAMES.map(async (stage, i) => {
        const port = options.httpBasePort === 0 ? await findFreePort() : options.httpBasePort + i;
        healthUrls[stage] = `http://127.0.0.1:${port}`;
        return stageServiceSpec(stage, root, {
          ...options.env,
          ...options.stageEnv?.[stage],
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
    return { brokers: kafka.brokers, kafka, supervisor: running, healthUrls, stop };
  } catch (error) {
    await supervisor?.stopAll();
    await kafka.stop();
    throw error;
  }
}
