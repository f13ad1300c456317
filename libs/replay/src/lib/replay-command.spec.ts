import { definePipeline } from '@conveyor/pipeline';
import { compareResults, errorRow, mostDifferent, summarise } from './compare';
import { parseStageSetting, settingsByStage } from './replay';
import { formatReplayReport, ReplayExitCode, runReplayCommand, type ReplayCommandOptions } from './replay-command';
import type { ReplayReport } from './replay';

const pipeline = definePipeline({
  name: 'p',
  description: 'replay command tests',
  topics: { requests: {}, results: {} },
  input: { topic: 'requests', eventType: 'conveyor.p.request.v1', contentTypes: ['text/plain'] },
  output: { topic: 'results', resultSchema: 'conveyor.p.result.v1', failedFields: {} },
  stages: [{ name: 'only', app: 'only', input: 'requests', output: 'results' }],
});

describe('--set', () => {
  it.each([
    ['only.MIN_CONFIDENCE=0.7', { stage: 'only', name: 'MIN_CONFIDENCE', value: '0.7' }],
    ['only.X=a=b', { stage: 'only', name: 'X', value: 'a=b' }],
    ['only.EMPTY=', { stage: 'only', name: 'EMPTY', value: '' }],
  ])('%s', (text, setting) => {
    expect(parseStageSetting(text, pipeline)).toEqual(setting);
  });

  it.each([
    ['MIN_CONFIDENCE=0.7', /wants <stage>.<ENV>=<value>/],
    ['other.X=1', /has no stage "other"/],
    ['only.1X=1', /not an environment variable name/],
    ['only.X', /wants <stage>.<ENV>=<value>/],
  ])('refuses %s', (text, message) => {
    expect(() => parseStageSetting(text, pipeline)).toThrow(message);
  });

  it('later settings of a variable win', () => {
    expect(settingsByStage([{ stage: 'only', name: 'X', value: '1' }, { stage: 'only', name: 'X', value: '2' }])).toEqual({ only: { X: '2' } });
  });
});

describe('runReplayCommand usage errors (exit 2, nothing contacted)', () => {
  it.each<[string, ReplayCommandOptions, RegExp]>([
    ['no window, no run', {}, /say which window to replay/],
    ['--until alone', { until: '1h' }, /--until needs --since/],
    ['a bad time', { since: 'soon' }, /--since wants/],
    ['an unknown pipeline', { since: '1h', pipeline: 'nope' }, /nope/],
    ['a bad --set', { since: '1h', set: ['x'] }, /--set wants/],
    ['--set with --no-start', { since: '1h', start: false, topicPrefix: 'r.', set: ['only.X=1'] }, /--set applies to stages the replay starts/],
    ['--no-start without a prefix', { since: '1h', start: false }, /--no-start needs --topic-prefix/],
    ['--topic-prefix without --no-start', { since: '1h', topicPrefix: 'r.' }, /use it with --no-start/],
    ['a bad run id', { since: '1h', runId: 'a.b' }, /--run-id must be/],
  ])('%s', async (_name, options, message) => {
    const err: string[] = [];
    const code = await runReplayCommand(
      { brokers: ['127.0.0.1:1'], redisUrl: 'redis://127.0.0.1:1', topicPrefix: '', definitions: [pipeline], out: () => undefined, err: (t) => void err.push(t) },
      options,
    );
    expect(code).toBe(ReplayExitCode.usage);
    expect(err.join('')).toMatch(message);
  });
});

describe('formatReplayReport', () => {
  const rows = [
    compareResults('a', 'r1.a', { status: 'ok', lines: [{ text: 'hello', confidence: 0.9 }], timings: { x: 10 } }, { status: 'ok', lines: [{ text: 'hello', confidence: 0.9 }], timings: { x: 12 } }),
    compareResults('b', 'r1.b', { status: 'ok', lines: [{ text: 'abcd', confidence: 0.9 }], timings: { x: 10 } }, { status: 'ok', lines: [{ text: 'abce', confidence: 0.8 }], timings: { x: 8 } }),
    errorRow('c', 'the replay id would be 300 characters'),
  ];
  const report: ReplayReport = {
    runId: 'r1',
    pipeline: 'ocr',
    pipelineVersion: 'det-640',
    set: { preprocess: { DET_LIMIT_SIDE: '640' } },
    liveTopic: 'ocr.requests',
    replayTopicPrefix: 'replay.r1.',
    since: '2026-11-30T08:00:00.000Z',
    until: null,
    resumed: false,
    state: 'completed',
    total: 3,
    copied: 3,
    summary: summarise(rows),
    rows,
    mostDifferent: mostDifferent(rows, 10),
    cleanedUp: { topics: ['a', 'b'], groups: ['g'] },
    resultTtlSeconds: 86_400,
  };

  it('says what was replayed, the summary and the most different requests', () => {
    const text = formatReplayReport(report);
    expect(text).toContain('replay r1 of ocr as "det-640": ocr.requests from 2026-11-30T08:00:00.000Z to the end at the start of the run');
    expect(text).toContain('replayed into replay.r1.ocr.* with preprocess.DET_LIMIT_SIDE=640');
    expect(text).toContain('requests 3  identical 1  different 1  missing 0  errors 1  status changed 0');
    expect(text).toContain('mean CER 12.50%');
    expect(text).toMatch(/\n {2}REQUEST +OUTCOME +STATUS +CER +LINES +CONFIDENCE +LIVE +REPLAY +NOTE\n {2}b +different +ok +25\.00% +0 +-0\.1000 +10 ms +8 ms\n {2}c +error +- +- +- +- +- +- +the replay id would be 300 characters\n/);
    expect(text).toContain('cleaned up: 2 topics, 1 consumer groups, the state files');
    expect(text).not.toContain('INTERRUPTED');
  });

  it('an interrupted run says how to resume', () => {
    expect(formatReplayReport({ ...report, state: 'interrupted', copied: 1, cleanedUp: null })).toContain('INTERRUPTED after copying 1 of 3: run again with --run-id r1 to resume');
  });
});
