import { scoreCorpus } from '@conveyor/corpus';
import { buildRows, diffItems, formatProcesses, formatTable, median, medianIndex, ratio, rowCells, type Measurement } from './report';

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
  workers: 2,
  images: 10,
  passSeconds: [seconds],
  passCpuSeconds: [seconds],
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

describe('median', () => {
  it.each([
    [[3], 3, 0],
    [[5, 1, 3], 3, 2],
    [[4, 1, 3, 2], 2.5, 3],
  ])('of %j is %d (pass %d)', (values, m, index) => {
    expect(median(values)).toBe(m);
    expect(medianIndex(values)).toBe(index);
  });
});

describe('buildRows', () => {
  it('takes the median pass for speed and CPU', () => {
    const m: Measurement = { ...engine, passSeconds: [2, 1, 4], passCpuSeconds: [3, 1.5, 6] };
    const [row] = buildRows([m]);
    expect(row.imagesPerSecond).toBe(5);
    expect(row.passImagesPerSecond).toEqual([5, 10, 2.5]);
    expect(row.cpuMsPerImage).toBe(300);
  });

  it('computes speed, CER split and ratios to the peer and the engine, in reader order', () => {
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
      vsEngine: { imagesPerSecond: 0.25 },
    });
  });

  it('has no CER ratio when the peer read everything right', () => {
    const perfectPeer = measured('peer', 5, { a: ['abcd'], b: ['wxyz'] });
    expect(buildRows([perfectPeer, pipeline])[1].vsPeer).toEqual({ imagesPerSecond: 1.25, cer: null });
  });

  it('leaves the CER of a class without items empty', () => {
    const uprightOnly = {
      reader: 'peer' as const,
      workers: 1,
      images: 1,
      passSeconds: [1],
      passCpuSeconds: [1],
      score: scoreCorpus([truth[0]], { a: ['abcd'] }),
      failed: 0,
      lost: 0,
    };
    expect(buildRows([uprightOnly])[0].cer).toEqual({ overall: 0, upright: 0, rotated: null });
  });

  it('leaves the ratios to a reader that was not measured empty', () => {
    const [e, q] = buildRows([engine, pipeline]);
    expect(e.vsPeer).toEqual({ imagesPerSecond: null, cer: null });
    expect(q.vsEngine.imagesPerSecond).toBe(0.25);
  });

  it('measures each reader once', () => {
    expect(() => buildRows([peer, peer])).toThrow('each reader may be measured once');
  });
});

describe('formatTable', () => {
  it('formats percentages, speeds and ratios', () => {
    expect(rowCells(buildRows([peer])[0])).toEqual([
      'peer (@gutenye/ocr-node)',
      '2',
      '50.00%',
      '0.00%',
      '100.00%',
      '50.00%',
      '2.00',
      '1.00×',
      '–',
      '500',
      '1.00×',
    ]);
  });

  it('lays out an aligned Markdown table', () => {
    const lines = formatTable(buildRows([peer, engine, pipeline])).split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe(
      '| reader                       | workers |    CER | CER upright | CER rotated | exact lines | images/s | images/s ÷ peer | images/s ÷ engine | CPU ms/image | CER ÷ peer |',
    );
    expect(lines[1]).toBe(
      '| ---------------------------- | ------: | -----: | ----------: | ----------: | ----------: | -------: | --------------: | ----------------: | -----------: | ---------: |',
    );
    expect(lines[4]).toBe(
      '| pipeline (stages over Kafka) |       2 | 12.50% |      25.00% |       0.00% |      50.00% |     2.50 |           1.25× |             0.25× |          400 |      0.25× |',
    );
    // Every row as wide as the header: the columns line up.
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
  });

  it('shows a missing figure as a dash', () => {
    const perfectPeer = measured('peer', 5, { a: ['abcd'], b: ['wxyz'] });
    expect(rowCells(buildRows([perfectPeer, pipeline])[1])[10]).toBe('–');
  });
});

describe('formatProcesses', () => {
  it('gives cores, CPU per image and memory per process', () => {
    const table = formatProcesses([
      {
        reader: 'pipeline',
        images: 10,
        seconds: 5,
        usage: [{ name: 'ocr-inference', pid: 1, cpuSeconds: 2, systemSeconds: 0.5, cores: 0.4, maxRssBytes: 300 * 2 ** 20, peakRssBytes: 320 * 2 ** 20 }],
      },
    ]).split('\n');
    expect(table[2]).toBe('| pipeline: ocr-inference |  0.40 |          200 |          25% |                   300 |                   320 |');
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
