/**
 * Proves that a real Prometheus scrapes the running Conveyor platform:
 *
 *   SWC_NODE_PROJECT=tsconfig.base.json npx node -r @swc-node/register tools/prometheus/scrape-check.ts
 *
 * KAFKA_BROKERS: use that Kafka (else the project's own broker, temporary);
 * REDIS_URL (default redis://127.0.0.1:6379); PROMETHEUS_BIN: a Prometheus
 * binary other than `prometheus` on PATH.
 * Exit codes: 0 scraped as expected, 1 failed (the message says where), 2 no
 * prometheus binary.
 */
import { formatScrapeCheckReport, PrometheusNotInstalledError, runScrapeCheck } from './src';

async function main(): Promise<number> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const report = await runScrapeCheck({
      kafkaBrokers: process.env['KAFKA_BROKERS']?.trim() || undefined,
      redisUrl: process.env['REDIS_URL']?.trim() || 'redis://127.0.0.1:6379',
      prometheusBinary: process.env['PROMETHEUS_BIN']?.trim() || undefined,
      log: (line) => process.stderr.write(`${line}\n`),
      signal: stop.signal,
    });
    process.stdout.write(`${formatScrapeCheckReport(report)}\nprometheus scrape check: OK\n`);
    return 0;
  } catch (error) {
    if (error instanceof PrometheusNotInstalledError) {
      process.stderr.write(`prometheus scrape check: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`prometheus scrape check FAILED: ${(error as Error).message}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

void main().then((code) => process.exit(code));
