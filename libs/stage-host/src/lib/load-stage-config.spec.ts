import { ConfigError, positiveInt } from '@conveyor/config';
import { definePipeline } from '@conveyor/pipeline';
import { defineStage } from './define-stage';
import { loadStageConfig } from './load-stage-config';

class Handler {}
const detector = defineStage({
  app: 'detector',
  handler: Handler,
  config: { DETECT_SIDE: positiveInt().prefault('960').describe('Longest side of the detection input.') },
});

const pipeline = (name: string, env: Record<string, string>) =>
  definePipeline({
    name,
    description: name,
    topics: { requests: {}, results: {} },
    input: { topic: 'requests', eventType: `conveyor.${name}.request.v1`, contentTypes: ['image/png'] },
    output: { topic: 'results', resultSchema: `conveyor.${name}.result.v1`, failedFields: { boxes: [] } },
    stages: [{ name: 'detect', app: 'detector', input: 'requests', output: 'results', maxInFlight: 3, batch: { maxSize: 4 }, env }],
  });
const pipelines = [pipeline('ocr', {}), pipeline('redact', { DETECT_SIDE: '1280' })];

describe('loadStageConfig', () => {
  it('binds the stage to its pipeline: topics, group, result keys, runtime settings from the definition', () => {
    const { settings, context, stageConfig } = loadStageConfig(detector, pipelines, { PIPELINE: 'redact', STAGE: 'detect' });
    expect(settings).toMatchObject({
      stage: 'detect',
      clientId: 'conveyor-redact-detect',
      groupId: 'conveyor-redact-detect',
      topics: { input: 'redact.requests', output: 'redact.results', results: 'redact.results' },
      maxInFlight: 3,
      batch: { maxSize: 4, maxWaitMs: 10 },
      httpPort: 8080,
      rebalanceTimeoutMs: 60_000,
      sessionTimeoutMs: 30_000,
      poison: { maxCrashes: 2, markerTtlSeconds: 86_400 },
    });
    expect(context.binding.resultKeyPrefix).toBe('conveyor:redact:result:');
    expect(stageConfig).toEqual({ DETECT_SIDE: 1280 });
  });

  it.each([
    ['the definition beats the stage default', { PIPELINE: 'redact' }, 1280],
    ['the environment beats the definition', { PIPELINE: 'redact', DETECT_SIDE: '640' }, 640],
    ['the stage default applies where the definition says nothing', { PIPELINE: 'ocr' }, 960],
    ['no PIPELINE: the first pipeline that runs the app', {}, 960],
  ])('%s', (_name, env, expected) => {
    expect(loadStageConfig(detector, pipelines, env).stageConfig['DETECT_SIDE']).toBe(expected);
  });

  it.each([
    ['nothing set: the definition\'s keys, inputs under TOPIC_PREFIX', { TOPIC_PREFIX: 't.' }, undefined, 'conveyor:redact:result:'],
    ['a shadow\'s first stage', { TOPIC_PREFIX: 'shadow.s.', INPUT_TOPIC: 'redact.requests', RESULT_KEY_PREFIX: 'conveyor:shadow:s:redact:result:' }, 'redact.requests', 'conveyor:shadow:s:redact:result:'],
    ['a shadow\'s later stage', { TOPIC_PREFIX: 'shadow.s.', RESULT_KEY_PREFIX: 'conveyor:shadow:s:redact:result:' }, undefined, 'conveyor:shadow:s:redact:result:'],
  ])('shadow variables: %s', (_name, env, inputTopic, resultKeyPrefix) => {
    const loaded = loadStageConfig(detector, pipelines, { PIPELINE: 'redact', ...env });
    expect(loaded.settings.inputTopic).toBe(inputTopic);
    expect(loaded.context.binding.resultKeyPrefix).toBe(resultKeyPrefix);
    // Where a stage reads and writes is not what it computes: the configuration hash stays the live one's.
    expect(loaded.identity.configHash).toBe(loadStageConfig(detector, pipelines, { PIPELINE: 'redact' }).identity.configHash);
  });

  it.each([
    ['RESULT_KEY_PREFIX', 'no-colon'],
    ['RESULT_KEY_PREFIX', 'bad key:'],
    ['RESULT_KEY_PREFIX', ':'],
    ['INPUT_TOPIC', 'a:b'],
  ])('refuses %s=%j', (variable, value) => {
    expect(() => loadStageConfig(detector, pipelines, { [variable]: value })).toThrow(ConfigError);
  });

  it('passes the group timeouts and the poison quarantine from the environment to the runtime', () => {
    const { settings } = loadStageConfig(detector, pipelines, {
      REBALANCE_TIMEOUT_MS: '90s',
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      POISON_MAX_CRASHES: '0',
      POISON_MARKER_TTL_SECONDS: '600',
    });
    expect(settings).toMatchObject({ rebalanceTimeoutMs: 90_000, sessionTimeoutMs: 6_000, poison: { maxCrashes: 0, markerTtlSeconds: 600 } });
  });

  it('lists every bad variable, the stage’s own and the runtime’s, at once', () => {
    let error: unknown;
    try {
      loadStageConfig(detector, pipelines, { PIPELINE: 'ocr', DETECT_SIDE: 'big', MAX_IN_FLIGHT: '0' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.variable).sort()).toEqual(['DETECT_SIDE', 'MAX_IN_FLIGHT']);
  });

  it('names an unknown pipeline or stage as a configuration problem', () => {
    expect(() => loadStageConfig(detector, pipelines, { PIPELINE: 'nope' })).toThrow(/PIPELINE\/STAGE: PIPELINE=nope is not a known pipeline/);
    expect(() => loadStageConfig(detector, pipelines, { STAGE: 'other' })).toThrow(/STAGE=other is not a stage of pipeline ocr/);
  });
});
