import { checkResults, truthFor, type CliResult } from './check-results';
import type { TruthItem } from '@conveyor/corpus';

const item = (file: string, lines: string[]): TruthItem =>
  ({ id: file, file, format: 'png', lines, rotated180: false, noise: false }) as unknown as TruthItem;
const items = [item('a.png', ['hello world']), item('b.jpg', ['two', 'lines'])];
const ok = (file: string, texts: string[], id = file): CliResult => ({
  file,
  id,
  status: 'ok',
  lines: texts.map((text) => ({ text })),
});

describe('check-results', () => {
  it('matches a result to its truth item by name, also with a copy prefix', () => {
    expect(truthFor('samples/a.png', items)?.file).toBe('a.png');
    expect(truthFor('/tmp/x/r3-b.jpg', items)?.file).toBe('b.jpg');
    expect(truthFor('/tmp/x/ab.jpg', items)).toBeUndefined();
  });

  it('passes when every item came back once, ok and close enough', () => {
    const summary = checkResults([ok('a.png', ['hello world']), ok('b.jpg', ['two', 'lines'])], items);
    expect(summary.problems).toEqual([]);
    expect(summary.meanCer).toBe(0);
  });

  it('names missing, failed, unreadable and duplicated results', () => {
    const summary = checkResults(
      [
        ok('r1-a.png', ['jello world'], 'x'),
        ok('r2-a.png', ['hello world'], 'x'),
        { file: 'r1-b.jpg', id: 'y', status: 'timeout' },
        ok('c.png', ['?'], 'z'),
      ],
      items,
      { copies: 2, maxCer: 0.05 },
    );
    expect(summary.problems).toEqual([
      'r1-a.png: character error rate 9.1% > 5%',
      'r2-a.png: request id x answered twice',
      'r1-b.jpg: status timeout',
      'c.png: no truth item for this file',
      'b.jpg: 1 result(s), expected 2',
    ]);
  });
});
