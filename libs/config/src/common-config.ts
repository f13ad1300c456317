import { z } from 'zod';
import {
  brokersVar,
  durationMs,
  kafkaNameVar,
  logLevelVar,
  nonNegativeInt,
  portVar,
  patternVar,
  redisKeyPrefixVar,
  positiveInt,
  topicPrefixVar,
  urlVar,
} from './fields';

const CLIENT_ID_DESCRIPTION = 'Kafka client id, shown in broker logs and metrics.';
const HTTP_PORT_DESCRIPTION = 'Port of the health and metrics HTTP server; 0 picks any free port.';

/**
 * What every stage process reads. A service adds its own variables with
 * `commonConfigSchema.extend({...})`, or starts from serviceConfigSchema()
 * to get its own client id and HTTP port defaults.
 */
export const commonConfigSchema = z.object({
  KAFKA_BROKERS: brokersVar()
    .prefault('127.0.0.1:9092')
    .describe('Kafka bootstrap servers, comma-separated host:port.'),
  KAFKA_CLIENT_ID: kafkaNameVar().prefault('conveyor').describe(CLIENT_ID_DESCRIPTION),
  REDIS_URL: urlVar()
    .prefault('redis://127.0.0.1:6379')
    .describe('Redis for results and claim checks (redis:// or rediss:// for TLS).'),
  LOG_LEVEL: logLevelVar().prefault('info').describe('Log level: fatal, error, warn, info, debug, trace or silent.'),
  HTTP_PORT: portVar().prefault('8080').describe(HTTP_PORT_DESCRIPTION),
  RESULT_TTL_SECONDS: positiveInt()
    .prefault('86400')
    .describe('How long a result stays in Redis (key `conveyor:result:<id>`).'),
  CLAIM_CHECK_THRESHOLD_BYTES: positiveInt()
    .prefault('524288')
    .describe(
      "Payloads larger than this go to Redis and travel as a claim check; keep it under Kafka's 1 MiB message limit.",
    ),
  CLAIM_TTL_SECONDS: positiveInt()
    .prefault('86400')
    .describe(
      'How long a claim-checked payload stays in Redis; must outlast the longest time a message can wait in Kafka.',
    ),
  SHUTDOWN_GRACE_MS: durationMs()
    .prefault('25000')
    .describe('On SIGTERM, how long to drain in-flight work before leaving; below the 30 s Kubernetes grace period.'),
  TOPIC_PREFIX: topicPrefixVar()
    .prefault('')
    .describe(
      'Prepended to every topic name (`${prefix}ocr.requests`), so tests or parallel pipelines can share one cluster.',
    ),
  MAX_IN_FLIGHT: positiveInt()
    .prefault('8')
    .describe('Messages a stage works on at once; fetching pauses while this many are in flight (backpressure).'),
  BATCH_MAX_SIZE: positiveInt()
    .prefault('1')
    .describe('Most messages a stage hands its handler at once (batching pays on GPU, not on CPU).'),
  BATCH_MAX_WAIT_MS: durationMs()
    .prefault('10')
    .describe('Longest a partial batch waits for more messages before it runs.'),
});

export type CommonConfig = z.infer<typeof commonConfigSchema>;

/** commonConfigSchema with a service's own defaults for its client id and HTTP port. */
export function serviceConfigSchema(defaults: { clientId: string; httpPort: number }) {
  return commonConfigSchema.extend({
    KAFKA_CLIENT_ID: kafkaNameVar().prefault(defaults.clientId).describe(CLIENT_ID_DESCRIPTION),
    HTTP_PORT: portVar().prefault(String(defaults.httpPort)).describe(HTTP_PORT_DESCRIPTION),
  });
}

/**
 * Every setting of the stage runtime, for any stage of any pipeline: the common
 * variables plus HTTP interface, batching, in-flight limit, message limits and
 * retries. A stage's own variables extend it (`stageRuntimeConfigSchema(...).extend(...)`).
 * Per-stage defaults come from the pipeline definition, which the stage host
 * applies beneath the real environment.
 */
export function stageRuntimeConfigSchema(defaults: { clientId: string; httpPort: number }) {
  return serviceConfigSchema(defaults).extend({
    HTTP_HOST: patternVar(/^[A-Za-z0-9.:[\]-]+$/, 'must be a host name or IP address')
      .prefault('0.0.0.0')
      .describe('Interface of the health and metrics HTTP server.'),
    BATCH_MAX_SIZE: positiveInt({ max: 1024 }).prefault('1').describe('Most messages a stage hands its handler at once.'),
    MAX_IN_FLIGHT: positiveInt({ max: 1024 })
      .prefault('2')
      .describe('Messages a stage works on at once; fetching pauses while this many are in flight.'),
    MAX_MESSAGE_BYTES: positiveInt()
      .prefault('1000000')
      .describe('Largest message sent inline; larger outputs must be claim-checked.'),
    RETRY_MAX_ATTEMPTS: positiveInt({ max: 100 })
      .prefault('3')
      .describe('Attempts for a transient failure before the message is dead-lettered.'),
    RETRY_BACKOFF_MS: durationMs().prefault('200').describe('First retry delay; doubles per attempt (with jitter) up to 5 s.'),
    KAFKA_SESSION_TIMEOUT_MS: durationMs()
      .prefault('30000')
      .describe("How long Kafka waits for a silent stage process before giving its partitions to the others (the broker allows 6 s to 5 min)."),
    REBALANCE_TIMEOUT_MS: durationMs()
      .prefault('60000')
      .describe('How long a rebalance waits for every member to rejoin; must cover the slowest message in flight.'),
    POISON_MAX_CRASHES: nonNegativeInt({ max: 100 })
      .prefault('2')
      .describe('An input in flight when stage processes died this many times is dead-lettered as `POISON` without running the handler; 0 turns it off.'),
    POISON_MARKER_TTL_SECONDS: positiveInt()
      .prefault('86400')
      .describe('How long an attempt marker (`conveyor:attempts:…`, kept in Redis while an input is worked on) outlives a process that died.'),
    PIPELINE: kafkaNameVar().optional().describe('Pipeline this process serves (default: the first pipeline that uses the app).'),
    STAGE: kafkaNameVar().optional().describe("Stage of that pipeline this process runs (default: the pipeline's first stage run by the app)."),
    INPUT_TOPIC: kafkaNameVar()
      .optional()
      .describe("Topic the stage consumes, as it is (default: its input under `TOPIC_PREFIX`); a shadow's first stage reads the live input with it."),
    RESULT_KEY_PREFIX: redisKeyPrefixVar()
      .optional()
      .describe("Redis key prefix of the results this stage writes (default: the pipeline definition's, e.g. `conveyor:result:`); a shadow's own."),
  });
}

export type StageRuntimeConfig = z.infer<ReturnType<typeof stageRuntimeConfigSchema>>;
