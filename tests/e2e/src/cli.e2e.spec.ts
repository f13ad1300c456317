import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resultRedisKeys } from '@conveyor/contracts';
import { resultKeyPrefix } from '@conveyor/pipeline';
import { ocrPipeline, redactedImageKey, redactPipeline } from '@conveyor/pipelines';
import { characterErrorRate } from '@conveyor/corpus';
import { assertPortFree, findFreePort, findWorkspaceRoot } from '@conveyor/kafka-local';
import { deleteTopicsWithPrefix, kafkaBrokers, redisUrl, uniqueName } from '@conveyor/testing';
import Redis from 'ioredis';
import sharp from 'sharp';

/**
 * The README's flow, as a newcomer runs it: `conveyor up` starts the platform
 * (here against the test run's Kafka), `conveyor ocr samples/` reads the sample
 * images, and SIGTERM stops everything `up` started.
 */
jest.setTimeout(600_000);

const root = findWorkspaceRoot();
const bin = join(root, 'bin', 'conveyor.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function conveyor(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids of the processes whose parent is `pid` (Linux /proc). */
function childPids(pid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]?.split(' ')[1] === String(pid);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('conveyor CLI (up, ocr) as the README describes', () => {
  const prefix = `${uniqueName('cli')}.`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KAFKA_BROKERS: kafkaBrokers().join(','),
    REDIS_URL: redisUrl(),
    TOPIC_PREFIX: prefix,
    CONVEYOR_PARTITIONS: '2',
    LOG_LEVEL: 'warn',
    CLAIM_TTL_SECONDS: '600', // claim-checked pages of this run expire soon after it
  };
  let up: ChildProcess;
  let upOutput = '';
  let stagePids: number[] = [];
  let httpBasePort = 0;
  const annotateDir = mkdtempSync(join(tmpdir(), 'conveyor-annotate-'));
  const redactDir = mkdtempSync(join(tmpdir(), 'conveyor-redact-'));
  const truth = JSON.parse(readFileSync(join(root, 'samples', 'truth.json'), 'utf8')) as {
    items: Array<{ file: string; lines: string[] }>;
  };

  beforeAll(async () => {
    // The stages take consecutive health ports from a free one (`conveyor status` finds them the same way).
    // Every port of the run (base … base + processes − 1) must be free, not just the first.
    const processes = ocrPipeline.stages.length + redactPipeline.stages.length;
    for (;;) {
      httpBasePort = await findFreePort();
      const ports = Array.from({ length: processes }, (_, i) => httpBasePort + i);
      if ((await Promise.all(ports.map((p) => assertPortFree('0.0.0.0', p).then(() => true, () => false)))).every(Boolean)) break;
    }
    up = spawn(process.execPath, [bin, 'up', '--http-base-port', String(httpBasePort)], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    up.stdout?.on('data', (d: Buffer) => (upOutput += d.toString()));
    up.stderr?.on('data', (d: Buffer) => (upOutput += d.toString()));
    const deadline = Date.now() + 300_000;
    while (!upOutput.includes('conveyor is ready')) {
      if (up.exitCode !== null || Date.now() > deadline) throw new Error(`conveyor up did not get ready:\n${upOutput}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    stagePids = childPids(up.pid as number);
  });

  afterAll(async () => {
    if (up && up.exitCode === null) up.kill('SIGKILL');
    rmSync(annotateDir, { recursive: true, force: true });
    rmSync(redactDir, { recursive: true, force: true });
    await deleteTopicsWithPrefix(prefix);
  });

  it('started every stage of both pipelines as a separate process', () => {
    expect(stagePids).toHaveLength(ocrPipeline.stages.length + redactPipeline.stages.length);
  });

  it('redacts the sample images into --out', async () => {
    const run = await conveyor(['redact', 'samples/', '--out', redactDir, '--json'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const results = JSON.parse(run.stdout) as Array<{ id: string; status: string; regions: unknown[] }>;
    const redis = new Redis(redisUrl());
    try {
      await redis.del(...results.flatMap((r) => [...resultRedisKeys(r.id, resultKeyPrefix(redactPipeline)), redactedImageKey(r.id)]));
    } finally {
      redis.disconnect();
    }
    expect(results.every((r) => r.status === 'ok' && r.regions.length > 0)).toBe(true);
    const written = readdirSync(redactDir).sort();
    expect(written).toEqual(truth.items.map((i) => `${i.file.replace(/\.[a-z]+$/, '')}.redacted.png`).sort());
    for (const file of written) expect(readFileSync(join(redactDir, file)).subarray(1, 4).toString()).toBe('PNG');
  });

  it('reads the sample images: text per image, --json and --annotate', async () => {
    const run = await conveyor(['ocr', 'samples/', '--json', '--annotate', annotateDir, '--no-progress'], env);
    expect(run.stderr).not.toContain('failed');
    expect(run.code).toBe(0);
    const results = JSON.parse(run.stdout) as Array<{ file: string; id: string; status: string; lines: Array<{ text: string }> }>;
    expect(results).toHaveLength(truth.items.length);
    const redis = new Redis(redisUrl());
    try {
      for (const result of results) {
        const expected = truth.items.find((i) => result.file.endsWith(i.file))!;
        expect(result.status).toBe('ok');
        expect(characterErrorRate(result.lines.map((l) => l.text), expected.lines)).toBeLessThan(0.05);
        await redis.del(...resultRedisKeys(result.id));
      }
    } finally {
      redis.disconnect();
    }
    const annotated = readdirSync(annotateDir);
    expect(annotated).toHaveLength(truth.items.length);
    const meta = await sharp(join(annotateDir, annotated[0])).metadata();
    expect(meta.format).toBe('png');

    const plain = await conveyor(['ocr', 'samples/s208-0000.png'], env);
    expect(plain.code).toBe(0);
    expect(plain.stdout.trim().split('\n')).toEqual(truth.items.find((i) => i.file === 's208-0000.png')!.lines);
  });

  it('exit codes tell partial failure, usage errors and an unreachable platform apart', async () => {
    const bogus = join(annotateDir, 'not-an-image.png');
    writeFileSync(bogus, 'plain text, not a PNG');
    const partial = await conveyor(['ocr', bogus, 'samples/s208-0004.jpg', '--no-progress'], env);
    expect(partial.code).toBe(1);
    expect(partial.stdout).toMatch(/failed in preprocess/);

    const usage = await conveyor(['ocr', 'no/such/folder'], env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('no such file or folder');

    const unreachable = await conveyor(['ocr', 'samples/'], { ...env, REDIS_URL: 'redis://127.0.0.1:1' });
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toContain('platform unreachable');
  });

  it('status shows every stage ready with no lag once the work is done', async () => {
    const run = await conveyor(['status', '--http-base-port', String(httpBasePort), '--sample', '1', '--json'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const rows = JSON.parse(run.stdout) as Array<{ pipeline: string; stage: string; ready: boolean; lag: number; versionGroups: Array<{ replicas: number; partitions: number[] }> }>;
    expect(rows.map((r) => [r.pipeline, r.stage, r.ready, r.lag])).toEqual([
      ['ocr', 'preprocess', true, 0],
      ['ocr', 'features', true, 0],
      ['ocr', 'inference', true, 0],
      ['ocr', 'postprocess', true, 0],
      ['redact', 'preprocess', true, 0],
      ['redact', 'detect', true, 0],
      ['redact', 'redact', true, 0],
    ]);
    // One version per stage, one process owning both partitions of its input topic (CONVEYOR_PARTITIONS=2).
    expect(rows.map((r) => r.versionGroups.map((g) => [g.replicas, g.partitions]))).toEqual(rows.map(() => [[1, [0, 1]]]));
    const table = await conveyor(['status', '--http-base-port', String(httpBasePort), '--sample', '1', '--pipeline', 'redact'], env);
    const [stages, versions] = table.stdout.split('\n\n');
    expect(stages.split('\n')[0]).toMatch(/^PIPELINE\s+STAGE\s+READY\s+LAG\s+MSG\/S\s+VERSION\s+CONFIG\s+MODELS\s+HEALTH$/);
    expect(stages.trim().split('\n')).toHaveLength(1 + redactPipeline.stages.length);
    expect(versions.split('\n')[0]).toMatch(/^PIPELINE\s+STAGE\s+VERSION\s+CONFIG\s+MODELS\s+REPLICAS\s+PARTITIONS\s+CONSUMED\s+ERRORS\s+ERR%\s+RETRIES\s+MEAN\s+P50\s+P95\s+PROCESSES$/);
    expect(versions.trim().split('\n')).toHaveLength(1 + redactPipeline.stages.length);
    expect(versions).toMatch(/ 0-1 of 2 /);
  });

  it('stops every process it started on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => up.once('exit', (code) => resolve(code)));
    up.kill('SIGTERM');
    expect(await exited).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    expect(stagePids.filter(isAlive)).toEqual([]);
  });
});
