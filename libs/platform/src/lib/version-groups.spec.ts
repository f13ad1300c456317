import type { StageVersion } from '@conveyor/contracts';
import {
  EMPTY_HISTOGRAM,
  formatPartitions,
  formatRate,
  formatSeconds,
  groupByVersion,
  histogramQuantile,
  mergeHistograms,
  parseMetricsText,
  processMetrics,
  versionKey,
  type Histogram,
  type ProcessMetrics,
  type ProcessStatus,
} from './version-groups';

const TOPIC = 'ocr.requests';

/** A cumulative histogram from per-bucket (non-cumulative) counts over the stage buckets used here. */
function histogram(perBucket: Record<string, number>, sum: number): Histogram {
  let running = 0;
  const buckets = Object.entries(perBucket)
    .map(([le, n]) => ({ le: le === '+Inf' ? Infinity : Number(le), n }))
    .sort((a, b) => a.le - b.le)
    .map(({ le, n }) => ({ le, count: (running += n) }));
  return { buckets, sum, count: running };
}

describe('parseMetricsText', () => {
  it('reads names, labels (escapes included) and values, skipping comments and junk', () => {
    const text = [
      '# HELP conveyor_messages_consumed_total Messages taken.',
      '# TYPE conveyor_messages_consumed_total counter',
      'conveyor_messages_consumed_total{stage="preprocess",topic="ocr.requests"} 12',
      'conveyor_stage_duration_seconds_bucket{le="+Inf",outcome="ok",topic="ocr.requests"} 3',
      'odd{msg="a \\"quoted\\" \\\\ value"} 1.5e3',
      'conveyor_up 1 1700000000000',
      'not a sample',
      '',
    ].join('\n');
    expect(parseMetricsText(text)).toEqual([
      { name: 'conveyor_messages_consumed_total', labels: { stage: 'preprocess', topic: 'ocr.requests' }, value: 12 },
      { name: 'conveyor_stage_duration_seconds_bucket', labels: { le: '+Inf', outcome: 'ok', topic: 'ocr.requests' }, value: 3 },
      { name: 'odd', labels: { msg: 'a "quoted" \\ value' }, value: 1500 },
      { name: 'conveyor_up', labels: {}, value: 1 },
    ]);
  });
});

describe('processMetrics', () => {
  it("sums a process' counters and merges its outcomes' histograms for its input topic only", () => {
    const text = `
conveyor_assigned_partition{stage="s",topic="ocr.requests",partition="3"} 1
conveyor_assigned_partition{stage="s",topic="ocr.requests",partition="1"} 1
conveyor_assigned_partition{stage="s",topic="other",partition="0"} 1
conveyor_messages_consumed_total{stage="s",topic="ocr.requests"} 10
conveyor_messages_consumed_total{stage="s",topic="other"} 99
conveyor_messages_failed_total{stage="s",topic="ocr.requests",code="REDIS_DOWN"} 3
conveyor_messages_failed_total{stage="s",topic="ocr.requests",code="IMAGE_TOO_LARGE"} 1
conveyor_messages_dead_lettered_total{stage="s",topic="ocr.requests",code="IMAGE_TOO_LARGE"} 1
conveyor_stage_duration_seconds_bucket{le="0.1",outcome="ok",topic="ocr.requests"} 8
conveyor_stage_duration_seconds_bucket{le="1",outcome="ok",topic="ocr.requests"} 9
conveyor_stage_duration_seconds_bucket{le="+Inf",outcome="ok",topic="ocr.requests"} 9
conveyor_stage_duration_seconds_sum{outcome="ok",topic="ocr.requests"} 1
conveyor_stage_duration_seconds_count{outcome="ok",topic="ocr.requests"} 9
conveyor_stage_duration_seconds_bucket{le="0.1",outcome="dead-lettered",topic="ocr.requests"} 1
conveyor_stage_duration_seconds_bucket{le="1",outcome="dead-lettered",topic="ocr.requests"} 1
conveyor_stage_duration_seconds_bucket{le="+Inf",outcome="dead-lettered",topic="ocr.requests"} 1
conveyor_stage_duration_seconds_sum{outcome="dead-lettered",topic="ocr.requests"} 0.25
conveyor_stage_duration_seconds_count{outcome="dead-lettered",topic="ocr.requests"} 1
`;
    expect(processMetrics(parseMetricsText(text), TOPIC)).toEqual({
      partitions: [1, 3],
      consumed: 10,
      failed: 4,
      deadLettered: 1,
      duration: {
        buckets: [
          { le: 0.1, count: 9 },
          { le: 1, count: 10 },
          { le: Infinity, count: 10 },
        ],
        sum: 1.25,
        count: 10,
      },
    });
  });

  it('is all zeros for a process that has not consumed or joined yet', () => {
    expect(processMetrics([], TOPIC)).toEqual({ partitions: [], consumed: 0, failed: 0, deadLettered: 0, duration: EMPTY_HISTOGRAM });
  });
});

