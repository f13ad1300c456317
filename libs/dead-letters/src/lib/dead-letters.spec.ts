import { deadLetterHeaders, toCloudEventHeaders } from '@conveyor/contracts';
import { definePipeline } from '@conveyor/pipeline';
import { deadLetterSources, filterDeadLetters, originalHeaders, parseSince, toDeadLetter } from './dead-letters';
import { formatDeadLetterTable } from './dlq-command';

const pipeline = definePipeline({
  name: 'dl',
  description: 'dead-letter tooling tests',
  topics: { requests: {}, mid: {}, results: {} },
  input: { topic: 'requests', eventType: 'conveyor.dl.request.v1', contentTypes: ['text/plain'] },
  output: { topic: 'results', resultSchema: 'conveyor.dl.result.v1', failedFields: {} },
  stages: [
    { name: 'first', app: 'first', input: 'requests', output: 'mid' },
    { name: 'second', app: 'second', input: 'mid', output: 'results' },
  ],
});

const source = deadLetterSources([pipeline], 'p.')[0];
const record = (id: string, code: string, stage: string, at: number, offset = '0') => ({
  partition: 0,
  offset,
  timestamp: String(at),
  key: Buffer.from(id),
  value: Buffer.from('hello'),
  headers: {
    ...toCloudEventHeaders({ specversion: '1.0', id, source: '/t', type: 'conveyor.dl.request.v1', contentType: 'text/plain' }),
    'conveyor-timings': '{"first":3}',
    ...deadLetterHeaders({ code, message: `${code} happened`, stage, attempts: 3, origin: { topic: 'p.dl.requests', partition: 1, offset: '42' } }),
  },
});

describe('dead-letter tooling', () => {
  it('derives one dead-letter topic per stage input from the definitions, prefixed', () => {
    expect(deadLetterSources([pipeline], 'p.').map((s) => [s.topic, s.inputTopic, s.stages])).toEqual([
      ['p.dl.requests.dlq', 'p.dl.requests', ['first']],
      ['p.dl.mid.dlq', 'p.dl.mid', ['second']],
    ]);
  });

  it('reads a dead letter back: reason, origin, request id, and the original headers without the reason', () => {
    const letter = toDeadLetter(source, record('req-1', 'IMAGE_TOO_LARGE', 'first', 1_700_000_000_000, '7'));
    expect(letter).toMatchObject({
      position: 'p.dl.requests.dlq/0/7',
      pipeline: 'dl',
      requestId: 'req-1',
      stage: 'first',
      code: 'IMAGE_TOO_LARGE',
      attempts: 3,
      origin: { topic: 'p.dl.requests', partition: 1, offset: '42' },
      contentType: 'text/plain',
      resultKeyPrefix: 'conveyor:dl:result:',
    });
    expect(letter.time.toISOString()).toBe('2023-11-14T22:13:20.000Z');
    expect(Object.keys(originalHeaders(letter.headers)).sort()).toEqual(['ce_id', 'ce_source', 'ce_specversion', 'ce_type', 'content-type', 'conveyor-timings']);
  });

  it('keeps a message without reason headers, marked malformed and without origin', () => {
    const letter = toDeadLetter(source, { partition: 0, offset: '1', timestamp: '0', key: null, value: null, headers: {} });
    expect(letter.origin).toBeUndefined();
    expect(letter.requestId).toBeUndefined();
    expect(letter.malformed).toMatch(/missing Kafka header/);
  });

  it('filters by pipeline, stage, code (any case), time and id or position', () => {
    const a = toDeadLetter(source, record('a', 'IMAGE_TOO_LARGE', 'first', 1_000, '0'));
    const b = toDeadLetter(source, record('b', 'POISON', 'second', 5_000, '1'));
    expect(filterDeadLetters([a, b], {})).toEqual([a, b]);
    expect(filterDeadLetters([a, b], { code: 'poison' })).toEqual([b]);
    expect(filterDeadLetters([a, b], { stage: 'first' })).toEqual([a]);
    expect(filterDeadLetters([a, b], { since: new Date(2_000) })).toEqual([b]);
    expect(filterDeadLetters([a, b], { ids: ['a', 'p.dl.requests.dlq/0/1'] })).toEqual([a, b]);
    expect(filterDeadLetters([a, b], { pipelines: ['ocr'] })).toEqual([]);
  });

  it('parses --since as an ISO date or time, or an age', () => {
    const now = new Date('2026-11-30T12:00:00Z');
    expect(parseSince('30m', now).toISOString()).toBe('2026-11-30T11:30:00.000Z');
    expect(parseSince('2h', now).toISOString()).toBe('2026-11-30T10:00:00.000Z');
    expect(parseSince('1d', now).toISOString()).toBe('2026-11-29T12:00:00.000Z');
    expect(parseSince('2026-11-30T08:00:00Z').toISOString()).toBe('2026-11-30T08:00:00.000Z');
    expect(parseSince('2026-11-30').toISOString()).toBe('2026-11-30T00:00:00.000Z');
    expect(() => parseSince('yesterday')).toThrow(/--since wants/);
  });

  it('lists dead letters as a table, one a line, with the current result when known', () => {
    const a = toDeadLetter(source, record('a', 'IMAGE_TOO_LARGE', 'first', Date.parse('2026-11-30T08:00:00Z')));
    const table = formatDeadLetterTable([a], new Map([[a, 'failed' as const]]));
    expect(table.split('\n')[0]).toMatch(/^TIME\s+PIPELINE\s+STAGE\s+CODE\s+ATTEMPTS\s+REQUEST\s+ORIGIN\s+RESULT\s+MESSAGE$/);
    expect(table.split('\n')[1]).toMatch(/^2026-11-30T08:00:00Z\s+dl\s+first\s+IMAGE_TOO_LARGE\s+3\s+a\s+p\.dl\.requests\/1\/42\s+failed\s+IMAGE_TOO_LARGE happened$/);
  });
});
