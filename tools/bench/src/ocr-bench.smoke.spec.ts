import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findWorkspaceRoot } from '@conveyor/kafka-local';
import type { Report } from './report';

/**
 * The benchmark end to end on a tiny corpus: every reader (the two peers, the
 * engine, the pipeline over the test run's Kafka and Redis), every section of
 * the report, the chart. It checks that the figures are there and consistent,
 * never how fast anything was: the machines are shared.
 */
jest.setTimeout(900_000);

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const root = findWorkspaceRoot();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', join(root, 'tools/bench/src/ocr-bench.ts'), ...args], {
      cwd: root,
      env: { ...process.env, SWC_NODE_PROJECT: join(root, 'tsconfig.base.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('ocr-bench smoke run', () => {
  let out: string;
  beforeAll(() => (out = mkdtempSync(join(tmpdir(), 'ocr-bench-'))));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('measures every reader and writes the report and the chart', async () => {
    const run = await runBench([
      '--count', '3', '--workers', '1', '--rounds', '1', '--idle-images', '1', '--loads', '1', '--load-images', '2',
      '--readers', 'peer,engine,tesseract,pipeline', '--out', out, '--json', '--timeout', '600',
    ]);
    if (run.code !== 0) throw new Error(`the bench exited ${run.code}:\n${run.stderr.slice(-5000)}`);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
    expect(JSON.parse(run.stdout)).toEqual(report);

    expect(report.rows.map((r) => r.reader)).toEqual(['peer', 'engine', 'tesseract', 'pipeline']);
    for (const row of report.rows) {
      expect(row.images).toBe(3);
      expect(row.imagesPerSecond).toBeGreaterThan(0);
      expect(row.cer.overall).toBeGreaterThanOrEqual(0);
      expect(row.failed + row.lost).toBe(0);
    }
    const byReader = Object.fromEntries(report.rows.map((r) => [r.reader, r]));
    // The stages share every step with the engine, so they read the same text.
    expect(byReader['pipeline'].cer).toEqual(byReader['engine'].cer);
    expect(byReader['pipeline'].vsEngine.imagesPerSecond).not.toBeNull();
    expect(byReader['engine'].vsPeer.imagesPerSecond).not.toBeNull();

    // CPU and memory of each process: one worker per in-process reader; the stages, Kafka, Redis and the producer.
    const processes = Object.fromEntries(report.processes.map((p) => [p.reader, p.usage]));
    expect(processes['engine']).toHaveLength(1);
    expect(processes['pipeline'].map((u) => u.name)).toEqual(expect.arrayContaining(['ocr-preprocess', 'ocr-features', 'ocr-inference', 'ocr-postprocess', 'bench (producer)']));
    for (const usage of Object.values(processes).flat()) {
      expect(usage.maxRssBytes).toBeGreaterThan(0);
      expect(usage.cpuSeconds).toBeGreaterThanOrEqual(0);
    }

    expect(report.latency.idle.map((l) => l.reader)).toEqual(['peer', 'engine', 'tesseract', 'pipeline']);
    expect(report.latency.openLoop).toHaveLength(4);
    for (const point of report.latency.openLoop) expect(point.latencyMs.p95).toBeGreaterThan(0);

    // Batch sizes from the inference stage's /metrics, bytes per hop read back from the topics.
    expect(report.pipeline?.batchSizes.map((b) => b.stage)).toContain('ocr-inference');
    const activity = Object.fromEntries((report.pipeline?.activity ?? []).map((a) => [a.stage, a]));
    expect(activity['ocr-inference'].messages).toBeGreaterThanOrEqual(3);
    expect(activity['ocr-inference'].modelBusy).toBeGreaterThan(0);
    expect(activity['ocr-postprocess'].modelBusy).toBeNull();
    const hops = report.pipeline?.hopBytes ?? [];
    expect(hops.map((h) => h.topic.replace(/^.*?ocr\./, 'ocr.'))).toEqual(['ocr.requests', 'ocr.preprocessed', 'ocr.regions', 'ocr.recognized', 'ocr.results']);
    for (const hop of hops) expect(hop.messages).toBeGreaterThanOrEqual(3);

    expect(report.chart).toBe(join(out, 'chart.png'));
    expect(existsSync(join(out, 'chart.png'))).toBe(true);
    expect(readFileSync(join(out, 'chart.png')).subarray(1, 4).toString()).toBe('PNG');
  });
});
