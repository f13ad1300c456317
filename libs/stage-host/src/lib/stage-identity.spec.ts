import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { positiveInt, pathVar } from '@conveyor/config';
import { definePipeline } from '@conveyor/pipeline';
import { StageMetrics } from '@conveyor/observability';
import { defineStage } from './define-stage';
import { loadStageConfig } from './load-stage-config';
import { StageIdentity, stageConfigHash, stagePackageVersion } from './stage-identity';

class Handler {}
const detector = defineStage({
  app: 'detector',
  handler: Handler,
  config: {
    DETECT_SIDE: positiveInt().prefault('960').describe('Longest side of the detection input.'),
    MODEL_DIR: pathVar({ mustExist: 'directory' }).optional().describe('Where the models are.'),
  },
  unhashedConfig: ['MODEL_DIR'],
});
const pipelines = [
  definePipeline({
    name: 'ocr',
    description: 'ocr',
    topics: { requests: {}, results: {} },
    input: { topic: 'requests', eventType: 'conveyor.ocr.request.v1', contentTypes: ['image/png'] },
    output: { topic: 'results', resultSchema: 'conveyor.ocr.result.v1', failedFields: {} },
    stages: [{ name: 'detect', app: 'detector', input: 'requests', output: 'results', maxInFlight: 3 }],
  }),
];
const hashOf = (env: Record<string, string>) => loadStageConfig(detector, pipelines, env).identity.configHash;

describe('the configuration hash', () => {
  const base = hashOf({});

  it.each([
    ['Kafka brokers', { KAFKA_BROKERS: '10.0.0.1:9092,10.0.0.2:9092' }],
    ['the Redis address', { REDIS_URL: 'redis://:secret@redis.prod:6379' }],
    ['the HTTP port and host', { HTTP_PORT: '9999', HTTP_HOST: '127.0.0.1' }],
    ['the client id, log level and topic prefix', { KAFKA_CLIENT_ID: 'other', LOG_LEVEL: 'debug', TOPIC_PREFIX: 'test.' }],
    ['PIPELINE and STAGE named explicitly', { PIPELINE: 'ocr', STAGE: 'detect' }],
    ['an unhashed stage variable (a model directory)', { MODEL_DIR: tmpdir() }],
    ['a value equal to the default, given explicitly', { DETECT_SIDE: '960', MAX_IN_FLIGHT: '3' }],
    ['unrelated environment variables', { HOME: '/elsewhere', OTEL_SERVICE_NAME: 'x' }],
  ])('ignores %s', (_name, env) => {
    expect(hashOf(env)).toBe(base);
  });

  it.each([
    ['a stage variable', { DETECT_SIDE: '1280' }],
    ['a runtime setting', { MAX_IN_FLIGHT: '4' }],
    ['the retry policy', { RETRY_MAX_ATTEMPTS: '5' }],
    ['the batch settings', { BATCH_MAX_SIZE: '8' }],
  ])('changes with %s', (_name, env) => {
    expect(hashOf(env)).not.toBe(base);
  });

  it('is a full SHA-256 hex and does not depend on key order or secret-looking names', () => {
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(stageConfigHash({ A: 1, B: [1, 2] })).toBe(stageConfigHash({ B: [1, 2], A: 1 }));
    expect(stageConfigHash({ A: 1, DB_PASSWORD: 'x', API_TOKEN: 'y', CACHE_URL: 'z', OTHER_PORT: 1 })).toBe(stageConfigHash({ A: 1 }));
  });
});

describe('the package version', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'conveyor-version-'));
    mkdirSync(join(dir, 'dist', 'libs', 'x'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'package.json'), JSON.stringify({ name: 'conveyor-x', version: '1.4.0' }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['CONVEYOR_VERSION wins', { CONVEYOR_VERSION: '2.0.0+abc123' }, () => join(dir, 'dist', 'libs', 'x'), '2.0.0+abc123'],
    ['else the nearest package.json above', {}, () => join(dir, 'dist', 'libs', 'x'), '1.4.0'],
    ['a blank CONVEYOR_VERSION counts as unset', { CONVEYOR_VERSION: ' ' }, () => join(dir, 'dist'), '1.4.0'],
  ])('%s', (_name, env, from, expected) => {
    expect(stagePackageVersion(env, from())).toBe(expected);
  });

  it("is the repository's version in a checkout", () => {
    const root = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', '..', 'package.json'), 'utf8')) as { version: string };
    expect(stagePackageVersion({})).toBe(root.version);
  });
});

describe('StageIdentity', () => {
  it('hashes model files, shortens hashes in its entry and reports them as conveyor_stage_info', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'conveyor-models-'));
    try {
      const det = join(dir, 'det.onnx');
      const rec = join(dir, 'rec.onnx');
      writeFileSync(det, Buffer.alloc(3 * 1024 * 1024, 7));
      writeFileSync(rec, 'recognizer');
      const sha = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
      const identity = new StageIdentity('ocr', 'features', '0.1.0', 'f'.repeat(64));
      const metrics = new StageMetrics('features');
      identity.onChange((report) => metrics.setStageInfo(report));
      expect(identity.entry()).toEqual({ stage: 'features', version: '0.1.0', configHash: 'ffffffffffff', models: [] });
      expect(await metrics.text()).toContain('conveyor_stage_info{pipeline="ocr",version="0.1.0",config_hash="ffffffffffff",model="",model_sha256="",stage="features"} 1');

      await identity.addModelFiles([det, rec]);
      const detSha = sha(Buffer.alloc(3 * 1024 * 1024, 7));
      expect(identity.report().models).toEqual([{ name: 'det.onnx', sha256: detSha }, { name: 'rec.onnx', sha256: sha('recognizer') }]);
      expect(identity.entry().models).toEqual([{ name: 'det.onnx', sha256: detSha.slice(0, 12) }, { name: 'rec.onnx', sha256: sha('recognizer').slice(0, 12) }]);
      const text = await metrics.text();
      expect(text).not.toContain('model="",model_sha256');
      expect(text).toContain(`model="det.onnx",model_sha256="${detSha}",stage="features"} 1`);
      expect(text).toContain(`model="rec.onnx",model_sha256="${sha('recognizer')}",stage="features"} 1`);
      metrics.registry.clear();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
