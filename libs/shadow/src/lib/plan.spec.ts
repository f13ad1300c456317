import { ocrPipeline, redactPipeline } from '@conveyor/pipelines';
import type { PipelineDefinition } from '@conveyor/pipeline';
import type { ComparisonRow } from '@conveyor/replay';
import { ShadowMetrics } from './comparer';
import {
  downstreamStages,
  parseShadowSettings,
  planShadow,
  requestIdOfShadowKey,
  shadowGroups,
  shadowNameProblem,
  shadowRedisPatterns,
  shadowStageEnv,
  shadowTopics,
} from './plan';
import { formatShadowReport } from './report';

describe('shadow plan', () => {
  it.each([
    ['ok', undefined],
    ['det-160', undefined],
    ['a', undefined],
    ['', /--name must be/],
    ['Det', /--name must be/],
    ['-x', /--name must be/],
    ['x-', /--name must be/],
    ['a.b', /--name must be/],
    ['x'.repeat(41), /--name must be/],
  ])('name %j', (name, problem) => {
    const got = shadowNameProblem(name);
    if (problem) expect(got).toMatch(problem);
    else expect(got).toBeUndefined();
  });

  it.each<[PipelineDefinition, string, string[]]>([
    [ocrPipeline, 'preprocess', ['preprocess', 'features', 'inference', 'postprocess']],
    [ocrPipeline, 'features', ['features', 'inference', 'postprocess']],
    [ocrPipeline, 'inference', ['inference', 'postprocess']],
    [ocrPipeline, 'postprocess', ['postprocess']],
    [redactPipeline, 'detect', ['detect', 'redact']],
  ])('%s: a shadow of %s runs %j', (pipeline, stage, stages) => {
    expect(downstreamStages(pipeline, stage).map((s) => s.name)).toEqual(stages);
  });

  it('names everything under the shadow prefix, reading the live input topic', () => {
    const plan = planShadow({ name: 'det', pipeline: ocrPipeline, stage: 'features', liveTopicPrefix: 't1.', set: { features: { X: '1' } } });
    expect(plan).toMatchObject({
      topicPrefix: 't1.shadow.det.',
      liveInputTopic: 't1.ocr.preprocessed',
      resultsTopic: 't1.shadow.det.ocr.results',
      liveResultKeyPrefix: 'conveyor:result:',
      resultKeyPrefix: 'conveyor:shadow:det:ocr:result:',
      comparerGroup: 't1.shadow.det.conveyor-shadow-compare',
      stages: ['features', 'inference', 'postprocess'],
    });
    const topics = shadowTopics(ocrPipeline, plan, 3).map((t) => `${t.topic}/${t.partitions}`).sort();
    expect(topics).toEqual([
      't1.shadow.det.ocr.preprocessed.dlq/1',
      't1.shadow.det.ocr.recognized.dlq/1',
      't1.shadow.det.ocr.recognized/3',
      't1.shadow.det.ocr.regions.dlq/1',
      't1.shadow.det.ocr.regions/3',
      't1.shadow.det.ocr.results/3',
    ]);
    expect(shadowGroups(ocrPipeline, plan)).toEqual([
      't1.shadow.det.conveyor-ocr-features',
      't1.shadow.det.conveyor-ocr-inference',
      't1.shadow.det.conveyor-ocr-postprocess',
      't1.shadow.det.conveyor-shadow-compare',
    ]);
    expect(shadowStageEnv(ocrPipeline, plan)).toEqual({
      'ocr-features': { X: '1', RESULT_KEY_PREFIX: 'conveyor:shadow:det:ocr:result:', INPUT_TOPIC: 't1.ocr.preprocessed' },
      'ocr-inference': { RESULT_KEY_PREFIX: 'conveyor:shadow:det:ocr:result:' },
      'ocr-postprocess': { RESULT_KEY_PREFIX: 'conveyor:shadow:det:ocr:result:' },
    });
    expect(shadowRedisPatterns(plan)).toEqual([
      'conveyor:shadow:det:ocr:result:*',
      'conveyor:announced:conveyor:shadow:det:ocr:result:*',
      'conveyor:claim:t1.shadow.det.*',
      'conveyor:attempts:t1.shadow.det.*',
    ]);
  });

  it('never names a live topic, group or key', () => {
    for (const pipeline of [ocrPipeline, redactPipeline]) {
      for (const stage of pipeline.stages) {
        const plan = planShadow({ name: 's', pipeline, stage: stage.name, liveTopicPrefix: '' });
        for (const t of shadowTopics(pipeline, plan, 1)) expect(t.topic.startsWith('shadow.s.')).toBe(true);
        for (const g of shadowGroups(pipeline, plan)) expect(g.startsWith('shadow.s.')).toBe(true);
        expect(plan.resultKeyPrefix).not.toBe(plan.liveResultKeyPrefix);
      }
    }
  });

  it.each([
    ['conveyor:shadow:s:redact:result:abc', 'abc'],
    ['conveyor:shadow:s:redact:result:image:abc', undefined],
    ['conveyor:redact:result:abc', undefined],
  ])('request id of key %s', (key, id) => {
    const plan = planShadow({ name: 's', pipeline: redactPipeline, stage: 'redact', liveTopicPrefix: '' });
    expect(requestIdOfShadowKey(plan, key)).toBe(id);
  });

  it.each([
    [['preprocess.DET_LIMIT_SIDE=160'], { preprocess: { DET_LIMIT_SIDE: '160' } }, undefined],
    [['preprocess.A=1', 'preprocess.A=2', 'features.B='], { preprocess: { A: '2' }, features: { B: '' } }, undefined],
    [['nope.A=1'], undefined, /no stage "nope"/],
    [['preprocess=1'], undefined, /--set wants/],
    [['preprocess.1A=1'], undefined, /not an environment variable name/],
  ])('--set %j', (texts, expected, error) => {
    if (error) expect(() => parseShadowSettings(texts, ocrPipeline)).toThrow(error);
    else expect(parseShadowSettings(texts, ocrPipeline)).toEqual(expected);
  });

  it('refuses settings for stages outside the shadow', () => {
    expect(() => planShadow({ name: 's', pipeline: ocrPipeline, stage: 'features', liveTopicPrefix: '', set: { preprocess: { A: '1' } } })).toThrow(/not in the shadow/);
  });
});

