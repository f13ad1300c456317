import { formatTable } from './table';
import { tallyRun, type RunObservation, type SentRequest, type StoredResult } from './tally';

const truth = [
  { id: 'a', lines: ['hello world'], rotated180: false },
  { id: 'b', lines: ['second page'], rotated180: true },
];
const good = (id: string, itemId: string): SentRequest => ({ id, kind: 'good', itemId });
const poison = (id: string): SentRequest => ({ id, kind: 'poison', expectedCode: 'UNDECODABLE_IMAGE' });
const ok = (...lines: string[]): StoredResult => ({ status: 'ok', lines });
const failed = (errorCode: string): StoredResult => ({ status: 'failed', lines: [], errorCode });

function observe(
  stored: Record<string, StoredResult>,
  announcements: Record<string, number>,
  requests?: SentRequest[],
  deadLetters: Record<string, number> = Object.fromEntries(Object.entries(stored).filter(([, r]) => r.status === 'failed').map(([id]) => [id, 1])),
): RunObservation {
  return {
    fault: 'kill -9 inference',
    requests: requests ?? [good('r1', 'a'), good('r2', 'b'), poison('p1')],
    stored: new Map(Object.entries(stored)),
    announcements: new Map(Object.entries(announcements)),
    deadLetters: new Map(Object.entries(deadLetters)),
    truth,
    sendRetries: 0,
  };
}

const allWell = { r1: ok('hello world'), r2: ok('second page'), p1: failed('UNDECODABLE_IMAGE') };
const onceEach = { r1: 1, r2: 1, p1: 1 };

describe('tallyRun', () => {
  it.each<[string, Record<string, StoredResult>, Record<string, number>, number | undefined, Partial<ReturnType<typeof tallyRun>>, RegExp[]]>([
    ['every request answered once, poison failed', allWell, onceEach, 0, { sent: 3, ok: 2, failed: 1, expectedFailed: 1, missing: 0, duplicated: 0, cer: 0, cerDelta: 0 }, []],
    ['no baseline: no CER delta', allWell, onceEach, undefined, { cerDelta: null }, []],
    ['a result missing', { r1: ok('hello world'), p1: failed('UNDECODABLE_IMAGE') }, { r1: 1, p1: 1 }, 0, { missing: 1, ok: 1 }, [/1 without a result: r2/, /CER/]],
    ['a result announced twice', allWell, { r1: 2, r2: 1, p1: 1 }, 0, { duplicated: 1 }, [/1 announced more than once: r1/]],
    ['a stored result never announced', allWell, { r1: 1, p1: 1 }, 0, { duplicated: 0 }, [/1 stored but never announced: r2/]],
    ['a good request failed', { ...allWell, r2: failed('INTERNAL') }, onceEach, undefined, { failed: 2, expectedFailed: 1 }, [/1 good requests failed: r2 \(INTERNAL\)/]],
    ['a poison input answered ok', { ...allWell, p1: ok() }, onceEach, 0, { ok: 3, failed: 0 }, [/1 poison inputs answered ok: p1/]],
    ['text changed beyond the tolerance', { ...allWell, r1: ok('hallo world') }, onceEach, 0, { cerDelta: 1 / 22 }, [/CER 4\.55 % against 0\.00 % without a fault/]],
    ['text within the tolerance of the no-fault run', { ...allWell, r1: ok('hallo world') }, onceEach, 1 / 22 - 0.001, {}, []],
  ])('%s', (_name, stored, announcements, baseline, expected, problems) => {
    const row = tallyRun(observe(stored, announcements), baseline);
    expect(row).toMatchObject(expected);
    expect(row.problems).toHaveLength(problems.length);
    problems.forEach((p, i) => expect(row.problems[i]).toMatch(p));
  });

  it('wants the poison input to fail for its own reason, and every failure dead-lettered', () => {
    const row = tallyRun(observe({ ...allWell, p1: failed('INTERNAL') }, onceEach, undefined, {}), 0);
    expect(row.problems).toEqual(['1 poison inputs failed for another reason: p1 (INTERNAL, not UNDECODABLE_IMAGE)', '1 failed without a dead letter: p1']);
  });

  it('lists at most three ids and says how many more', () => {
    const requests = Array.from({ length: 5 }, (_, i) => good(`r${i}`, 'a'));
    const row = tallyRun(observe({}, {}, requests), undefined);
    expect(row.problems[0]).toBe('5 without a result: r0, r1, r2 and 2 more');
  });

  it('keeps the notes of the run as problems', () => {
    const row = tallyRun({ ...observe(allWell, onceEach), notes: ['ocr-features did not come back'] }, 0);
    expect(row.problems).toEqual(['ocr-features did not come back']);
  });

  it('refuses a good request whose corpus item is unknown (a bug in the run, not a pipeline fault)', () => {
    expect(() => tallyRun(observe(allWell, onceEach, [good('r1', 'zzz')]), 0)).toThrow(/names corpus item zzz/);
  });
});

describe('formatTable', () => {
  it('prints one row per fault with a verdict, then the problems', () => {
    const pass = tallyRun({ ...observe(allWell, onceEach), fault: 'none' }, undefined);
    const fail = { ...tallyRun(observe({ ...allWell, r2: failed('INTERNAL') }, onceEach), 0), healSeconds: 3.25 };
    expect(formatTable([pass, fail])).toBe(
      [
        '| fault | sent | ok | failed (expected) | missing | duplicated | CER | vs no fault | healed in | verdict |',
        '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
        '| none | 3 | 2 | 1 (1) | 0 | 0 | 0.00 % | — | — | pass |',
        '| kill -9 inference | 3 | 1 | 2 (1) | 0 | 0 | 50.00 % | +50.00 pt | 3.3 s | FAIL |',
        '',
        'Problems:',
        '- kill -9 inference: 1 good requests failed: r2 (INTERNAL)',
        '- kill -9 inference: CER 50.00 % against 0.00 % without a fault',
      ].join('\n'),
    );
  });
});
