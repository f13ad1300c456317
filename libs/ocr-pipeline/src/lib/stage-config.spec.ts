import { loadOcrStageConfig, StageConfigError } from './stage-config';

describe('loadOcrStageConfig', () => {
  it('applies defaults per stage', () => {
    const { settings, options } = loadOcrStageConfig('inference', {});
    expect(settings).toMatchObject({ stage: 'inference', brokers: ['127.0.0.1:9092'], redisUrl: 'redis://127.0.0.1:6379', httpPort: 8083, topicPrefix: '', batch: {} });
    expect(options).toMatchObject({ executionProviders: ['cpu'], intraOpThreads: 1, recognitionBatchSize: 1 });
    expect(loadOcrStageConfig('preprocess', {}).settings.httpPort).toBe(8081);
  });

  it('reads overrides', () => {
    const { settings, options } = loadOcrStageConfig('inference', {
      KAFKA_BROKERS: 'a:1, b:2',
      ORT_EXECUTION_PROVIDERS: 'CUDA,cpu',
      BATCH_MAX_SIZE: '32',
      BATCH_MAX_WAIT_MS: '5',
      REC_BATCH_SIZE: '16',
    });
    expect(settings.brokers).toEqual(['a:1', 'b:2']);
    expect(settings.batch).toEqual({ maxSize: 32, maxWaitMs: 5 });
    expect(options.executionProviders).toEqual(['cuda', 'cpu']);
    expect(options.recognitionBatchSize).toBe(16);
  });

  it.each([
    { env: { KAFKA_BROKERS: 'localhost' }, problem: 'KAFKA_BROKERS: must be a comma-separated list of host:port (got "localhost")' },
    { env: { REDIS_URL: 'http://x' }, problem: 'REDIS_URL: must be a redis:// or rediss:// URL (got "http://x")' },
    { env: { ORT_EXECUTION_PROVIDERS: 'tpu' }, problem: 'ORT_EXECUTION_PROVIDERS: must list providers from cuda, tensorrt, cpu (e.g. "cuda,cpu") (got "tpu")' },
    { env: { TOPIC_PREFIX: 'a b' }, problem: 'TOPIC_PREFIX: may contain only letters, digits, ".", "_" and "-" (got "a b")' },
  ])('names the variable and the problem: $problem', ({ env, problem }) => {
    expect(() => loadOcrStageConfig('features', env)).toThrow(StageConfigError);
    try {
      loadOcrStageConfig('features', env);
    } catch (error) {
      expect((error as StageConfigError).problems).toEqual([problem]);
    }
  });

  it('lists every problem at once', () => {
    try {
      loadOcrStageConfig('features', { HTTP_PORT: '70000', MAX_IN_FLIGHT: 'lots' });
      throw new Error('expected a StageConfigError');
    } catch (error) {
      expect((error as StageConfigError).problems.map((p) => p.split(':')[0])).toEqual(['HTTP_PORT', 'MAX_IN_FLIGHT']);
    }
  });
});
