import { renderPrometheusConfig, scrapeTargetsFromHealthUrls, ScrapeConfigError } from './prometheus-config';

describe('scrapeTargetsFromHealthUrls', () => {
  it.each([
    [{ preprocess: 'http://127.0.0.1:8081' }, [{ service: 'preprocess', address: '127.0.0.1:8081' }]],
    [{ features: 'http://127.0.0.1:8082/' }, [{ service: 'features', address: '127.0.0.1:8082' }]],
    // The default port is dropped by URL; Prometheus must still get it.
    [{ inference: 'http://stage-host' }, [{ service: 'inference', address: 'stage-host:80' }]],
    [{ postprocess: 'http://[::1]:9000' }, [{ service: 'postprocess', address: '[::1]:9000' }]],
    [
      { a: 'http://h:1', b: 'http://h:2' },
      [
        { service: 'a', address: 'h:1' },
        { service: 'b', address: 'h:2' },
      ],
    ],
  ])('%j → %j', (urls, expected) => {
    expect(scrapeTargetsFromHealthUrls(urls)).toEqual(expected);
  });

  it.each([
    [{}, 'no stage health URLs to scrape'],
    [{ s: 'not a url' }, 'health URL of stage "s" is not a URL: "not a url"'],
    [{ s: 'https://h:1' }, 'health URL of stage "s" is not http: "https://h:1"'],
    [{ s: 'http://h:1/health' }, 'health URL of stage "s" must be a bare http://host:port, got "http://h:1/health"'],
    [{ s: 'http://u:p@h:1' }, 'health URL of stage "s" must be a bare http://host:port, got "http://u:p@h:1"'],
    [{ s: 'http://h:1?x=1' }, 'health URL of stage "s" must be a bare http://host:port, got "http://h:1?x=1"'],
  ])('%j is refused: %s', (urls, message) => {
    expect(() => scrapeTargetsFromHealthUrls(urls)).toThrow(new ScrapeConfigError(message));
  });
});

describe('renderPrometheusConfig', () => {
  it('writes one job with a static_configs entry and a service label per target', () => {
    const yaml = renderPrometheusConfig({
      jobName: 'conveyor',
      scrapeIntervalSeconds: 1,
      targets: [
        { address: '127.0.0.1:8081', service: 'preprocess' },
        { address: '127.0.0.1:8084', service: 'postprocess' },
      ],
    });
    expect(yaml).toBe(
      [
        '# Written by tools/prometheus (scrape check); one job over the Conveyor stages.',
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'scrape_configs:',
        '  - job_name: "conveyor"',
        '    scrape_interval: 1s',
        '    scrape_timeout: 1s',
        '    metrics_path: "/metrics"',
        '    static_configs:',
        '      - targets: ["127.0.0.1:8081"]',
        '        labels:',
        '          service: "preprocess"',
        '      - targets: ["127.0.0.1:8084"]',
        '        labels:',
        '          service: "postprocess"',
        '',
      ].join('\n'),
    );
  });

  it('quotes label values, so YAML never reads them as anything but strings', () => {
    const yaml = renderPrometheusConfig({ jobName: 'j', scrapeIntervalSeconds: 15, targets: [{ address: 'h:1', service: 'a "b": #c' }] });
    expect(yaml).toContain('          service: "a \\"b\\": #c"\n');
    expect(yaml).toContain('  scrape_interval: 15s\n');
  });

  it.each([
    [{ jobName: 'conveyor', scrapeIntervalSeconds: 0, targets: [{ address: 'h:1', service: 's' }] }, 'scrape interval must be a whole number of seconds ≥ 1, got 0'],
    [{ jobName: 'conveyor', scrapeIntervalSeconds: 1.5, targets: [{ address: 'h:1', service: 's' }] }, 'scrape interval must be a whole number of seconds ≥ 1, got 1.5'],
    [{ jobName: 'con veyor', scrapeIntervalSeconds: 1, targets: [{ address: 'h:1', service: 's' }] }, 'job name "con veyor" is not a plain identifier'],
    [{ jobName: 'conveyor', scrapeIntervalSeconds: 1, targets: [] }, 'a scrape job needs at least one target'],
  ])('%j is refused: %s', (options, message) => {
    expect(() => renderPrometheusConfig(options)).toThrow(new ScrapeConfigError(message));
  });
});
