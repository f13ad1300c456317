import { parseTargetsResponse, parseVectorResponse, PrometheusApiError } from './prometheus-api';

// Bodies as Prometheus 2.42 sends them (fields the parser ignores included).
const target = {
  discoveredLabels: { __address__: '127.0.0.1:8081', job: 'conveyor', service: 'preprocess' },
  labels: { instance: '127.0.0.1:8081', job: 'conveyor', service: 'preprocess' },
  scrapePool: 'conveyor',
  scrapeUrl: 'http://127.0.0.1:8081/metrics',
  globalUrl: 'http://host:8081/metrics',
  lastError: '',
  lastScrape: '2026-01-01T00:00:00Z',
  lastScrapeDuration: 0.003,
  health: 'up',
  scrapeInterval: '1s',
  scrapeTimeout: '1s',
};

describe('parseTargetsResponse', () => {
  it('returns the active targets', () => {
    expect(parseTargetsResponse({ status: 'success', data: { activeTargets: [target], droppedTargets: [] } })).toEqual([
      { scrapePool: 'conveyor', scrapeUrl: 'http://127.0.0.1:8081/metrics', labels: target.labels, health: 'up', lastError: '' },
    ]);
  });

  it.each([
    [{ status: 'error', errorType: 'unavailable', error: 'not ready' }, 'targets: Prometheus answered unavailable: not ready'],
    [{ status: 'success', data: {} }, 'targets: unexpected answer (data.activeTargets: Invalid input: expected array, received undefined)'],
    [{ status: 'success', data: { activeTargets: [{ ...target, health: 'sideways' }] } }, 'targets: unexpected answer (data.activeTargets.0.health: Invalid option: expected one of "up"|"down"|"unknown")'],
  ])('%j is refused', (body, message) => {
    expect(() => parseTargetsResponse(body)).toThrow(new PrometheusApiError(message));
  });
});

describe('parseVectorResponse', () => {
  const vector = (result: unknown) => ({ status: 'success', data: { resultType: 'vector', result } });

  it.each([
    [[], []],
    [[{ metric: { stage: 'features' }, value: [1767225600.5, '6'] }], [{ labels: { stage: 'features' }, value: 6 }]],
    [[{ metric: {}, value: [1, '2.5e-3'] }], [{ labels: {}, value: 0.0025 }]],
    [[{ metric: {}, value: [1, '+Inf'] }], [{ labels: {}, value: Infinity }]],
    [[{ metric: {}, value: [1, '-Inf'] }], [{ labels: {}, value: -Infinity }]],
    [[{ metric: {}, value: [1, 'NaN'] }], [{ labels: {}, value: NaN }]],
  ])('%j → %j', (result, expected) => {
    expect(parseVectorResponse(vector(result))).toEqual(expected);
  });

  it.each([
    [{ status: 'error', errorType: 'bad_data', error: 'invalid parameter "query"' }, 'query: Prometheus answered bad_data: invalid parameter "query"'],
    [{ status: 'error' }, 'query: Prometheus answered error: (no message)'],
    [{ status: 'success', data: { resultType: 'matrix', result: [] } }, 'query: unexpected answer (data.resultType: Invalid input: expected "vector")'],
    [vector([{ metric: {}, value: [1, 'six'] }]), 'query: sample value "six" is not a number'],
    [vector([{ metric: {}, value: [1, ''] }]), 'query: sample value "" is not a number'],
    ['<html>', 'query: unexpected answer ((root): Invalid input: expected object, received string)'],
  ])('%j is refused', (body, message) => {
    expect(() => parseVectorResponse(body)).toThrow(new PrometheusApiError(message));
  });
});
