import { buildChartSvg, niceMax } from './chart';
import { arrivalOffsetsMs, closedLoop, idleLoop, openLoop, percentile, summarize } from './load';
import { ProcSampler, parseStatCpuSeconds, parseStatTimes, parseStatusKb, type ProcSnapshot } from './proc-stats';
import { counterSum, histogramDelta, histogramOf, integerDistribution, parseSamples } from './prom-text';
import type { OpenLoopPoint } from './report';

describe('/proc parsing', () => {
  it('reads utime + stime past a command name with spaces and parentheses', () => {
    const stat = '4242 (node (stage) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 11 0 1000 12345 678';
    expect(parseStatCpuSeconds(stat)).toBe(3);
    expect(parseStatTimes(stat)).toEqual({ user: 2.5, system: 0.5 });
  });

  it('reads VmRSS and VmHWM in bytes', () => {
    const status = 'Name:\tnode\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n';
    expect(parseStatusKb(status, 'VmRSS')).toBe(1024 * 1024);
    expect(parseStatusKb(status, 'VmHWM')).toBe(2048 * 1024);
    expect(parseStatusKb('Name:\tzombie\n', 'VmRSS')).toBe(0);
  });

  it('samples CPU over a window and the highest RSS seen', () => {
    let t = 0;
    const snapshots: ProcSnapshot[] = [
      { cpuSeconds: 10, rssBytes: 100, peakRssBytes: 150 },
      { cpuSeconds: 11, rssBytes: 300, peakRssBytes: 300 },
      { cpuSeconds: 12, rssBytes: 200, peakRssBytes: 300 },
    ];
    let reads = 0;
    const sampler = new ProcSampler([{ name: 'stage', pid: 7 }, { name: 'gone', pid: undefined }], 60_000, () => snapshots[Math.min(reads++, 2)], () => t);
    sampler.start();
    t = 4000;
    (sampler as unknown as { sample(): void }).sample();
    const [usage, ...rest] = sampler.stop();
    expect(rest).toEqual([]);
    expect(usage).toEqual({ name: 'stage', pid: 7, cpuSeconds: 2, systemSeconds: 0, cores: 0.5, maxRssBytes: 300, peakRssBytes: 300 });
  });
});

describe('Prometheus text', () => {
  const before = parseSamples(
    [
      '# HELP conveyor_batch_size x',
      'conveyor_batch_size_bucket{stage="inference",topic="t",le="1"} 2',
      'conveyor_batch_size_bucket{stage="inference",topic="t",le="2"} 2',
      'conveyor_batch_size_bucket{stage="inference",topic="t",le="4"} 3',
      'conveyor_batch_size_bucket{stage="inference",topic="t",le="+Inf"} 3',
      'conveyor_batch_size_sum{stage="inference",topic="t"} 5',
      'conveyor_batch_size_count{stage="inference",topic="t"} 3',
      'conveyor_messages_consumed_total{stage="inference",topic="t"} 7',
    ].join('\n'),
  );
  const after = parseSamples(
    [
      'conveyor_batch_size_bucket{stage="inference",topic="t",le="1"} 3',
      'conveyor_batch_size_bucket{stage="inference",topic="t",le="2"} 5',
      'conveyor_batch_size_bucket{stage="inference",topic="t",le="4"} 7',
      'conveyor_batch_size_bucket{stage="inference",topic="t",le="+Inf"} 8',
      'conveyor_batch_size_sum{stage="inference",topic="t"} 25',
      'conveyor_batch_size_count{stage="inference",topic="t"} 8',
    ].join('\n'),
  );

  it('parses samples with labels', () => {
    expect(before).toHaveLength(7);
    expect(before[0]).toEqual({ name: 'conveyor_batch_size_bucket', labels: { stage: 'inference', topic: 't', le: '1' }, value: 2 });
    expect(counterSum(before, 'conveyor_messages_consumed_total')).toBe(7);
  });

  it('gives the distribution of what happened between two scrapes', () => {
    const delta = histogramDelta(histogramOf(after, 'conveyor_batch_size'), histogramOf(before, 'conveyor_batch_size'));
    expect(delta.count).toBe(5);
    expect(delta.sum).toBe(20);
    expect(integerDistribution(delta)).toEqual([
      { range: '1', count: 1 },
      { range: '2', count: 2 },
      { range: '3–4', count: 1 },
      { range: '>4', count: 1 },
    ]);
  });
});

describe('load drivers', () => {
  const fakeClock = (): { now: () => number; advance: (ms: number) => void } => {
    let t = 0;
    return { now: () => t, advance: (ms) => (t += ms) };
  };

  it('percentiles interpolate between ranks', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([5], 99)).toBe(5);
    expect(percentile([], 50)).toBeNaN();
    expect(summarize([10, 20, 30])).toMatchObject({ p50: 20, mean: 20 });
  });

  it('spaces arrivals evenly at the rate', () => {
    expect(arrivalOffsetsMs(3, 4)).toEqual([0, 250, 500]);
    expect(() => arrivalOffsetsMs(3, 0)).toThrow(RangeError);
  });

  it('closed loop starts everything at once; idle one at a time', async () => {
    const clock = fakeClock();
    let running = 0;
    let peak = 0;
    const read = async (ms: number): Promise<string[]> => {
      running++;
      peak = Math.max(peak, running);
      await Promise.resolve();
      clock.advance(ms);
      running--;
      return [String(ms)];
    };
    const closed = await closedLoop([5, 5, 5], read, clock.now);
    expect(peak).toBe(3);
    expect(closed.completions.map((c) => c.lines)).toEqual([['5'], ['5'], ['5']]);
    peak = 0;
    const idle = await idleLoop([5, 7], read, clock.now);
    expect(peak).toBe(1);
    expect(idle.completions.map((c) => c.latencyMs)).toEqual([5, 7]);
  });

  it('open loop records failures with their latency and keeps going', async () => {
    const run = await openLoop([1, 2, 3], async (n) => {
      if (n === 2) throw new Error('failed page');
      return ['ok'];
    }, 1000);
    expect(run.completions.map((c) => c.error)).toEqual([undefined, 'failed page', undefined]);
  });
});

describe('chart', () => {
  it('rounds axes up to a nice bound', () => {
    expect(niceMax(0)).toBe(1);
    expect(niceMax(7.3)).toBe(10);
    expect(niceMax(2.1)).toBe(2.5);
    expect(niceMax(180)).toBe(200);
  });

  it('draws one line per reader in both panels, with a legend', () => {
    const point = (reader: OpenLoopPoint['reader'], offered: number, p95: number): OpenLoopPoint => ({
      reader,
      offered,
      achieved: offered * 0.9,
      latencyMs: { p50: p95 / 2, p95, p99: p95, mean: p95 / 2 },
      images: 10,
      failed: 0,
    });
    const svg = buildChartSvg([point('engine', 2, 200), point('engine', 4, 300), point('pipeline', 2, 250), point('pipeline', 4, 900)], 'A & B');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('A &amp; B');
    expect(svg.match(/<polyline/g)).toHaveLength(4);
    expect(svg).toContain('>engine<');
    expect(svg).toContain('>pipeline<');
  });
});
