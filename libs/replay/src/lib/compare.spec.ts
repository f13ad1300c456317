import { compareResults, errorRow, mostDifferent, parseStoredResult, readVersions, summarise, versionChanges, type ComparisonRow } from './compare';

const box = [[0, 0], [10, 0], [10, 5], [0, 5]];
const ocr = (id: string, lines: Array<[string, number]>, extra: Record<string, unknown> = {}) => ({
  schema: 'conveyor.ocr.result.v1',
  id,
  status: 'ok',
  lines: lines.map(([text, confidence]) => ({ text, confidence, box })),
  timings: { preprocess: 10, features: 20 },
  completedAt: new Date(0).toISOString(),
  ...extra,
});
const failed = (id: string) => ({ schema: 'conveyor.ocr.result.v1', id, status: 'failed', lines: [], error: { code: 'X', message: 'x', stage: 'features' }, timings: {}, completedAt: new Date(0).toISOString() });

describe('compareResults', () => {
  it.each<[string, unknown, unknown, Partial<ComparisonRow>]>([
    ['same output, other id, time and timings', ocr('a', [['hello', 0.9]]), ocr('r.a', [['hello', 0.9]], { timings: { preprocess: 1 }, completedAt: new Date(5).toISOString() }), { outcome: 'identical', cer: 0, lineDelta: 0, confidenceDelta: 0, liveMs: 30, replayMs: 1, statusChanged: false }],
    ['one character changed of 11 (with the line break)', ocr('a', [['hello', 0.9], ['world', 0.8]]), ocr('r.a', [['hello', 0.9], ['word', 0.8]]), { outcome: 'different', cer: 1 / 11, lineDelta: 0 }],
    ['a line lost', ocr('a', [['hello', 0.9], ['world', 0.7]]), ocr('r.a', [['hello', 0.9]]), { outcome: 'different', cer: 6 / 11, lineDelta: -1 }],
    ['only a confidence changed', ocr('a', [['hello', 0.5]]), ocr('r.a', [['hello', 0.75]]), { outcome: 'different', cer: 0, lineDelta: 0, confidenceDelta: 0.25 }],
    ['ok -> failed', ocr('a', [['hi', 0.9]]), failed('r.a'), { outcome: 'different', statusChanged: true, liveStatus: 'ok', replayStatus: 'failed', cer: 1, lineDelta: -1, confidenceDelta: undefined }],
    ['both empty', ocr('a', []), ocr('r.a', []), { outcome: 'identical', cer: 0, lineDelta: 0, confidenceDelta: undefined }],
    ['no replay result', ocr('a', [['hi', 0.9]]), undefined, { outcome: 'missing-replay', cer: undefined }],
    ['no live result', undefined, ocr('r.a', [['hi', 0.9]]), { outcome: 'missing-live' }],
    ['redaction regions', { status: 'ok', regions: [{ box }] }, { status: 'ok', regions: [{ box }, { box }] }, { outcome: 'different', regionDelta: 1, cer: undefined }],
    ['a value that is not JSON', parseStoredResult('{oops'), ocr('r.a', []), { outcome: 'different', liveStatus: undefined, statusChanged: true }],
  ])('%s', (_name, live, replay, expected) => {
    const row = compareResults('a', 'r.a', live, replay);
    for (const [key, value] of Object.entries(expected)) {
      if (typeof value === 'number') expect(row[key as keyof ComparisonRow]).toBeCloseTo(value, 10);
      else expect(row[key as keyof ComparisonRow]).toEqual(value);
    }
  });
});

