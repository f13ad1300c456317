import { z } from 'zod';
import {
  brokersVar,
  durationMs,
  kafkaNameVar,
  logLevelVar,
  portVar,
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
