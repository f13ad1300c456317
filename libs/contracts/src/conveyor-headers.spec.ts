import {
  ConveyorHeader,
  deadLetterHeaders,
  formatOrigin,
  formatTimings,
  parseDeadLetterReason,
  parseOrigin,
  parseTimings,
  TimingLimits,
  validateTimings,
  withTiming,
  type DeadLetterReason,
} from './conveyor-headers';
import { expectContractError } from './expect-contract-error.test-support';

describe('origin', () => {
  it.each([
    [{ topic: 'ocr.requests', partition: 0, offset: '0' }, 'ocr.requests/0/0'],
    [{ topic: 'ocr.regions', partition: 11, offset: '9223372036854775807' }, 'ocr.regions/11/9223372036854775807'],
  ])('formats and parses %j', (origin, text) => {
    expect(formatOrigin(origin)).toBe(text);
    expect(parseOrigin(text)).toEqual(origin);
  });

  it('formats numeric and bigint offsets as decimal strings', () => {
    expect(formatOrigin({ topic: 't', partition: 1, offset: 42 })).toBe('t/1/42');
    expect(formatOrigin({ topic: 't', partition: 1, offset: 2n ** 60n })).toBe('t/1/1152921504606846976');
  });

  const prefix = 'Kafka header "conveyor-origin" must be <topic>/<partition>/<offset>: ';
  it.each([
    ['ocr.requests/0', `${prefix}expected 3 parts separated by "/", found 2 (got "ocr.requests/0")`],
    ['a/b/c/d', `${prefix}expected 3 parts separated by "/", found 4 (got "a/b/c/d")`],
    ['/0/1', `${prefix}"" is not a valid topic name (got "/0/1")`],
    ['t/-1/5', `${prefix}partition "-1" is not an int32 >= 0 (got "t/-1/5")`],
    ['t/01/5', `${prefix}partition "01" is not an int32 >= 0 (got "t/01/5")`],
    ['t/2147483648/5', `${prefix}partition "2147483648" is not an int32 >= 0 (got "t/2147483648/5")`],
    ['t/0/x', `${prefix}offset "x" is not an int64 >= 0 (got "t/0/x")`],
    ['t/0/-1', `${prefix}offset "-1" is not an int64 >= 0 (got "t/0/-1")`],
    [
      't/0/9223372036854775808',
      `${prefix}offset "9223372036854775808" is not an int64 >= 0 (got "t/0/9223372036854775808")`,
    ],
  ])('parseOrigin(%j) rejects', (text, message) => {
    expectContractError(() => parseOrigin(text), 'INVALID_HEADER', message);
  });

  it('refuses to format an origin it could not parse back', () => {
    expectContractError(
      () => formatOrigin({ topic: 'bad topic', partition: 0, offset: '1' }),
      'INVALID_HEADER',
      /not a valid topic name/,
    );
    expectContractError(
      () => formatOrigin({ topic: 't', partition: -1, offset: '1' }),
      'INVALID_HEADER',
      /partition "-1"/,
    );
  });
});