describe('versions', () => {
  const v = (stage: string, version: string, configHash: string, models: Array<[string, string]> = []) => ({ stage, version, configHash, models: models.map(([name, sha256]) => ({ name, sha256 })) });

  it.each<[string, unknown, string[] | undefined]>([
    ['absent', {}, undefined],
    ['not a list', { versions: 'x' }, undefined],
    ['entries without a stage are skipped, missing fields tolerated', { versions: [{ version: '1' }, { stage: 'features', models: [{ name: 'det.onnx' }, 7] }] }, ['features']],
  ])('readVersions: %s', (_name, result, stages) => {
    expect(readVersions(result)?.map((e) => e.stage)).toEqual(stages);
  });

  it.each<[string, ReturnType<typeof v>[] | undefined, ReturnType<typeof v>[] | undefined, string[]]>([
    ['same', [v('features', '1.0.0', 'aaaaaaaaaaaa', [['det.onnx', '111111111111']])], [v('features', '1.0.0', 'aaaaaaaaaaaa', [['det.onnx', '111111111111']])], []],
    ['either side without versions', undefined, [v('features', '1', 'aaaaaaaaaaaa')], []],
    ['config and version', [v('features', '1.0.0', 'aaaaaaaaaaaa'), v('inference', '1.0.0', 'cccccccccccc')], [v('features', '1.0.1', 'bbbbbbbbbbbbbbbb'), v('inference', '1.0.0', 'cccccccccccc')], ['features: version 1.0.0 -> 1.0.1', 'features: config aaaaaaaaaaaa -> bbbbbbbbbbbb']],
    ['a model swapped, one added', [v('inference', '1', 'cccccccccccc', [['rec.onnx', '111111111111']])], [v('inference', '1', 'cccccccccccc', [['rec.onnx', '222222222222'], ['dict.txt', '333333333333']])], ['inference: model rec.onnx 111111111111 -> 222222222222', 'inference: model dict.txt (none) -> 333333333333']],
    ['stages on one side only', [v('a', '1', 'cccccccccccc')], [v('b', '1', 'cccccccccccc')], ['a: not in the replay', 'b: only in the replay']],
  ])('versionChanges: %s', (_name, live, replay, changes) => {
    expect(versionChanges(live && readVersions({ versions: live }), replay && readVersions({ versions: replay }))).toEqual(changes);
  });

  it('a row carries them, and they do not make an output different', () => {
    const row = compareResults('a', 'r.a', ocr('a', [], { versions: [v('features', '1', 'aaaaaaaaaaaa')] }), ocr('r.a', [], { versions: [v('features', '1', 'bbbbbbbbbbbb')] }));
    expect(row).toMatchObject({ outcome: 'identical', versionChanges: ['features: config aaaaaaaaaaaa -> bbbbbbbbbbbb'] });
  });
});

describe('summarise and mostDifferent', () => {
  const rows: ComparisonRow[] = [
    compareResults('same', 'r.same', ocr('same', [['abcd', 0.9]]), ocr('r.same', [['abcd', 0.9]])),
    compareResults('small', 'r.small', ocr('small', [['abcd', 0.9]]), ocr('r.small', [['abce', 0.8]])),
    compareResults('big', 'r.big', ocr('big', [['abcd', 0.9]]), ocr('r.big', [['wxyz', 0.7], ['more', 0.7]])),
    compareResults('broke', 'r.broke', ocr('broke', [['ab', 0.9]]), failed('r.broke')),
    compareResults('gone', 'r.gone', ocr('gone', [['ab', 0.9]]), undefined),
    errorRow('long', 'too long'),
  ];

  it('counts each outcome and averages over the requests compared', () => {
    const s = summarise(rows);
    expect(s).toMatchObject({ requests: 6, identical: 1, different: 3, missing: 1, missingReplay: 1, missingLive: 0, errors: 1, statusChanged: 1 });
    // CER: 0, 1/4, levenshtein("wxyz\nmore", "abcd") = 9 over 4, 1 (all of "ab" lost).
    expect(s.meanCer).toBeCloseTo((0 + 0.25 + 9 / 4 + 1) / 4, 10);
    expect(s.meanLineDelta).toBeCloseTo((0 + 0 + 1 - 1) / 4, 10);
    expect(s.meanConfidenceDelta).toBeCloseTo((0 - 0.1 - 0.2) / 3, 10);
    expect(s.meanLiveMs).toBe(30);
  });

  it('an empty replay has no means', () => {
    expect(summarise([])).toEqual({ requests: 0, identical: 0, different: 0, missing: 0, missingLive: 0, missingReplay: 0, errors: 0, statusChanged: 0, meanCer: undefined, meanLineDelta: undefined, meanConfidenceDelta: undefined, meanLiveMs: undefined, meanReplayMs: undefined, versionChanges: [] });
  });

  it.each([
    [10, ['broke', 'big', 'small', 'gone', 'long']],
    [2, ['broke', 'big']],
    [0, []],
  ])('the %d most different', (n, ids) => {
    expect(mostDifferent(rows, n).map((r) => r.originalId)).toEqual(ids);
  });
});
