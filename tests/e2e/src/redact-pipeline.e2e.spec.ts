import { resultRedisKeys } from '@conveyor/contracts';
import { characterErrorRate, generateCorpus, type Corpus } from '@conveyor/corpus';
import { OcrClient, RedactClient } from '@conveyor/ocr-client';
import { redactedImageKey, redactPipeline, type RedactResult } from '@conveyor/pipelines';
import { resultKeyPrefix } from '@conveyor/pipeline';
import type { LocalPlatform } from '@conveyor/platform';
import { deleteTopicsWithPrefix, kafkaBrokers, redisUrl, uniqueName } from '@conveyor/testing';
import Redis from 'ioredis';
import sharp from 'sharp';
import { startTestPlatform } from './test-platform.test-support';

/**
 * Two pipelines side by side on one cluster, each through its public contract:
 * the redaction pipeline (preprocess and features run again as its own stages,
 * with its own configuration, then redact) blacks out the text of rendered
 * pages; the OCR pipeline reads the originals correctly and finds no text on
 * the redacted copies.
 */
jest.setTimeout(600_000);

const PAGES = 6;

describe('redaction beside OCR (seven services, real Kafka and Redis)', () => {
  const prefix = `${uniqueName('e2e-redact')}.`;
  let platform: LocalPlatform;
  let ocr: OcrClient;
  let redact: RedactClient;
  let redis: Redis;
  let corpus: Corpus;
  const ocrIds: string[] = [];
  const redactIds: string[] = [];

  beforeAll(async () => {
    corpus = await generateCorpus({ seed: 77, count: PAGES, rotatedShare: 0 });
    platform = await startTestPlatform(prefix, {}, ['ocr', 'redact']);
    ocr = await OcrClient.connect({ brokers: kafkaBrokers(), redisUrl: redisUrl(), topicPrefix: prefix });
    redact = await RedactClient.connect({ brokers: kafkaBrokers(), redisUrl: redisUrl(), topicPrefix: prefix });
    redis = new Redis(redisUrl());
  });

  afterAll(async () => {
    await ocr?.close();
    await redact?.close();
    await platform?.stop();
    if (redis) {
      const keys = [
        ...ocrIds.flatMap((id) => resultRedisKeys(id)),
        ...redactIds.flatMap((id) => [...resultRedisKeys(id, resultKeyPrefix(redactPipeline)), redactedImageKey(id)]),
      ];
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    }
    await deleteTopicsWithPrefix(prefix);
  });

  const typeOf = (item: Corpus['items'][number]) => (item.truth.format === 'png' ? 'image/png' : 'image/jpeg');

  it('runs both pipelines as separate stage processes, namespaced per pipeline', () => {
    expect(Object.keys(platform.healthUrls).sort()).toEqual(
      ['ocr-features', 'ocr-inference', 'ocr-postprocess', 'ocr-preprocess', 'redact-detect', 'redact-preprocess', 'redact-redact'].sort(),
    );
  });

  it('blacks out every text region: OCR reads the originals and finds no text on the redacted pages', async () => {
    const redactedById = new Map<string, number>();
    for (const [i, item] of corpus.items.entries()) {
      const { id } = await redact.submit(item.data, typeOf(item));
      redactIds.push(id);
      redactedById.set(id, i);
    }
    const redactions = await redact.waitForResults(redactIds, { timeoutMs: 300_000 });
    expect(redactions.size).toBe(PAGES);

    const originals = new Map<string, number>();
    const redactedPages = new Map<string, number>();
    for (const [id, i] of redactedById) {
      const result = redactions.get(id) as Extract<RedactResult, { status: 'ok' }>;
      expect(result.status).toBe('ok');
      expect(result.regions.length).toBeGreaterThanOrEqual(corpus.items[i].truth.lines.length);
      expect(Object.keys(result.timings)).toEqual(expect.arrayContaining(['preprocess', 'detect', 'redact']));
      const png = await redact.blob(result.image.redisKey);
      expect(png).toBeDefined();
      const meta = await sharp(png!).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['png', result.image.width, result.image.height]);

      const original = await ocr.submit(corpus.items[i].data, typeOf(corpus.items[i]));
      const redacted = await ocr.submit(png!, 'image/png');
      ocrIds.push(original.id, redacted.id);
      originals.set(original.id, i);
      redactedPages.set(redacted.id, i);
    }
    const read = await ocr.waitForResults(ocrIds, { timeoutMs: 300_000 });
    expect(read.size).toBe(ocrIds.length);
    for (const [id, i] of originals) {
      const result = read.get(id)!;
      expect(result.status).toBe('ok');
      expect(characterErrorRate(result.lines.map((l) => l.text), corpus.items[i].truth.lines)).toBeLessThan(0.1);
    }
    for (const id of redactedPages.keys()) {
      const result = read.get(id)!;
      expect(result.status).toBe('ok');
      expect(result.lines.map((l) => l.text)).toEqual([]);
    }
  });

  it('answers a bad redaction request with a failed result of the redaction schema', async () => {
    const { id } = await redact.submit(Buffer.from('not an image at all'), 'image/png');
    redactIds.push(id);
    const result = (await redact.waitForResults([id], { timeoutMs: 120_000 })).get(id)!;
    expect(result).toMatchObject({ schema: 'conveyor.redact.result.v1', status: 'failed', regions: [], error: { stage: 'preprocess' } });
    // The OCR pipeline's result key for the same id stays empty: the pipelines share nothing but the cluster.
    expect(await redis.get(resultRedisKeys(id)[0])).toBeNull();
  });
});