describe('timings', () => {
  it.each([
    [{}, {}],
    [{ [ConveyorHeader.timings]: '{"preprocess":12.5}' }, { preprocess: 12.5 }],
    [{ [ConveyorHeader.timings]: Buffer.from('{"preprocess":1,"features":0}') }, { preprocess: 1, features: 0 }],
    [{ [ConveyorHeader.timings]: '{}' }, {}],
  ])('parseTimings(%j)', (headers, expected) => {
    expect(parseTimings(headers)).toEqual(expected);
  });

  const h = 'Kafka header "conveyor-timings" ';
  it.each([
    ['not json', `${h}is not valid JSON (got "not json")`],
    ['[1,2]', `${h}must be a JSON object of stage -> ms (got [1,2])`],
    ['null', `${h}must be a JSON object of stage -> ms (got null)`],
    ['{"preprocess":-1}', `${h}entry "preprocess" must be a number of ms in [0, 604800000] (got -1)`],
    ['{"preprocess":"5"}', `${h}entry "preprocess" must be a number of ms in [0, 604800000] (got "5")`],
    ['{"preprocess":1e12}', `${h}entry "preprocess" must be a number of ms in [0, 604800000] (got 1000000000000)`],
    ['{"bad stage":1}', `${h}has an invalid stage name "bad stage": use 1-64 letters, digits, ".", "_", "-"`],
    ['{"__proto__":1}', `${h}has an invalid stage name "__proto__": use 1-64 letters, digits, ".", "_", "-"`],
    [
      JSON.stringify(Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`s${i}`, i]))),
      `${h}has 33 entries, over the limit of 32`,
    ],
    [`{"a":"${'x'.repeat(5000)}"}`, `${h}is 5008 bytes, over the limit of 4096`],
  ])('parseTimings rejects %j', (raw, message) => {
    expectContractError(() => parseTimings({ [ConveyorHeader.timings]: raw }), 'INVALID_HEADER', message);
  });

  it('withTiming adds a stage without touching the input', () => {
    const before = { preprocess: 10 };
    const after = withTiming(before, 'features', 20.1234567);
    expect(after).toEqual({ preprocess: 10, features: 20.123 });
    expect(before).toEqual({ preprocess: 10 });
  });

  it('withTiming replaces the entry of a stage seen again', () => {
    expect(withTiming({ preprocess: 10, features: 3 }, 'preprocess', 4)).toEqual({ preprocess: 4, features: 3 });
  });

  it('withTiming accepts a stage named like an Object.prototype member', () => {
    expect(withTiming({}, 'constructor', 1)).toEqual({ constructor: 1 });
  });

  it.each([
    [{}, 'bad stage', 1, `${h}has an invalid stage name "bad stage": use 1-64 letters, digits, ".", "_", "-"`],
    [{}, 'inference', NaN, `${h}entry "inference" must be a number of ms in [0, 604800000] (got null)`],
    [{}, 'inference', -0.5, `${h}entry "inference" must be a number of ms in [0, 604800000] (got -0.5)`],
    [
      Object.fromEntries(Array.from({ length: TimingLimits.maxStages }, (_, i) => [`s${i}`, i])),
      'one-more',
      1,
      `${h}would exceed 32 entries when adding "one-more"`,
    ],
  ])('withTiming(%j, %j, %d) rejects', (timings, stage, ms, message) => {
    expectContractError(() => withTiming(timings, stage, ms), 'INVALID_HEADER', message);
  });

  it('formatTimings writes the JSON parseTimings reads', () => {
    const timings = withTiming(withTiming({}, 'preprocess', 1.5), 'inference', 30);
    const text = formatTimings(timings);
    expect(text).toBe('{"preprocess":1.5,"inference":30}');
    expect(parseTimings({ [ConveyorHeader.timings]: text })).toEqual(timings);
    expect(validateTimings(timings)).toEqual(timings);
  });
});

describe('dead-letter headers', () => {
  const reason: DeadLetterReason = {
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'content-type "text/plain" is not a supported image type',
    stage: 'preprocess',
    attempts: 1,
    origin: { topic: 'ocr.requests', partition: 2, offset: '17' },
  };

  it('writes every reason header', () => {
    expect(deadLetterHeaders(reason)).toEqual({
      'conveyor-error-code': 'UNSUPPORTED_MEDIA_TYPE',
      'conveyor-error-message': 'content-type "text/plain" is not a supported image type',
      'conveyor-stage': 'preprocess',
      'conveyor-attempts': '1',
      'conveyor-origin': 'ocr.requests/2/17',
    });
  });

  it('reads them back from Buffers', () => {
    const headers = Object.fromEntries(Object.entries(deadLetterHeaders(reason)).map(([k, v]) => [k, Buffer.from(v)]));
    expect(parseDeadLetterReason(headers)).toEqual(reason);
  });

  it('shortens a huge error message', () => {
    const headers = deadLetterHeaders({ ...reason, message: 'x'.repeat(10_000) });
    expect(headers['conveyor-error-message']).toHaveLength(2000);
    expect(headers['conveyor-error-message'].endsWith('…')).toBe(true);
  });

  it.each([
    [{ code: 'has space' }, 'dead-letter error code must be 1-64 of [A-Za-z0-9_.-] (got "has space")'],
    [{ stage: '' }, 'dead-letter stage name is invalid (got "")'],
    [{ attempts: 0 }, 'dead-letter attempts must be an integer >= 1 (got 0)'],
  ])('refuses a reason with %j', (change, message) => {
    expectContractError(() => deadLetterHeaders({ ...reason, ...change }), 'INVALID_HEADER', message);
  });

  it('names a missing or bad reason header', () => {
    const headers = deadLetterHeaders(reason);
    expectContractError(
      () => parseDeadLetterReason({ ...headers, 'conveyor-stage': undefined }),
      'MISSING_HEADER',
      'missing Kafka header "conveyor-stage" on a dead letter',
    );
    expectContractError(
      () => parseDeadLetterReason({ ...headers, 'conveyor-attempts': 'two' }),
      'INVALID_HEADER',
      'Kafka header "conveyor-attempts" must be an integer >= 1 (got "two")',
    );
  });
});
