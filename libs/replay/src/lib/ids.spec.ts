import { copierGroup, newRunId, originalRequestId, replayHeaders, replayRequestId, replayTopicPrefix, runIdProblem } from './ids';

describe('run ids', () => {
  it.each([
    ['r20261130-081500-3fa9', true],
    ['canary_2', true],
    ['a', true],
    ['x'.repeat(64), true],
    ['x'.repeat(65), false],
    ['', false],
    ['-lead', false],
    ['has.dot', false],
    ['has space', false],
    ['ümlaut', false],
  ])('%j valid: %s', (id, valid) => {
    expect(runIdProblem(id) === undefined).toBe(valid);
  });

  it('a new run id is valid and sortable by time', () => {
    const id = newRunId(new Date('2026-11-30T08:15:00.123Z'), () => '3fa9');
    expect(id).toBe('r20261130-081500-3fa9');
    expect(runIdProblem(newRunId())).toBeUndefined();
  });

  it.each([
    ['', 'r1', 'replay.r1.', 'conveyor-replay-r1'],
    ['staging.', 'r1', 'staging.replay.r1.', 'staging.conveyor-replay-r1'],
  ])('live prefix %j, run %s: topics under %s, copier group %s', (live, run, prefix, group) => {
    expect(replayTopicPrefix(live, run)).toBe(prefix);
    expect(copierGroup(live, run)).toBe(group);
  });
});

describe('replayRequestId', () => {
  it.each([
    ['r1', 'abc', { ok: true, id: 'r1.abc' }],
    ['r1', '3b241101-e2bb-4255-8caf-4136c566a962', { ok: true, id: 'r1.3b241101-e2bb-4255-8caf-4136c566a962' }],
    ['r1', 'x'.repeat(253), { ok: true, id: `r1.${'x'.repeat(253)}` }],
  ])('%s + %s', (run, original, expected) => {
    expect(replayRequestId(run, original)).toEqual(expected);
  });

  it.each([
    ['r1', 'x'.repeat(254), /would be 257 characters, over the 256/],
    ['r1', 'a b', /visible ASCII/],
  ])('refuses %s + %j', (run, original, reason) => {
    const made = replayRequestId(run, original);
    expect(made.ok).toBe(false);
    expect(made.ok ? '' : made.reason).toMatch(reason);
  });
});

describe('originalRequestId', () => {
  it.each([
    [{ ce_id: 'a' }, 'k', 'a'],
    [{ ce_id: Buffer.from('b') }, null, 'b'],
    [{}, Buffer.from('key-id'), 'key-id'],
    [{}, null, undefined],
    [{ ce_id: '' }, null, undefined],
  ])('headers %j, key %j -> %j', (headers, key, id) => {
    expect(originalRequestId(headers, typeof key === 'string' ? Buffer.from(key) : key)).toBe(id);
  });
});

describe('replayHeaders', () => {
  it('keeps the original headers, rewrites ce_id, drops trace context and what stages added, marks the replay', () => {
    const original = {
      ce_specversion: Buffer.from('1.0'),
      ce_id: Buffer.from('abc'),
      ce_source: Buffer.from('/my-app'),
      ce_type: Buffer.from('conveyor.ocr.request.v1'),
      'content-type': Buffer.from('image/png'),
      traceparent: Buffer.from('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'),
      tracestate: 'x=1',
      'conveyor-timings': '{"preprocess":3}',
      'x-tenant': [Buffer.from('a'), Buffer.from('b')],
      'conveyor-replay-of': 'older',
    };
    const headers = replayHeaders(original, 'r1.abc', 'abc', 'r1');
    expect(Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : String(v)]))).toEqual({
      ce_specversion: '1.0',
      ce_id: 'r1.abc',
      ce_source: '/my-app',
      ce_type: 'conveyor.ocr.request.v1',
      'content-type': 'image/png',
      'x-tenant': ['a', 'b'],
      'conveyor-replay-of': 'abc',
      'conveyor-replay-run': 'r1',
    });
    // Copies, not the slices kafkajs hands out.
    expect(headers['ce_source']).not.toBe(original.ce_source);
  });

  it('reads header names as the stages do, whatever their case', () => {
    expect(replayHeaders({ CE_ID: 'abc', TraceParent: 't' }, 'r1.abc', 'abc', 'r1')).toEqual({ ce_id: 'r1.abc', 'conveyor-replay-of': 'abc', 'conveyor-replay-run': 'r1' });
  });
});
