import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import {
  booleanVar,
  brokersVar,
  durationMs,
  enumList,
  enumVar,
  kafkaNameVar,
  logLevelVar,
  nonNegativeInt,
  pathVar,
  portVar,
  positiveInt,
  redactUrl,
  topicPrefixVar,
  urlVar,
} from './fields';

/** The value, or the one message the field reports for `raw`. */
function run(schema: z.ZodType, raw: string | undefined): { value: unknown } | { error: string } {
  const result = schema.safeParse(raw);
  if (result.success) return { value: result.data };
  expect(result.error.issues).toHaveLength(1);
  return { error: result.error.issues[0].message };
}

type Case = [raw: string | undefined, expected: { value: unknown } | { error: string }];

function table(name: string, schema: z.ZodType, cases: Case[]): void {
  describe(name, () => {
    it.each(cases)('%j -> %j', (raw, expected) => {
      expect(run(schema, raw)).toEqual(expected);
    });
  });
}

const notSet: Case = [undefined, { error: 'is required but not set' }];

table('brokersVar', brokersVar(), [
  ['127.0.0.1:9092', { value: ['127.0.0.1:9092'] }],
  ['kafka-0.kafka:9092, kafka-1.kafka:9093', { value: ['kafka-0.kafka:9092', 'kafka-1.kafka:9093'] }],
  ['[::1]:9092', { value: ['[::1]:9092'] }],
  ['my_kafka:9092', { value: ['my_kafka:9092'] }],
  ['kafka', { error: 'must be a comma-separated list of host:port (got "kafka": "kafka" has no port)' }],
  ['kafka:', { error: 'must be a comma-separated list of host:port (got "kafka:": "" is not a port from 1 to 65535)' }],
  [
    'kafka:0',
    { error: 'must be a comma-separated list of host:port (got "kafka:0": "0" is not a port from 1 to 65535)' },
  ],
  [
    'kafka:65536',
    { error: 'must be a comma-separated list of host:port (got "kafka:65536": "65536" is not a port from 1 to 65535)' },
  ],
  ['a:1,,b:2', { error: 'must be a comma-separated list of host:port (got "a:1,,b:2": empty entry)' }],
  [
    'ka fka:1',
    { error: 'must be a comma-separated list of host:port (got "ka fka:1": "ka fka" is not a host name or address)' },
  ],
  ['::1:9092', { error: 'must be a comma-separated list of host:port (got "::1:9092": "::1:9092" is not host:port)' }],
  [
    'kafka://k:9092',
    { error: 'must be a comma-separated list of host:port (got "kafka://k:9092": "kafka://k:9092" is not host:port)' },
  ],
  notSet,
]);

table('urlVar (Redis)', urlVar(), [
  ['redis://127.0.0.1:6379', { value: 'redis://127.0.0.1:6379' }],
  ['rediss://user:pw@cache.example:6380/2', { value: 'rediss://user:pw@cache.example:6380/2' }],
  [' redis://r:6379 ', { value: 'redis://r:6379' }],
  ['http://r:6379', { error: 'must be a redis:// or rediss:// URL (got "http://r:6379": scheme http)' }],
  ['localhost:6379', { error: 'must be a redis:// or rediss:// URL (got "localhost:6379": scheme localhost)' }],
  ['127.0.0.1:6379', { error: 'must be a redis:// or rediss:// URL (got "127.0.0.1:6379": not a URL)' }],
  ['redis://:hunter2@', { error: 'must be a redis:// or rediss:// URL (got "redis://:***@": not a URL)' }],
  notSet,
]);

table('urlVar (http)', urlVar(['http', 'https']), [
  ['https://otel:4318', { value: 'https://otel:4318' }],
  ['redis://r', { error: 'must be a http:// or https:// URL (got "redis://r": scheme redis)' }],
]);

describe('redactUrl', () => {
  it.each([
    ['redis://:secret@host:6379', 'redis://:***@host:6379'],
    ['redis://user:secret@host', 'redis://user:***@host'],
    ['redis://user@host', 'redis://user@host'],
    ['redis://host:6379', 'redis://host:6379'],
    ['not a url:pw@x', 'not a url:pw@x'],
  ])('%j -> %j', (raw, expected) => {
    expect(redactUrl(raw)).toBe(expected);
  });
});

table('portVar', portVar(), [
  ['0', { value: 0 }],
  ['8080', { value: 8080 }],
  ['65535', { value: 65535 }],
  ['65536', { error: 'must be a port number from 0 (any free port) to 65535 (got "65536")' }],
  ['-1', { error: 'must be a port number from 0 (any free port) to 65535 (got "-1")' }],
  ['80.5', { error: 'must be a port number from 0 (any free port) to 65535 (got "80.5")' }],
  ['http', { error: 'must be a port number from 0 (any free port) to 65535 (got "http")' }],
  notSet,
]);

table('portVar without zero', portVar({ allowZero: false }), [
  ['1', { value: 1 }],
  ['0', { error: 'must be a port number from 1 to 65535 (got "0")' }],
]);

