import { basename } from 'node:path';
import type { ScrapeCheckReport } from './run-scrape-check';

/** The human-readable summary the CLI prints: what was scraped and what Prometheus answered. */
export function formatScrapeCheckReport(report: ScrapeCheckReport): string {
  const stages = Object.keys(report.consumedByStage).sort();
  const width = Math.max(0, ...stages.map((s) => s.length), ...report.targets.map((t) => t.service.length));
  const t = report.timingsMs;
  return [
    `${report.prometheusVersion}`,
    `prometheus ${report.prometheusUrl}, Kafka ${report.brokers}, topic prefix ${report.topicPrefix}`,
    'targets (job conveyor):',
    ...report.targets.map((target) => `  ${target.service.padEnd(width)}  ${target.health.padEnd(4)}  ${target.scrapeUrl}`),
    `images: ${report.images.map((i) => `${basename(i.file)} ${i.status}`).join(', ')}`,
    `query: ${report.query}`,
    ...stages.map((stage) => `  {stage="${stage}"}${' '.repeat(width - stage.length)}  ${report.consumedByStage[stage]}`),
    `  HTTP API answer: ${report.queryAnswer}`,
    `timings: platform ready ${t.platformStart} ms, targets up ${t.targetsUp} ms, results ${t.results} ms, scraped ${t.scraped} ms, total with cleanup ${t.total} ms`,
    ...(report.cleanupProblems.length ? ['cleanup problems:', ...report.cleanupProblems.map((p) => `  ${p}`)] : []),
  ].join('\n');
}