describe('histogramQuantile', () => {
  const cases: Array<[string, number, Histogram, number | null]> = [
    ['no observations', 0.5, EMPTY_HISTOGRAM, null],
    ['all in the first bucket: linear from 0', 0.5, histogram({ '0.1': 4, '1': 0, '+Inf': 0 }, 0.2), 0.05],
    ['rank inside the second bucket', 0.5, histogram({ '0.1': 2, '1': 2, '+Inf': 0 }, 1), 0.1],
    ['p95 inside the second bucket', 0.95, histogram({ '0.1': 10, '1': 10, '+Inf': 0 }, 5), 0.1 + 0.9 * ((19 - 10) / 10)],
    ['rank in the +Inf bucket: the highest finite bound', 0.95, histogram({ '0.1': 1, '1': 1, '+Inf': 8 }, 50), 1],
    ['p50 exactly at a bucket edge', 0.5, histogram({ '0.1': 5, '1': 5, '+Inf': 0 }, 3), 0.1],
    ['empty buckets before the rank are skipped', 0.5, histogram({ '0.1': 0, '1': 0, '10': 4, '+Inf': 0 }, 20), 5.5],
  ];
  it.each(cases)('%s', (_name, q, h, expected) => {
    const got = histogramQuantile(q, h);
    if (expected === null) expect(got).toBeNull();
    else expect(got).toBeCloseTo(expected, 10);
  });
});

describe('mergeHistograms', () => {
  it('adds buckets by bound, sums and counts', () => {
    const a = histogram({ '0.1': 1, '1': 1, '+Inf': 0 }, 0.6);
    const b = histogram({ '0.1': 0, '1': 2, '+Inf': 1 }, 9);
    expect(mergeHistograms([a, b])).toEqual({
      buckets: [
        { le: 0.1, count: 1 },
        { le: 1, count: 4 },
        { le: Infinity, count: 5 },
      ],
      sum: 9.6,
      count: 5,
    });
    expect(mergeHistograms([])).toEqual(EMPTY_HISTOGRAM);
  });
});

