import {
  CloudEventHeader,
  cloudEventSource,
  cloudEventType,
  headerString,
  headerStrings,
  isRfc3339,
  isUriReference,
  isValidTraceparent,
  newCloudEventAttributes,
  newRequestId,
  parseCloudEventHeaders,
  parseCloudEventType,
  readCloudEventHeaders,
  toCloudEventHeaders,
  type CloudEventAttributes,
  type KafkaHeaders,
} from './cloudevents';
import { type ContractErrorCode } from './errors';
import { expectContractError } from './expect-contract-error.test-support';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

const minimal: KafkaHeaders = {
  ce_specversion: '1.0',
  ce_id: 'req-1',
  ce_source: '/conveyor/cli',
  ce_type: 'conveyor.ocr.requests.v1',
};

describe('headerString', () => {
  it.each<{ name: string; headers: KafkaHeaders | undefined; expected: string | undefined }>([
    { name: 'a string value', headers: { a: 'x' }, expected: 'x' },
    { name: 'a Buffer value, decoded as UTF-8', headers: { a: Buffer.from('größe', 'utf8') }, expected: 'größe' },
    { name: 'the first of repeated values', headers: { a: [Buffer.from('one'), 'two'] }, expected: 'one' },
    {
      name: 'the first defined of repeated values',
      headers: { a: [undefined as unknown as string, 'two'] },
      expected: 'two',
    },
    { name: 'an empty array', headers: { a: [] }, expected: undefined },
    { name: 'an absent header', headers: { b: 'x' }, expected: undefined },
    { name: 'an undefined value', headers: { a: undefined }, expected: undefined },
    { name: 'no headers at all', headers: undefined, expected: undefined },
    { name: 'an empty string', headers: { a: '' }, expected: '' },
    { name: 'a differently cased name', headers: { A: 'upper' }, expected: 'upper' },
    { name: 'the exact name before another casing', headers: { A: 'upper', a: 'exact' }, expected: 'exact' },
    { name: 'not an inherited property', headers: {}, expected: undefined },
  ])('reads $name', ({ headers, expected }) => {
    expect(headerString(headers, 'a')).toBe(expected);
  });

  it('does not read Object.prototype members as headers', () => {
    expect(headerString({}, 'constructor')).toBeUndefined();
  });

  it('headerStrings returns every value', () => {
    expect(headerStrings({ a: ['1', Buffer.from('2')] }, 'a')).toEqual(['1', '2']);
    expect(headerStrings({ a: '1' }, 'a')).toEqual(['1']);
    expect(headerStrings({}, 'a')).toEqual([]);
  });
});

