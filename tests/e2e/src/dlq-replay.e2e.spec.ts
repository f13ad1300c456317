import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resultRedisKeys } from '@conveyor/contracts';
import { characterErrorRate } from '@conveyor/corpus';
import { findWorkspaceRoot } from '@conveyor/kafka-local';
import { OcrClient } from '@conveyor/ocr-client';
import { startLocalPlatform, type LocalPlatform } from '@conveyor/platform';
import { deleteTopicsWithPrefix, kafkaBrokers, redisUrl, uniqueName, waitFor } from '@conveyor/testing';
import Redis from 'ioredis';

/**
 * The dead-letter tooling on the real platform: a request fails for a reason
 * of the environment (preprocess runs with MAX_IMAGE_BYTES far too low), gets
 * its dead letter and `failed` result; the operator finds it with `conveyor
 * dlq list` and `show`, fixes the stage's configuration (restarts it with the
 * normal one) and runs `conveyor dlq replay --id`: the request is read and its
 * `ok` result replaces the failed one.
 */
jest.setTimeout(600_000);

const root = findWorkspaceRoot();

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('conveyor dlq: list, show and replay a dead letter on the real platform', () => {
  const prefix = `${uniqueName('dlq')}.`;
  const env: NodeJS.ProcessEnv = { ...process.env, KAFKA_BROKERS: kafkaBrokers().join(','), REDIS_URL: redisUrl(), TOPIC_PREFIX: prefix };
  let platform: LocalPlatform;
  let client: OcrClient;
  let redis: Redis;
  const submitted: string[] = [];

  const conveyor = (args: string[]): Promise<Run> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [join(root, 'bin', 'conveyor.js'), ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });

  beforeAll(async () => {
    platform = await startLocalPlatform({
      kafkaBrokers: kafkaBrokers().join(','),
      kafkaPort: 0,
      redisUrl: redisUrl(),
      topicPrefix: prefix,
      partitions: 2,
      pipelines: ['ocr'],
      httpBasePort: 0,
      env: { ...process.env, LOG_LEVEL: 'warn', CLAIM_TTL_SECONDS: '600' },
      // The environment is wrong at first: preprocess refuses every real image.
      stageEnv: { 'ocr-preprocess': { MAX_IMAGE_BYTES: '1000' } },
      log: () => undefined,
    });
    client = await OcrClient.connect({ brokers: kafkaBrokers(), redisUrl: redisUrl(), topicPrefix: prefix });
    redis = new Redis(redisUrl());
  });

  afterAll(async () => {
    await client?.close();
    await platform?.stop();
    if (redis) {
      const keys = submitted.flatMap((id) => resultRedisKeys(id));
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    }
    await deleteTopicsWithPrefix(prefix);
  });

  it('a request failed for a reason of the environment is read once replayed, its ok result replacing the failed one', async () => {
    const truth = JSON.parse(readFileSync(join(root, 'samples', 'truth.json'), 'utf8')) as { items: Array<{ file: string; lines: string[] }> };
    const sample = truth.items.find((i) => i.file === 's208-0000.png')!;
    const { id } = await client.submit(readFileSync(join(root, 'samples', sample.file)), 'image/png');
    submitted.push(id);
    const failed = (await client.waitForResults([id], { timeoutMs: 120_000 })).get(id);
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'IMAGE_TOO_LARGE', stage: 'preprocess' }, lines: [] });

    const listed = await conveyor(['dlq', 'list', '--pipeline', 'ocr', '--json']);
    expect(listed.code).toBe(0);
    const letters = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
    expect(letters).toEqual([
      expect.objectContaining({
        requestId: id,
        pipeline: 'ocr',
        stage: 'preprocess',
        code: 'IMAGE_TOO_LARGE',
        attempts: 1,
        origin: expect.objectContaining({ topic: `${prefix}ocr.requests` }),
        contentType: 'image/png',
        result: 'failed',
      }),
    ]);
    const table = await conveyor(['dlq', 'list', '--code', 'IMAGE_TOO_LARGE', '--since', '1h']);
    expect(table.stdout).toMatch(new RegExp(`ocr\\s+preprocess\\s+IMAGE_TOO_LARGE\\s+1\\s+${id}\\s+${prefix.replace(/\./g, '\\.')}ocr\\.requests/\\d+/\\d+\\s+failed`));
    const shown = await conveyor(['dlq', 'show', id]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/the image is \d+ bytes; the limit is 1000/);
    expect(shown.stdout).toContain(`ce_id: ${id}`);

    // The operator fixes the environment: preprocess restarted with its normal configuration.
    await platform.supervisor.stop('ocr-preprocess');
    const spec = platform.supervisor.spec('ocr-preprocess')!;
    const fixed: NodeJS.ProcessEnv = { ...spec.env };
    delete fixed['MAX_IMAGE_BYTES'];
    platform.supervisor.start({ ...spec, env: fixed });
    const ready = `${platform.healthUrls['ocr-preprocess']}/health/ready`;
    await waitFor('preprocess to be ready again', () => fetch(ready).then((r) => r.ok, () => false), 120_000);

    const replay = await conveyor(['dlq', 'replay', '--id', id]);
    expect(replay.stderr).toBe('');
    expect(replay.code).toBe(0);
    expect(replay.stdout).toContain(`replayed ${id}`);
    expect(replay.stdout).toContain('1 replayed, 0 skipped, 0 failed');

    const read = (await client.waitForResults([id], { timeoutMs: 180_000 })).get(id);
    expect(read?.status).toBe('ok');
    expect(characterErrorRate(read!.lines.map((l) => l.text), sample.lines)).toBeLessThan(0.05);

    // Replayed once is enough: a second replay leaves the ok result alone.
    const again = await conveyor(['dlq', 'replay', '--id', id]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('its request already has an ok result');
    expect((await client.result(id))?.status).toBe('ok');
    const after = JSON.parse((await conveyor(['dlq', 'list', '--json'])).stdout) as Array<Record<string, unknown>>;
    expect(after).toEqual([expect.objectContaining({ requestId: id, result: 'ok' })]);
  });
});