describe('groupByVersion', () => {
  const version = (configHash: string, models: StageVersion['models'] = []): StageVersion => ({ stage: 'inference', version: '0.1.0', configHash, models });
  const metrics = (partitions: number[], consumed: number, failed: number, deadLettered: number, duration: Histogram = EMPTY_HISTOGRAM): ProcessMetrics => ({
    partitions,
    consumed,
    failed,
    deadLettered,
    duration,
  });
  const proc = (name: string, versions: StageVersion | undefined, m: ProcessMetrics | undefined, canary = false): ProcessStatus => ({
    name,
    url: `http://127.0.0.1/${name}`,
    canary,
    ready: versions ? true : undefined,
    versions,
    metrics: m,
  });
  const live = version('a'.repeat(64), [{ name: 'rec.onnx', sha256: '1'.repeat(64) }]);
  const newModel = version('a'.repeat(64), [{ name: 'rec.onnx', sha256: '2'.repeat(64) }]);
  const newConfig = version('b'.repeat(64), [{ name: 'rec.onnx', sha256: '1'.repeat(64) }]);

  type Row = [string, ProcessStatus[], Array<Record<string, unknown>>];
  const cases: Row[] = [
    ['no processes: no groups', [], []],
    [
      'two live replicas and a canary with another config: two groups, live first, numbers added per group',
      [
        proc('ocr-inference', live, metrics([0, 1], 30, 2, 1, histogram({ '0.1': 10, '1': 20, '+Inf': 0 }, 12))),
        proc('ocr-inference-canary', newConfig, metrics([3], 10, 2, 2, histogram({ '0.1': 0, '1': 10, '+Inf': 0 }, 8)), true),
        proc('ocr-inference-2', live, metrics([2], 10, 0, 0, histogram({ '0.1': 10, '1': 0, '+Inf': 0 }, 0.5))),
      ],
      [
        {
          configHash: 'a'.repeat(64),
          replicas: 2,
          processes: ['ocr-inference', 'ocr-inference-2'],
          canary: false,
          partitions: [0, 1, 2],
          consumed: 40,
          errors: 1,
          errorRate: 1 / 40,
          retries: 1,
          latency: { mean: 12.5 / 40, p50: 0.1, p95: 0.1 + 0.9 * ((38 - 20) / 20) },
        },
        {
          configHash: 'b'.repeat(64),
          replicas: 1,
          processes: ['ocr-inference-canary'],
          canary: true,
          partitions: [3],
          consumed: 10,
          errors: 2,
          errorRate: 0.2,
          retries: 0,
          latency: { mean: 0.8, p50: 0.55, p95: 0.1 + 0.9 * 0.95 },
        },
      ],
    ],
    [
      'same config, another model file: another version',
      [proc('a', live, metrics([0], 1, 0, 0)), proc('b', newModel, metrics([1], 0, 0, 0), true)],
      [
        { replicas: 1, partitions: [0], consumed: 1, errorRate: 0, latency: { mean: null, p50: null, p95: null } },
        { replicas: 1, partitions: [1], consumed: 0, errorRate: null, canary: true },
      ],
    ],
    [
      'processes that did not answer: one "?" group, counted as replicas with no numbers',
      [proc('x', undefined, undefined), proc('y', undefined, undefined)],
      [{ key: '?', version: undefined, configHash: undefined, models: undefined, replicas: 2, partitions: [], consumed: 0, errors: 0, errorRate: null, retries: 0 }],
    ],
    [
      'a process whose /metrics did not answer still counts as a replica of its version',
      [proc('a', live, metrics([0, 1], 4, 0, 0)), proc('b', live, undefined)],
      [{ replicas: 2, processes: ['a', 'b'], partitions: [0, 1], consumed: 4 }],
    ],
  ];
  it.each(cases)('%s', (_name, processes, expected) => {
    const groups = groupByVersion(processes);
    expect(groups).toHaveLength(expected.length);
    groups.forEach((g, i) => {
      const { latency, ...rest } = expected[i] as { latency?: Record<string, number | null> };
      expect(g).toMatchObject(rest);
      for (const [k, v] of Object.entries(latency ?? {})) {
        const got = g.latency[k as 'mean' | 'p50' | 'p95'];
        if (v === null) expect(got).toBeNull();
        else expect(got).toBeCloseTo(v, 10);
      }
    });
  });

  it('keys a version by package version, config hash and the sorted model hashes', () => {
    const a = version('c'.repeat(64), [
      { name: 'det.onnx', sha256: 'd'.repeat(64) },
      { name: 'cls.onnx', sha256: 'e'.repeat(64) },
    ]);
    const b = { ...a, models: [...a.models].reverse() };
    expect(versionKey(a)).toBe(versionKey(b));
    expect(versionKey(undefined)).toBe('?');
    expect(versionKey({ ...a, version: '0.2.0' })).not.toBe(versionKey(a));
  });
});

describe('formatting', () => {
  it.each([
    [[], '-'],
    [[0], '0'],
    [[3, 1, 2, 0], '0-3'],
    [[0, 2, 3, 4, 7, 9, 10], '0,2-4,7,9-10'],
    [[1, 1, 2], '1-2'],
  ])('partitions %j → %s', (partitions, text) => expect(formatPartitions(partitions)).toBe(text));

  it.each([
    [null, '-'],
    [0.0004, '400us'],
    [0.0123, '12ms'],
    [1.234, '1.23s'],
  ])('seconds %p → %s', (seconds, text) => expect(formatSeconds(seconds)).toBe(text));

  it.each([
    [null, '-'],
    [0, '0.0%'],
    [0.025, '2.5%'],
    [1, '100.0%'],
  ])('rate %p → %s', (rate, text) => expect(formatRate(rate)).toBe(text));
});