describe('parseCloudEventHeaders', () => {
  it('reads the required attributes from strings', () => {
    expect(parseCloudEventHeaders(minimal)).toEqual({
      specversion: '1.0',
      id: 'req-1',
      source: '/conveyor/cli',
      type: 'conveyor.ocr.requests.v1',
    });
  });

  it('reads every attribute from Buffers, as kafkajs delivers them', () => {
    const headers: KafkaHeaders = Object.fromEntries(
      Object.entries({
        ...minimal,
        ce_time: '2026-05-01T12:30:00.123Z',
        ce_subject: 'page-1.png',
        'content-type': 'image/png',
        traceparent: TRACEPARENT,
        tracestate: 'congo=t61rcWkgMzE',
        'conveyor-claim': 'ignored',
      }).map(([k, v]) => [k, Buffer.from(v as string)]),
    );
    expect(parseCloudEventHeaders(headers)).toEqual({
      specversion: '1.0',
      id: 'req-1',
      source: '/conveyor/cli',
      type: 'conveyor.ocr.requests.v1',
      time: '2026-05-01T12:30:00.123Z',
      subject: 'page-1.png',
      contentType: 'image/png',
      traceparent: TRACEPARENT,
      tracestate: 'congo=t61rcWkgMzE',
    });
  });

  it('takes the first value of a repeated header', () => {
    expect(parseCloudEventHeaders({ ...minimal, ce_id: ['first', 'second'] }).id).toBe('first');
  });

  it.each<{ name: string; headers: KafkaHeaders; code: ContractErrorCode; message: string }>([
    {
      name: 'missing specversion',
      headers: { ...minimal, ce_specversion: undefined },
      code: 'MISSING_HEADER',
      message: 'missing Kafka header "ce_specversion" (CloudEvents attribute specversion)',
    },
    {
      name: 'old specversion',
      headers: { ...minimal, ce_specversion: '0.3' },
      code: 'INVALID_HEADER',
      message: 'Kafka header "ce_specversion" must be "1.0" (got "0.3")',
    },
    {
      name: 'missing id',
      headers: { ...minimal, ce_id: undefined },
      code: 'MISSING_HEADER',
      message: 'missing Kafka header "ce_id" (CloudEvents attribute id)',
    },
    {
      name: 'empty id',
      headers: { ...minimal, ce_id: '' },
      code: 'INVALID_HEADER',
      message: 'Kafka header "ce_id" must not be empty (got "")',
    },
    {
      name: 'id with a space',
      headers: { ...minimal, ce_id: 'a b' },
      code: 'INVALID_HEADER',
      message: 'Kafka header "ce_id" must be visible ASCII without spaces (character 1 is not) (got "a b")',
    },
    {
      name: 'id with non-ASCII',
      headers: { ...minimal, ce_id: Buffer.from('idé') },
      code: 'INVALID_HEADER',
      message: 'Kafka header "ce_id" must be visible ASCII without spaces (character 2 is not) (got "idé")',
    },
    {
      name: 'id over 256 chars',
      headers: { ...minimal, ce_id: 'x'.repeat(257) },
      code: 'INVALID_HEADER',
      message: `Kafka header "ce_id" must be at most 256 chars long, not 257 (got "${'x'.repeat(79)}…(259 chars))`,
    },
    {
      name: 'missing source',
      headers: { ...minimal, ce_source: undefined },
      code: 'MISSING_HEADER',
      message: 'missing Kafka header "ce_source" (CloudEvents attribute source)',
    },
    {
      name: 'empty source',
      headers: { ...minimal, ce_source: '' },
      code: 'INVALID_HEADER',
      message: 'Kafka header "ce_source" must not be empty (got "")',
    },
    {
      name: 'source with a space',
      headers: { ...minimal, ce_source: '/my source' },
      code: 'INVALID_HEADER',
      message: 'Kafka header "ce_source" must be a URI-reference (RFC 3986) (got "/my source")',
    },
    {
      name: 'source with a broken percent-escape',
      headers: { ...minimal, ce_source: '/a%zz' },
      code: 'INVALID_HEADER',
      message: 'Kafka header "ce_source" must be a URI-reference (RFC 3986) (got "/a%zz")',
    },
    {
      name: 'missing type',
      headers: { ...minimal, ce_type: undefined },
      code: 'MISSING_HEADER',
      message: 'missing Kafka header "ce_type" (CloudEvents attribute type)',
    },
    {
      name: 'empty type',
      headers: { ...minimal, ce_type: Buffer.alloc(0) },
      code: 'INVALID_HEADER',
      message: 'Kafka header "ce_type" must not be empty (got "")',
    },
    {
      name: 'type with a newline',
      headers: { ...minimal, ce_type: 'a\nb' },
      code: 'INVALID_HEADER',
      message: 'Kafka header "ce_type" must not contain control characters (got "a\\nb")',
    },
    {
      name: 'time that is not RFC 3339',
      headers: { ...minimal, ce_time: 'yesterday' },
      code: 'INVALID_HEADER',
      message: 'Kafka header "ce_time" must be an RFC 3339 timestamp (got "yesterday")',
    },
    {
      name: 'time without an offset',
      headers: { ...minimal, ce_time: '2026-05-01T12:00:00' },
      code: 'INVALID_HEADER',
      message: 'Kafka header "ce_time" must be an RFC 3339 timestamp (got "2026-05-01T12:00:00")',
    },
    {
      name: 'an empty content-type',
      headers: { ...minimal, 'content-type': '' },
      code: 'INVALID_HEADER',
      message: 'Kafka header "content-type" must not be empty (got "")',
    },
  ])('rejects $name', ({ headers, code, message }) => {
    expectContractError(() => parseCloudEventHeaders(headers), code, message);
  });

  it.each([
    ['a malformed traceparent', 'not-a-trace', 'not a W3C traceparent: "not-a-trace"'],
    [
      'an all-zero trace id',
      `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
      expect.stringContaining('not a W3C traceparent'),
    ],
  ])('drops %s and its tracestate instead of failing', (_name, traceparent, reason) => {
    const read = readCloudEventHeaders({ ...minimal, traceparent, tracestate: 'a=b' });
    expect(read.attributes.traceparent).toBeUndefined();
    expect(read.attributes.tracestate).toBeUndefined();
    expect(read.ignored).toEqual([
      { header: 'traceparent', reason },
      { header: 'tracestate', reason: 'traceparent was invalid' },
    ]);
  });

  it('drops a tracestate that came without a traceparent', () => {
    const read = readCloudEventHeaders({ ...minimal, tracestate: 'a=b' });
    expect(read.attributes.tracestate).toBeUndefined();
    expect(read.ignored).toEqual([{ header: 'tracestate', reason: 'no traceparent came with it' }]);
  });
});

describe('attribute value checks', () => {
  it.each([
    [TRACEPARENT, true],
    ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00', true],
    ['01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future', true], // later versions may append fields
    ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra', false], // version 00 may not
    ['ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', false],
    ['00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01', false], // upper-case hex
    [`00-${'0'.repeat(32)}-00f067aa0ba902b7-01`, false],
    ['00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01', false],
    ['00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01', false], // short trace id
    ['', false],
  ])('isValidTraceparent(%j) = %s', (value, expected) => {
    expect(isValidTraceparent(value)).toBe(expected);
  });

  it.each([
    ['2026-05-01T12:30:00Z', true],
    ['2026-05-01t12:30:00.5z', true],
    ['2026-05-01T12:30:00.123456789+05:30', true],
    ['2016-12-31T23:59:60Z', true], // leap second
    ['2024-02-29T00:00:00Z', true],
    ['2023-02-29T00:00:00Z', false],
    ['2026-13-01T00:00:00Z', false],
    ['2026-04-31T00:00:00Z', false],
    ['2026-05-01T24:00:00Z', false],
    ['2026-05-01T12:30:00+24:00', false],
    ['2026-05-01 12:30:00Z', false],
    ['2026-05-01', false],
  ])('isRfc3339(%j) = %s', (value, expected) => {
    expect(isRfc3339(value)).toBe(expected);
  });

  it.each([
    ['/conveyor/preprocess', true],
    ['https://example.com/ocr?x=1#f', true],
    ['urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66', true],
    ['relative/path%20ok', true],
    ['has space', false],
    ['1bad:scheme', false],
    ['/ü', false],
  ])('isUriReference(%j) = %s', (value, expected) => {
    expect(isUriReference(value)).toBe(expected);
  });
});

describe('toCloudEventHeaders', () => {
  const full: CloudEventAttributes = {
    specversion: '1.0',
    id: 'req-1',
    source: '/conveyor/preprocess',
    type: 'conveyor.ocr.preprocessed.v1',
    time: '2026-05-01T12:30:00Z',
    subject: 'page-1',
    contentType: 'application/vnd.safetensors',
    traceparent: TRACEPARENT,
    tracestate: 'a=b',
  };

  it('maps every attribute to its binary-mode header', () => {
    expect(toCloudEventHeaders(full)).toEqual({
      ce_specversion: '1.0',
      ce_id: 'req-1',
      ce_source: '/conveyor/preprocess',
      ce_type: 'conveyor.ocr.preprocessed.v1',
      ce_time: '2026-05-01T12:30:00Z',
      ce_subject: 'page-1',
      'content-type': 'application/vnd.safetensors',
      traceparent: TRACEPARENT,
      tracestate: 'a=b',
    });
  });

  it('round-trips through parseCloudEventHeaders', () => {
    expect(parseCloudEventHeaders(toCloudEventHeaders(full))).toEqual(full);
  });

  it('leaves absent optional attributes out', () => {
    expect(Object.keys(toCloudEventHeaders({ specversion: '1.0', id: 'a', source: '/s', type: 't' }))).toEqual([
      'ce_specversion',
      'ce_id',
      'ce_source',
      'ce_type',
    ]);
  });

  it.each<{ name: string; attrs: CloudEventAttributes; message: string }>([
    { name: 'an invalid id', attrs: { ...full, id: '' }, message: 'Kafka header "ce_id" must not be empty (got "")' },
    {
      name: 'an invalid traceparent (our own bug, so not dropped)',
      attrs: { ...full, traceparent: 'x' },
      message: 'Kafka header "traceparent" must be a W3C traceparent (got "x")',
    },
    {
      name: 'a tracestate without traceparent',
      attrs: { ...full, traceparent: undefined },
      message: 'Kafka header "tracestate" needs a traceparent beside it (got "a=b")',
    },
    {
      name: 'a bad time',
      attrs: { ...full, time: '1 May' },
      message: 'Kafka header "ce_time" must be an RFC 3339 timestamp (got "1 May")',
    },
  ])('refuses $name', ({ attrs, message }) => {
    expectContractError(() => toCloudEventHeaders(attrs), 'INVALID_HEADER', message);
  });
});

describe('ids, types and sources', () => {
  it('newRequestId returns distinct UUIDs that are valid ce_ids', () => {
    const a = newRequestId();
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(newRequestId()).not.toBe(a);
  });

  it.each([
    ['ocr.regions', 1, 'conveyor.ocr.regions.v1'],
    ['ocr.results', 2, 'conveyor.ocr.results.v2'],
    ['preprocess', 1, 'conveyor.preprocess.v1'],
  ])('cloudEventType(%j, %d) = %j', (name, version, expected) => {
    expect(cloudEventType(name, version)).toBe(expected);
    expect(parseCloudEventType(expected)).toEqual({ name, version });
  });

  it('defaults to version 1', () => {
    expect(cloudEventType('ocr.recognized')).toBe('conveyor.ocr.recognized.v1');
  });

  it.each([
    [
      '',
      1,
      'CloudEvent type name must start with a letter or digit and use only letters, digits, ".", "_", "-" (got "")',
    ],
    [
      'a b',
      1,
      'CloudEvent type name must start with a letter or digit and use only letters, digits, ".", "_", "-" (got "a b")',
    ],
    ['ocr', 0, 'CloudEvent type version must be a positive integer (got 0)'],
    ['ocr', 1.5, 'CloudEvent type version must be a positive integer (got 1.5)'],
  ])('cloudEventType(%j, %d) throws', (name, version, message) => {
    expectContractError(() => cloudEventType(name, version), 'INVALID_HEADER', message);
  });

  it.each(['com.example.thing', 'conveyor.ocr.v0', 'conveyor.ocr'])('parseCloudEventType(%j) is undefined', (type) => {
    expect(parseCloudEventType(type)).toBeUndefined();
  });

  it('cloudEventSource makes a URI-reference per component', () => {
    expect(cloudEventSource('features')).toBe('/conveyor/features');
    expectContractError(
      () => cloudEventSource('a/b'),
      'INVALID_HEADER',
      'CloudEvent source component must be one URI path segment (got "a/b")',
    );
  });

  it('newCloudEventAttributes fills specversion, id and time', () => {
    const attrs = newCloudEventAttributes({
      source: '/conveyor/cli',
      type: 'conveyor.ocr.requests.v1',
      contentType: 'image/png',
    });
    expect(attrs).toEqual({
      specversion: '1.0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      source: '/conveyor/cli',
      type: 'conveyor.ocr.requests.v1',
      contentType: 'image/png',
      time: expect.any(String),
    });
    expect(isRfc3339(attrs.time!)).toBe(true);
    expect('subject' in attrs).toBe(false);
    expect(toCloudEventHeaders(attrs)[CloudEventHeader.contentType]).toBe('image/png');
  });

  it('newCloudEventAttributes keeps a given id and time', () => {
    const attrs = newCloudEventAttributes({ id: 'r1', source: '/s', type: 't', time: new Date(Date.UTC(2026, 0, 2)) });
    expect(attrs).toMatchObject({ id: 'r1', time: '2026-01-02T00:00:00.000Z' });
  });
});