table('positiveInt', positiveInt(), [
  ['1', { value: 1 }],
  ['86400', { value: 86400 }],
  ['0', { error: 'must be a positive integer (got "0")' }],
  ['-5', { error: 'must be a positive integer (got "-5")' }],
  ['1e3', { error: 'must be a positive integer (got "1e3")' }],
  ['1.0', { error: 'must be a positive integer (got "1.0")' }],
  ['9007199254740992', { error: 'must be a positive integer (got "9007199254740992")' }],
  ['', { error: 'must be a positive integer (got "")' }],
  notSet,
]);

table('positiveInt with max', positiveInt({ max: 64 }), [
  ['64', { value: 64 }],
  ['65', { error: 'must be an integer from 1 to 64 (got "65")' }],
]);

table('nonNegativeInt', nonNegativeInt(), [
  ['0', { value: 0 }],
  ['7', { value: 7 }],
  ['-1', { error: 'must be a non-negative integer (got "-1")' }],
]);

table('nonNegativeInt with max', nonNegativeInt({ max: 3 }), [
  ['4', { error: 'must be an integer from 0 to 3 (got "4")' }],
]);

const durationError = (raw: string) => ({
  error: `must be a duration in milliseconds, e.g. 500, 500ms, 1.5s, 5m or 1h (got ${JSON.stringify(raw)})`,
});
table('durationMs', durationMs(), [
  ['0', { value: 0 }],
  ['500', { value: 500 }],
  ['500ms', { value: 500 }],
  ['1.5s', { value: 1500 }],
  ['30 s', { value: 30000 }],
  ['5m', { value: 300000 }],
  ['1h', { value: 3600000 }],
  ['0.4', { value: 0 }],
  ['5x', durationError('5x')],
  ['-1s', durationError('-1s')],
  ['1d', durationError('1d')],
  ['s', durationError('s')],
  notSet,
]);

table('durationMs with max', durationMs({ max: 1000 }), [
  ['1s', { value: 1000 }],
  ['2s', { error: 'must be a duration of at most 1000ms in milliseconds, e.g. 500, 500ms, 1.5s, 5m or 1h (got "2s")' }],
]);

table('booleanVar', booleanVar(), [
  ['true', { value: true }],
  ['TRUE', { value: true }],
  ['1', { value: true }],
  ['false', { value: false }],
  ['0', { value: false }],
  ['yes', { error: 'must be true, false, 1 or 0 (got "yes")' }],
  notSet,
]);

table('enumList', enumList(['cuda', 'cpu']), [
  ['cuda,cpu', { value: ['cuda', 'cpu'] }],
  ['cpu', { value: ['cpu'] }],
  [' CUDA , cpu ', { value: ['cuda', 'cpu'] }],
  ['tpu', { error: 'must be a comma-separated list of cuda, cpu (got "tpu": unknown "tpu")' }],
  ['cuda,tpu', { error: 'must be a comma-separated list of cuda, cpu (got "cuda,tpu": unknown "tpu")' }],
  ['cpu,cpu', { error: 'must be a comma-separated list of cuda, cpu (got "cpu,cpu": "cpu" is listed twice)' }],
  ['cuda,', { error: 'must be a comma-separated list of cuda, cpu (got "cuda,": empty entry)' }],
  notSet,
]);

table('enumVar', enumVar(['fast', 'accurate']), [
  ['Fast', { value: 'fast' }],
  ['slow', { error: 'must be one of fast, accurate (got "slow")' }],
]);

table('logLevelVar', logLevelVar(), [
  ['info', { value: 'info' }],
  ['DEBUG', { value: 'debug' }],
  ['silent', { value: 'silent' }],
  ['verbose', { error: 'must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")' }],
]);

table('kafkaNameVar', kafkaNameVar(), [
  ['conveyor-preprocess', { value: 'conveyor-preprocess' }],
  ['a b', { error: 'must be 1-249 characters of A-Z a-z 0-9 . _ - (got "a b")' }],
]);

table('topicPrefixVar', topicPrefixVar(), [
  ['', { value: '' }],
  ['t42.', { value: 't42.' }],
  ['a/b', { error: 'must be at most 200 characters of A-Z a-z 0-9 . _ - (got "a/b")' }],
  ['x'.repeat(201), { error: `must be at most 200 characters of A-Z a-z 0-9 . _ - (got "${'x'.repeat(119)}…)` }],
]);

describe('pathVar', () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'conveyor-config-'));
    file = join(dir, 'model.onnx');
    writeFileSync(file, 'x');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('resolves a relative path against the working directory', () => {
    expect(run(pathVar(), 'models/det.onnx')).toEqual({ value: resolve('models/det.onnx') });
  });

  it('checks existence when asked', () => {
    expect(run(pathVar({ mustExist: 'file' }), file)).toEqual({ value: file });
    expect(run(pathVar({ mustExist: 'directory' }), dir)).toEqual({ value: dir });
    expect(run(pathVar({ mustExist: 'file' }), join(dir, 'nope'))).toEqual({
      error: `must be the path of an existing file (got ${JSON.stringify(join(dir, 'nope'))}: it does not exist)`,
    });
    expect(run(pathVar({ mustExist: 'file' }), dir)).toEqual({
      error: `must be the path of an existing file (got ${JSON.stringify(dir)}: it is a directory)`,
    });
    expect(run(pathVar({ mustExist: 'directory' }), file)).toEqual({
      error: `must be the path of an existing directory (got ${JSON.stringify(file)}: it is a file)`,
    });
  });
});
