import { startLocalPlatform, type LocalPlatform } from '@conveyor/platform';
import { kafkaBrokers, redisUrl } from '@conveyor/testing';

/**
 * The stages of `pipelines` (default: OCR's four) as separate processes on this test run's Kafka and Redis,
 * under their own topic prefix, with free health ports and quiet logs (`log` receives the launcher's lines).
 * Claim-checked pages expire 10 minutes after the run instead of a day.
 */
export function startTestPlatform(
  topicPrefix: string,
  env: NodeJS.ProcessEnv = {},
  pipelines: readonly string[] = ['ocr'],
  log: (line: string) => void = () => undefined,
): Promise<LocalPlatform> {
  return startLocalPlatform({
    kafkaBrokers: kafkaBrokers().join(','),
    kafkaPort: 0,
    redisUrl: redisUrl(),
    topicPrefix,
    partitions: 2,
    pipelines,
    httpBasePort: 0,
    env: { ...process.env, LOG_LEVEL: 'warn', CLAIM_TTL_SECONDS: '600', ...env },
    log,
  });
}