describe('shadow metrics and report', () => {
  const row = (over: Partial<ComparisonRow>): ComparisonRow => ({ originalId: 'a', replayId: 'a', outcome: 'different', statusChanged: false, versionChanges: [], ...over });

  it('records CER, line, confidence and latency deltas per comparison', async () => {
    const metrics = new ShadowMetrics({ pipeline: 'ocr', name: 's' });
    metrics.record(row({ cer: 0.25, lineDelta: -1, confidenceDelta: -0.02, liveMs: 100, replayMs: 350, versionChanges: ['preprocess: config a -> b'] }));
    metrics.record(row({ outcome: 'identical', cer: 0, lineDelta: 0, liveMs: 100, replayMs: 90 }));
    metrics.record(row({ outcome: 'missing-live' }));
    const text = await metrics.registry.metrics();
    for (const expected of [
      'conveyor_shadow_compared_total{pipeline="ocr",shadow="s",outcome="different"} 1',
      'conveyor_shadow_compared_total{pipeline="ocr",shadow="s",outcome="identical"} 1',
      'conveyor_shadow_compared_total{pipeline="ocr",shadow="s",outcome="missing-live"} 1',
      'conveyor_shadow_text_cer_sum{pipeline="ocr",shadow="s"} 0.25',
      'conveyor_shadow_text_cer_count{pipeline="ocr",shadow="s"} 2',
      'conveyor_shadow_line_count_delta_sum{pipeline="ocr",shadow="s"} -1',
      'conveyor_shadow_latency_delta_seconds_sum{pipeline="ocr",shadow="s"} 0.24',
      'conveyor_shadow_version_changes_total{pipeline="ocr",shadow="s",change="preprocess: config a -> b"} 1',
    ]) {
      expect(text).toContain(expected);
    }
  });

  it('formats a report with the shadow side named', () => {
    const text = formatShadowReport({
      name: 's',
      pipeline: 'ocr',
      stage: 'preprocess',
      stages: ['preprocess', 'features'],
      set: { preprocess: { DET_LIMIT_SIDE: '160' } },
      topicPrefix: 'shadow.s.',
      resultKeyPrefix: 'conveyor:shadow:s:ocr:result:',
      summary: {
        requests: 1,
        identical: 0,
        different: 1,
        missing: 0,
        missingLive: 0,
        missingReplay: 0,
        errors: 0,
        statusChanged: 0,
        meanCer: 0.5,
        meanLiveMs: 10,
        meanReplayMs: 20,
        versionChanges: [{ change: 'preprocess: config a -> b', requests: 1 }],
      },
      mostDifferent: [row({ cer: 0.5, liveMs: 10, replayMs: 20 })],
      rows: [],
    });
    expect(text).toContain('shadow s of ocr/preprocess (stages preprocess, features; topics shadow.s.ocr.*) with preprocess.DET_LIMIT_SIDE=160');
    expect(text).toContain('mean CER 50.00%');
    expect(text).toContain('mean time live 10 ms, shadow 20 ms');
    expect(text).toContain('version differences (live -> shadow):');
    expect(text).toMatch(/REQUEST\s+OUTCOME.*LIVE\s+SHADOW\s+NOTE/);
  });
});
