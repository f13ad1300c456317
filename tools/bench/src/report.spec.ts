import { scoreCorpus } from '@conveyor/corpus';
import { buildRows, diffItems, formatTable, ratio, rowCells, type Measurement } from './report';

// Two pages of 4 characters each: 8 truth characters, 2 truth lines.
const truth = [
  { id: 'a', lines: ['abcd'], rotated180: false },
  { id: 'b', lines: ['wxyz'], rotated180: true },
];

const measured = (
  reader: Measurement['reader'],
  seconds: number,
  predictions: Record<string, string[]>,
): Measurement => ({
  reader,
  images: 10,
  seconds,
  score: scoreCorpus(truth, predictions),
  failed: 0,
  lost: 0,
});

// peer: 2 img/s, rotated page empty -> 4 edits of 8 (upright 0 of 4, rotated 4 of 4), 1 of 2 lines exact.
const peer = measured('peer', 5, { a: ['abcd'], b: [] });
// engine: 10 img/s, all right.
const engine = measured('engine', 1, { a: ['abcd'], b: ['wxyz'] });
// pipeline: 2.5 img/s, one substitution on the upright page -> 1 of 8 (upright 1 of 4), 1 of 2 lines exact.
const pipeline = measured('pipeline', 4, { a: ['abXd'], b: ['wxyz'] });

describe('ratio', () => {
  it.each([
    [2, 4, 0.5],
    [0, 3, 0],
    [1, 0, null],
    [0, 0, null],
  ])('%d ÷ %d = %p', (a, b, expected) => {
    expect(ratio(a, b)).toBe(expected);
  });
});

describe('buildRows', () => {
  it('computes speed, CER split and ratios to the peer, in reader order', () => {
    const rows = buildRows([pipeline, engine, peer]);
    expect(rows.map((r) => r.reader)).toEqual(['peer', 'engine', 'pipeline']);
    const [p, e, q] = rows;
    expect(p).toMatchObject({
      imagesPerSecond: 2,
      cer: { overall: 0.5, upright: 0, rotated: 1 },
      exactLineRate: 0.5,
      vsPeer: { imagesPerSecond: 1, cer: 1 },
    });
    expect(e).toMatchObject({
      imagesPerSecond: 10,
      cer: { overall: 0, upright: 0, rotated: 0 },
      exactLineRate: 1,
      vsPeer: { imagesPerSecond: 5, cer: 0 },
    });
    expect(q).toMatchObject({
      imagesPerSecond: 2.5,
      cer: { overall: 0.125, upright: 0.25, rotated: 0 },
      exactLineRate: 0.5,
      vsPeer: { imagesPerSecond: 1.25, cer: 0.25 },
    });
  });

  it('has no CER ratio when the peer read everything right', () => {
    const perfectPeer = measured('peer', 5, { a: ['abcd'], b: ['wxyz'] });
    expect(buildRows([perfectPeer, pipeline])[1].vsPeer).toEqual({ imagesPerSecond: 1.25, cer: null });
  });

  it('leaves the CER of a class without items empty', () => {
    const uprightOnly = {
      reader: 'peer' as const,
      images: 1,
      seconds: 1,
      score: scoreCorpus([truth[0]], { a: ['abcd'] }),
      failed: 0,
      lost: 0,
    };
    expect(buildRows([uprightOnly])[0].cer).toEqual({ overall: 0, upright: 0, rotated: null });
  });

  it('needs the peer, once', () => {
    expect(() => buildRows([engine, pipeline])).toThrow('the peer must be measured');
    expect(() => buildRows([peer, peer])).toThrow('each reader may be measured once');
  });
});

describe('formatTable', () => {
  it('formats percentages, speeds and ratios', () => {
    expect(rowCells(buildRows([peer])[0])).toEqual([
      'peer (@gutenye/ocr-node)',
      '50.00%',
      '0.00%',
      '100.00%',
      '50.00%',
      '2.00',
      '1.00×',
      '1.00×',
    ]);
  });

  it('lays out an aligned Markdown table', () => {
    const lines = formatTable(buildRows([peer, engine, pipeline])).split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe(
      '| reader                         |    CER | CER upright | CER rotated | exact lines | images/s | images/s ÷ peer | CER ÷ peer |',
    );
    expect(lines[1]).toBe(
      '| ------------------------------ | -----: | ----------: | ----------: | ----------: | -------: | --------------: | ---------: |',
    );
    expect(lines[4]).toBe(
      '| pipeline (4 stages over Kafka) | 12.50% |      25.00% |       0.00% |      50.00% |     2.50 |           1.25× |      0.25× |',
    );
    // Every row as wide as the header: the columns line up.
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
  });

  it('shows a missing figure as a dash', () => {
    const perfectPeer = measured('peer', 5, { a: ['abcd'], b: ['wxyz'] });
    expect(rowCells(buildRows([perfectPeer, pipeline])[1])[7]).toBe('–');
  });
});

describe('diffItems', () => {
  it('lists the items two readers read differently, with both readings', () => {
    expect(diffItems(engine.score, pipeline.score)).toEqual([
      {
        id: 'a',
        rotated180: false,
        truth: ['abcd'],
        a: { lines: ['abcd'], cer: 0 },
        b: { lines: ['abXd'], cer: 0.25 },
      },
    ]);
    expect(diffItems(engine.score, engine.score)).toEqual([]);
  });

  it('tells a missing prediction from an empty one', () => {
    const missing = scoreCorpus(truth, { a: ['abcd'] });
    const empty = scoreCorpus(truth, { a: ['abcd'], b: [] });
    expect(diffItems(missing, empty).map((d) => [d.a.lines, d.b.lines])).toEqual([[null, []]]);
  });
});
