import { serviceName } from '@conveyor/pipeline';
import { ocrPipeline } from '@conveyor/pipelines';

const OCR_STAGE_NAMES = ocrPipeline.stages.map((s) => s.name);
const OCR_SERVICES = ocrPipeline.stages.map((s) => serviceName(ocrPipeline, s));
import { kafkaBrokers, redisUrl, uniqueName } from '@conveyor/testing';
import {
  CONSUMED_BY_STAGE_QUERY,
  findPrometheusBinary,
  PrometheusNotInstalledError,
  runScrapeCheck,
  type ScrapeCheckReport,
} from '@conveyor/prometheus-check';

/**
 * A real Prometheus (Debian's `prometheus` package) scrapes the four running
 * stages, and its HTTP API answers a query over a stage metric. Without the
 * binary this fails, saying how to install it; CONVEYOR_SKIP_PROMETHEUS=1
 * turns that into a visible skip where installing it is not possible.
 */
jest.setTimeout(180_000);

function missingPrometheus(): string | undefined {
  try {
    findPrometheusBinary(process.env['PROMETHEUS_BIN']?.trim() || undefined);
    return undefined;
  } catch (error) {
    if (error instanceof PrometheusNotInstalledError) return error.message;
    throw error;
  }
}

const missing = missingPrometheus();
const skipping = missing !== undefined && process.env['CONVEYOR_SKIP_PROMETHEUS'] === '1';
if (skipping) {
  process.stderr.write(`\n[prometheus e2e] SKIPPED because CONVEYOR_SKIP_PROMETHEUS=1: ${missing}\n\n`);
}
const itUnlessSkipped = skipping ? it.skip : it;

describe('Prometheus scrapes the running platform', () => {
  itUnlessSkipped(`answers "${CONSUMED_BY_STAGE_QUERY}" with every image at every stage`, async () => {
    if (missing) throw new Error(`${missing}. (Set CONVEYOR_SKIP_PROMETHEUS=1 to skip this test where it cannot be installed.)`);
    const lines: string[] = [];
    let report: ScrapeCheckReport;
    try {
      report = await runScrapeCheck({
        kafkaBrokers: kafkaBrokers().join(','),
        redisUrl: redisUrl(),
        topicPrefix: `${uniqueName('prom')}.`,
        prometheusBinary: process.env['PROMETHEUS_BIN']?.trim() || undefined,
        log: (line) => lines.push(line),
      });
    } catch (error) {
      // The stages' and broker's warnings explain most failures; they are only shown then.
      throw new Error(`${(error as Error).message}\n--- last log lines ---\n${lines.slice(-40).join('\n')}`, { cause: error });
    }

    const images = report.images.length;
    expect(images).toBeGreaterThan(0);
    expect(report.images.map((i) => i.status)).toEqual(Array(images).fill('ok'));
    expect(report.prometheusVersion).toMatch(/^prometheus, version 2\./);

    // One target per stage, labelled with the stage as `service`, all scraped successfully.
    expect(report.targets.map((t) => t.service).sort()).toEqual([...OCR_SERVICES].sort());
    for (const target of report.targets) {
      expect(target.health).toBe('up');
      expect(target.scrapeUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    }

    // The query's answer: exactly the four stages (the metrics' own `stage` label survived the scrape),
    // each having consumed every image (more only if Kafka redelivered).
    expect(Object.keys(report.consumedByStage).sort()).toEqual([...OCR_STAGE_NAMES].sort());
    for (const stage of OCR_STAGE_NAMES) {
      expect(report.consumedByStage[stage]).toBeGreaterThanOrEqual(images);
      expect(report.consumedByStage[stage]).toBeLessThanOrEqual(images * 2);
    }
    expect(report.cleanupProblems).toEqual([]);
    process.stdout.write(`[prometheus e2e] ${report.query} → ${JSON.stringify(report.consumedByStage)} (${report.timingsMs.total} ms)\n`);
  });
});
