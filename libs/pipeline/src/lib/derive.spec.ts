import { definePipeline } from './definition';
import { appsOf, consumerGroup, pipelineTopics, resultKeyPrefix, serviceName, stageBinding, stageEnvironment, topicName } from './derive';
import { allStages, assertDistinctPipelines, resolvePipelineStage, selectPipelines } from './registry';

const ocr = definePipeline({
  name: 'ocr',
  description: 'ocr',
  topics: { requests: { config: { 'max.message.bytes': '21000000' } }, pre: {}, results: { partitions: 8 } },
  input: { topic: 'requests', eventType: 'conveyor.ocr.request.v1', contentTypes: ['image/png'] },
  output: { topic: 'results', resultSchema: 'conveyor.ocr.result.v1', redisKeyPrefix: 'conveyor:result:' },
  stages: [
    { name: 'preprocess', app: 'preprocess', input: 'requests', output: 'pre', maxInFlight: 2 },
    { name: 'read', app: 'reader', input: 'pre', output: 'results', batch: { maxSize: 8, maxWaitMs: 10 }, env: { THREADS: '1' } },
  ],
});
const redact = definePipeline({
  name: 'redact',
  description: 'redact',
  topics: { requests: {}, results: {} },
  input: { topic: 'requests', eventType: 'conveyor.redact.request.v1', contentTypes: ['image/png'] },
  output: { topic: 'results', resultSchema: 'conveyor.redact.result.v1' },
  stages: [{ name: 'preprocess', app: 'preprocess', input: 'requests', output: 'results', env: { MAX_PAGE_SIDE: '4096' } }],
});

describe('names derived from a definition', () => {
  it.each([
    ['topic', () => topicName(ocr, 'pre'), 'ocr.pre'],
    ['topic with TOPIC_PREFIX', () => topicName(ocr, 'pre', 't1.'), 't1.ocr.pre'],
    ['consumer group', () => consumerGroup(ocr, 'read'), 'conveyor-ocr-read'],
    ['service', () => serviceName(redact, 'preprocess'), 'redact-preprocess'],
    ['result keys (declared)', () => resultKeyPrefix(ocr), 'conveyor:result:'],
    ['result keys (default)', () => resultKeyPrefix(redact), 'conveyor:redact:result:'],
  ])('%s', (_name, derive, expected) => {
    expect(derive()).toBe(expected);
  });

  it('refuses a topic the pipeline does not have', () => {
    expect(() => topicName(ocr, 'nope')).toThrow(/pipeline ocr has no topic "nope"/);
  });
});

describe('stageBinding', () => {
  it('binds the logical names a handler uses to the pipeline topics', () => {
    expect(stageBinding(ocr, 'read')).toEqual({
      pipeline: 'ocr',
      stage: 'read',
      app: 'reader',
      groupId: 'conveyor-ocr-read',
      topics: { input: 'ocr.pre', output: 'ocr.results', results: 'ocr.results' },
      inputTopic: 'ocr.pre',
      resultsTopic: 'ocr.results',
      resultSchema: 'conveyor.ocr.result.v1',
      resultKeyPrefix: 'conveyor:result:',
    });
  });
});

describe('stageEnvironment', () => {
  it.each([
    ['runtime settings and own env', ocr, 1, { PIPELINE: 'ocr', STAGE: 'read', BATCH_MAX_SIZE: '8', BATCH_MAX_WAIT_MS: '10', THREADS: '1' }],
    ['only what is declared', ocr, 0, { PIPELINE: 'ocr', STAGE: 'preprocess', MAX_IN_FLIGHT: '2' }],
    ['the same app in another pipeline, with its own configuration', redact, 0, { PIPELINE: 'redact', STAGE: 'preprocess', MAX_PAGE_SIDE: '4096' }],
  ] as const)('%s', (_name, pipeline, index, expected) => {
    expect(stageEnvironment(pipeline, pipeline.stages[index])).toEqual(expected);
  });
});

describe('pipelineTopics', () => {
  it('lists each topic with its partitions and configs, and a dead-letter topic per stage input', () => {
    expect(pipelineTopics(ocr, { prefix: 'p.', partitions: 4 })).toEqual([
      { topic: 'p.ocr.requests', partitions: 4, config: { 'max.message.bytes': '21000000' } },
      { topic: 'p.ocr.pre', partitions: 4, config: {} },
      { topic: 'p.ocr.results', partitions: 8, config: {} },
      { topic: 'p.ocr.requests.dlq', partitions: 1, config: { 'max.message.bytes': '21000000' } },
      { topic: 'p.ocr.pre.dlq', partitions: 1, config: {} },
    ]);
  });
});

describe('the registry of pipelines', () => {
  it('lists the apps, each once', () => {
    expect(appsOf([ocr, redact])).toEqual(['preprocess', 'reader']);
    expect(allStages([ocr, redact]).map((s) => `${s.pipeline.name}/${s.stage.name}`)).toEqual(['ocr/preprocess', 'ocr/read', 'redact/preprocess']);
  });

  it.each([
    ['PIPELINE and STAGE given', 'preprocess', { PIPELINE: 'redact', STAGE: 'preprocess' }, 'redact/preprocess'],
    ['nothing given: the first pipeline using the app', 'preprocess', {}, 'ocr/preprocess'],
    ['only PIPELINE: its first stage run by the app', 'reader', { PIPELINE: 'ocr' }, 'ocr/read'],
  ])('resolves the stage a process runs: %s', (_name, app, env, expected) => {
    const { pipeline, stage } = resolvePipelineStage([ocr, redact], app, env);
    expect(`${pipeline.name}/${stage.name}`).toBe(expected);
  });

  it.each([
    ['an unknown pipeline', 'preprocess', { PIPELINE: 'nope' }, /PIPELINE=nope is not a known pipeline \(known: ocr, redact\)/],
    ['a stage of another app', 'preprocess', { PIPELINE: 'ocr', STAGE: 'read' }, /stage ocr\/read is run by app reader, not preprocess/],
    ['an app no pipeline uses', 'ghost', {}, /no pipeline uses the app "ghost"/],
  ])('refuses %s', (_name, app, env, message) => {
    expect(() => resolvePipelineStage([ocr, redact], app, env)).toThrow(message);
  });

  it('refuses two pipelines of one name, and unknown selections', () => {
    expect(() => assertDistinctPipelines([ocr, ocr])).toThrow(/two pipelines are named "ocr"/);
    expect(() => selectPipelines([ocr, redact], ['ocr', 'x'])).toThrow(/unknown pipeline x \(known: ocr, redact\)/);
    expect(selectPipelines([ocr, redact], []).map((p) => p.name)).toEqual(['ocr', 'redact']);
  });
});
