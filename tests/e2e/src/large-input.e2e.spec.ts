import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resultRedisKeys } from '@conveyor/contracts';
import { characterErrorRate } from '@conveyor/corpus';
import { ImageTooLargeError, OcrClient, runOcrCommand, TopicRefusedImageError } from '@conveyor/ocr-client';
import { ocrPipeline, type OcrResult } from '@conveyor/pipelines';
import type { LocalPlatform } from '@conveyor/platform';
import { createTopics, deleteTopicsWithPrefix, kafkaBrokers, redisUrl, uniqueName, withAdmin, withRedis } from '@conveyor/testing';
import { LARGE_PAGE_LINES, renderLargeNoisyPage } from './large-page.test-support';
import { startTestPlatform } from './test-platform.test-support';

/**
 * Inputs up to the documented limit (MAX_IMAGE_BYTES, 20 MiB), through the
 * real launcher: the request topic is left over from an "older run" with
 * Kafka's default 1 MiB limit, the launcher aligns it with the definition, and
 * `conveyor ocr` reads a > 8 MB PNG.
 */
jest.setTimeout(600_000);

const MiB = 1024 * 1024;

describe('large inputs end to end', () => {
  const prefix = `${uniqueName('large')}.`;
  const requests = `${prefix}ocr.requests`;
  const launcherLines: string[] = [];
  const ids: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'conveyor-large-'));
  let platform: LocalPlatform | undefined;

  beforeAll(async () => {
    // An older run's input topic, created before the definition set max.message.bytes.
    await withAdmin((admin) => createTopics(admin, [{ topic: requests, numPartitions: 2 }]));
    platform = await startTestPlatform(prefix, {}, ['ocr'], (line) => launcherLines.push(line));
  });

  afterAll(async () => {
    await platform?.stop();
    if (ids.length) await withRedis((redis) => redis.del(...ids.flatMap((id) => resultRedisKeys(id))));
    await deleteTopicsWithPrefix(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('aligns the existing request topic with the definition, and says so', () => {
    const limit = ocrPipeline.topics['requests'].config!['max.message.bytes'];
    expect(launcherLines).toContainEqual(expect.stringMatching(new RegExp(`^topic ${requests.replace(/\./g, '\\.')} altered to match its pipeline definition: max\\.message\\.bytes \\d+ -> ${limit}$`)));
  });

  it('conveyor ocr reads a PNG of more than 8 MB', async () => {
    const png = await renderLargeNoisyPage();
    expect(png.length).toBeGreaterThan(8 * MiB);
    const file = join(dir, 'large-page.png');
    writeFileSync(file, png);

    let out = '';
    const errors: string[] = [];
    const code = await runOcrCommand({
      paths: [file],
      brokers: kafkaBrokers(),
      redisUrl: redisUrl(),
      topicPrefix: prefix,
      json: true,
      timeoutMs: 300_000,
      progress: false,
      out: (t) => (out += t),
      err: (t) => errors.push(t),
    });
    const [row] = JSON.parse(out) as Array<OcrResult & { file: string }>;
    ids.push(row.id);
    expect({ code, errors }).toEqual({ code: 0, errors: [] });
    expect(row.status).toBe('ok');
    expect(characterErrorRate(row.status === 'ok' ? row.lines.map((l) => l.text) : [], LARGE_PAGE_LINES)).toBeLessThan(0.1);
  });

  it('the client refuses an image over MAX_IMAGE_BYTES before sending, and names a topic that refuses what the definition allows', async () => {
    const client = await OcrClient.connect({ brokers: kafkaBrokers(), redisUrl: redisUrl(), topicPrefix: prefix });
    try {
      await expect(client.submit(Buffer.alloc(20 * MiB + 1), 'image/png')).rejects.toThrow(ImageTooLargeError);
    } finally {
      await client.close();
    }

    // A request topic that kept Kafka's default limit (nobody ran the launcher against it).
    const stalePrefix = `${uniqueName('stale')}.`;
    await withAdmin((admin) => createTopics(admin, [{ topic: `${stalePrefix}ocr.requests`, numPartitions: 1 }]));
    const stale = await OcrClient.connect({ brokers: kafkaBrokers(), redisUrl: redisUrl(), topicPrefix: stalePrefix });
    try {
      const attempt = stale.submit(Buffer.alloc(2 * MiB), 'image/png');
      await expect(attempt).rejects.toThrow(TopicRefusedImageError);
      await expect(attempt).rejects.toThrow(`Kafka refused the 2.0 MiB (2097152 bytes) image: topic ${stalePrefix}ocr.requests takes smaller messages`);
    } finally {
      await stale.close();
      await deleteTopicsWithPrefix(stalePrefix);
    }
  });
});
