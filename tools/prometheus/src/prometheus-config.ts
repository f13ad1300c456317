/** One stage's metrics endpoint, as Prometheus's static_configs want it. */
export interface ScrapeTarget {
  /** host:port, without scheme or path. */
  address: string;
  /** Value of the `service` target label (the stage name). */
  service: string;
}

export interface ScrapeConfigOptions {
  jobName: string;
  scrapeIntervalSeconds: number;
  targets: readonly ScrapeTarget[];
}

export class ScrapeConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScrapeConfigError';
  }
}

/**
 * Turns the platform's health URL bases (stage → "http://127.0.0.1:8081") into
 * scrape targets. Metrics live on the same server as health, so only host:port
 * is kept; anything else in the URL (a path, credentials, another scheme) means
 * the URL is not what this check expects, and it says so instead of guessing.
 */
export function scrapeTargetsFromHealthUrls(healthUrls: Readonly<Record<string, string>>): ScrapeTarget[] {
  const entries = Object.entries(healthUrls);
  if (entries.length === 0) throw new ScrapeConfigError('no stage health URLs to scrape');
  return entries.map(([service, raw]) => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ScrapeConfigError(`health URL of stage "${service}" is not a URL: "${raw}"`);
    }
    if (url.protocol !== 'http:') throw new ScrapeConfigError(`health URL of stage "${service}" is not http: "${raw}"`);
    if (url.username || url.password || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
      throw new ScrapeConfigError(`health URL of stage "${service}" must be a bare http://host:port, got "${raw}"`);
    }
    // URL drops the port when it is the scheme's default; Prometheus needs it spelled out.
    return { service, address: `${url.hostname}:${url.port || '80'}` };
  });
}

/** A YAML double-quoted scalar: JSON's string escapes are valid YAML for these values. */
function quoted(value: string): string {
  return JSON.stringify(value);
}

function duration(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds < 1) throw new ScrapeConfigError(`scrape interval must be a whole number of seconds ≥ 1, got ${seconds}`);
  return `${seconds}s`;
}

/**
 * prometheus.yml with one job scraping every target. Each target gets its own
 * static_configs entry, since target labels are per entry. The metrics already
 * carry a `stage` label, so the target's label is `service`, not `stage`: a
 * target label of the same name would win, and the metric's own would be
 * renamed to `exported_stage` (honor_labels is false by default).
 */
export function renderPrometheusConfig(options: ScrapeConfigOptions): string {
  if (!/^[a-zA-Z_][a-zA-Z0-9_-]*$/.test(options.jobName)) throw new ScrapeConfigError(`job name "${options.jobName}" is not a plain identifier`);
  if (options.targets.length === 0) throw new ScrapeConfigError('a scrape job needs at least one target');
  const interval = duration(options.scrapeIntervalSeconds);
  const lines = [
    '# Written by tools/prometheus (scrape check); one job over the Conveyor stages.',
    'global:',
    `  scrape_interval: ${interval}`,
    `  evaluation_interval: ${interval}`,
    'scrape_configs:',
    `  - job_name: ${quoted(options.jobName)}`,
    `    scrape_interval: ${interval}`,
    // The timeout defaults to 10 s, longer than the interval; spelled out so the file reads true.
    `    scrape_timeout: ${interval}`,
    '    metrics_path: "/metrics"',
    '    static_configs:',
  ];
  for (const target of options.targets) {
    lines.push(`      - targets: [${quoted(target.address)}]`, '        labels:', `          service: ${quoted(target.service)}`);
  }
  return `${lines.join('\n')}\n`;
}
