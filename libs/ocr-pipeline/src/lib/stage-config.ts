import type { StageRuntimeSettings } from '@conveyor/stage-runtime';
import { z } from 'zod';
import type { OcrStageName } from './ocr-stage.module';
import type { OcrStageOptions } from './tokens';

/** Invalid configuration: every problem, one line each, naming the variable. */
export class StageConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'StageConfigError';
  }
}

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const brokerList = z
  .string()
  .transform((v) => v.split(',').map((b) => b.trim()).filter(Boolean))
  .refine((list) => list.length > 0 && list.every((b) => /^[^\s:]+:\d{1,5}$/.test(b)), 'must be a comma-separated list of host:port');

/** HTTP ports of the stages when run side by side on one host (compose and Kubernetes use 8080 each). */
const DEFAULT_HTTP_PORT: Record<OcrStageName, number> = { preprocess: 8081, features: 8082, inference: 8083, postprocess: 8084 };

function schemaFor(stage: OcrStageName) {
  const cpuThreads = stage === 'features' || stage === 'inference' ? 1 : 0;
  return z.object({
    KAFKA_BROKERS: brokerList.default(['127.0.0.1:9092']).describe('Kafka bootstrap servers, host:port[,host:port…]'),
    REDIS_URL: z.string().regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL').default('redis://127.0.0.1:6379'),
    TOPIC_PREFIX: z.string().regex(/^[A-Za-z0-9._-]*$/, 'may contain only letters, digits, ".", "_" and "-"').default(''),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
    HTTP_HOST: z.string().min(1).default('0.0.0.0'),
    HTTP_PORT: int(0, 65535).default(DEFAULT_HTTP_PORT[stage]),
    MAX_IN_FLIGHT: int(1, 1024).default(stage === 'inference' ? 16 : 2),
    BATCH_MAX_SIZE: int(1, 1024).optional(),
    BATCH_MAX_WAIT_MS: int(0, 60_000).optional(),
    CLAIM_CHECK_THRESHOLD_BYTES: int(1024, 1024 * 1024).default(512 * 1024),
    CLAIM_TTL_SECONDS: int(10, 7 * 86_400).default(3_600),
    MAX_MESSAGE_BYTES: int(1024, 100 * 1024 * 1024).default(1_000_000),
    SHUTDOWN_GRACE_MS: int(0, 600_000).default(30_000),
    RETRY_MAX_ATTEMPTS: int(1, 100).default(3),
    RESULT_TTL_SECONDS: int(10, 30 * 86_400).default(86_400),
    OCR_MODEL_DIR: z.string().min(1).optional(),
    ORT_EXECUTION_PROVIDERS: z
      .string()
      .transform((v) => v.split(',').map((p) => p.trim().toLowerCase()).filter(Boolean))
      .refine((list) => list.length > 0 && list.every((p) => ['cuda', 'tensorrt', 'cpu'].includes(p)), 'must list providers from cuda, tensorrt, cpu (e.g. "cuda,cpu")')
      .default(['cpu']),
    ORT_INTRA_OP_THREADS: int(0, 256).default(cpuThreads),
    MAX_IMAGE_BYTES: int(1, 512 * 1024 * 1024).default(20 * 1024 * 1024),
    MAX_IMAGE_PIXELS: int(1, 1_000_000_000).default(50_000_000),
    MAX_PAGE_SIDE: int(32, 16_384).default(2_048),
    DET_LIMIT_SIDE: int(32, 4_096).default(960),
    REC_BATCH_SIZE: int(1, 1_024).default(1),
    REC_MAX_WIDTH: int(48, 8_192).default(2_048),
    MIN_CONFIDENCE: z.coerce.number().min(0).max(1).default(0.5),
  });
}

export interface OcrStageConfig {
  settings: StageRuntimeSettings;
  options: OcrStageOptions;
}

/** Reads and validates a stage's configuration from the environment; throws StageConfigError listing every problem. */
export function loadOcrStageConfig(stage: OcrStageName, env: NodeJS.ProcessEnv): OcrStageConfig {
  const schema = schemaFor(stage);
  const known = Object.keys(schema.shape);
  const input = Object.fromEntries(known.filter((k) => env[k] !== undefined && env[k] !== '').map((k) => [k, env[k]]));
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new StageConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0]);
        return `${name}: ${issue.message} (got ${JSON.stringify(env[name])})`;
      }),
    );
  }
  const c = parsed.data;
  const batch = { ...(c.BATCH_MAX_SIZE !== undefined && { maxSize: c.BATCH_MAX_SIZE }), ...(c.BATCH_MAX_WAIT_MS !== undefined && { maxWaitMs: c.BATCH_MAX_WAIT_MS }) };
  return {
    settings: {
      stage,
      brokers: c.KAFKA_BROKERS,
      redisUrl: c.REDIS_URL,
      topicPrefix: c.TOPIC_PREFIX,
      logLevel: c.LOG_LEVEL,
      httpHost: c.HTTP_HOST,
      httpPort: c.HTTP_PORT,
      maxInFlight: c.MAX_IN_FLIGHT,
      claimCheckThresholdBytes: c.CLAIM_CHECK_THRESHOLD_BYTES,
      claimTtlSeconds: c.CLAIM_TTL_SECONDS,
      maxMessageBytes: c.MAX_MESSAGE_BYTES,
      shutdownGraceMs: c.SHUTDOWN_GRACE_MS,
      retry: { maxAttempts: c.RETRY_MAX_ATTEMPTS, initialBackoffMs: 200, maxBackoffMs: 5_000 },
      batch,
    },
    options: {
      modelDir: c.OCR_MODEL_DIR,
      executionProviders: c.ORT_EXECUTION_PROVIDERS,
      intraOpThreads: c.ORT_INTRA_OP_THREADS,
      maxImageBytes: c.MAX_IMAGE_BYTES,
      maxImagePixels: c.MAX_IMAGE_PIXELS,
      maxPageSide: c.MAX_PAGE_SIDE,
      detectionLimitSide: c.DET_LIMIT_SIDE,
      recognitionBatchSize: c.REC_BATCH_SIZE,
      recognitionMaxWidth: c.REC_MAX_WIDTH,
      minConfidence: c.MIN_CONFIDENCE,
      resultTtlSeconds: c.RESULT_TTL_SECONDS,
    },
  };
}

/** For main.ts: the configuration, or a clear message on stderr and exit code 78 (EX_CONFIG). */
export function loadOcrStageConfigOrExit(stage: OcrStageName, env: NodeJS.ProcessEnv = process.env): OcrStageConfig {
  try {
    return loadOcrStageConfig(stage, env);
  } catch (error) {
    if (!(error instanceof StageConfigError)) throw error;
    process.stderr.write(`${stage}: ${error.message}\n`);
    process.exit(78);
  }
}
