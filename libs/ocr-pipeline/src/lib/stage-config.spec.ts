import { ConfigError } from '@conveyor/config';
import { loadOcrStageConfig } from './stage-config';

describe('loadOcrStageConfig', () => {
  it('applies defaults per stage', () => {
    const { settings, options } = loadOcrStageConfig('inference', {});
    expect(settings).toMatchObject({
      stage: 'inference',
      brokers: ['127.0.0.1:9092'],
      clientId: 'conveyor-inference',
      redisUrl: 'redis://127.0.0.1:6379',
      httpPort: 8083,
      topicPrefix: '',
      batch: { maxSize: 8, maxWaitMs: 10 },
    });
    expect(options).toMatchObject({ executionProviders: ['cpu'], intraOpThreads: 1, recognitionBatchSize: 1, minConfidence: 0.5 });
    expect(loadOcrStageConfig('preprocess', {}).settings).toMatchObject({ httpPort: 8081, batch: { maxSize: 1 } });
  });

  it('reads overrides', () => {
    const { settings, options } = loadOcrStageConfig('inference', {
      KAFKA_BROKERS: 'a:1,b:2',
      ORT_EXECUTION_PROVIDERS: 'cuda,cpu',
      BATCH_MAX_SIZE: '32',
      BATCH_MAX_WAIT_MS: '5',
      REC_BATCH_SIZE: '16',
      MIN_CONFIDENCE: '0.25',
    });
    expect(settings.brokers).toEqual(['a:1', 'b:2']);
    expect(settings.batch).toEqual({ maxSize: 32, maxWaitMs: 5 });
    expect(options).toMatchObject({ executionProviders: ['cuda', 'cpu'], recognitionBatchSize: 16, minConfidence: 0.25 });
  });

  it.each([
    { env: { KAFKA_BROKERS: 'localhost' }, variable: 'KAFKA_BROKERS' },
    { env: { REDIS_URL: 'http://x' }, variable: 'REDIS_URL' },
    { env: { ORT_EXECUTION_PROVIDERS: 'tpu' }, variable: 'ORT_EXECUTION_PROVIDERS' },
    { env: { MIN_CONFIDENCE: '1.5' }, variable: 'MIN_CONFIDENCE' },
    { env: { OCR_MODEL_DIR: '/no/such/dir' }, variable: 'OCR_MODEL_DIR' },
  ])('names the variable in error: $variable', ({ env, variable }) => {
    expect(() => loadOcrStageConfig('features', env)).toThrow(ConfigError);
    expect(() => loadOcrStageConfig('features', env)).toThrow(new RegExp(`${variable}: .*\\(got `));
  });

  it('lists every problem at once', () => {
    expect(() => loadOcrStageConfig('features', { HTTP_PORT: '70000', MAX_IN_FLIGHT: 'lots' })).toThrow(/HTTP_PORT[\s\S]*MAX_IN_FLIGHT/);
  });
});
