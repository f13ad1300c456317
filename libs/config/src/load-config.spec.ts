import { z } from 'zod';
import { commonConfigSchema, serviceConfigSchema, type CommonConfig } from './common-config';
import { ConfigError } from './config-error';
import { describeConfig, renderConfigTable } from './describe-config';
import { enumList, positiveInt } from './fields';
import { loadConfig } from './load-config';

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const defaults: CommonConfig = {
  KAFKA_BROKERS: ['127.0.0.1:9092'],
  KAFKA_CLIENT_ID: 'conveyor',
  REDIS_URL: 'redis://127.0.0.1:6379',
  LOG_LEVEL: 'info',
  HTTP_PORT: 8080,
  RESULT_TTL_SECONDS: 86400,
  CLAIM_CHECK_THRESHOLD_BYTES: 524288,
  CLAIM_TTL_SECONDS: 86400,
  SHUTDOWN_GRACE_MS: 25000,
  TOPIC_PREFIX: '',
  MAX_IN_FLIGHT: 8,
  BATCH_MAX_SIZE: 1,
  BATCH_MAX_WAIT_MS: 10,
};

describe('loadConfig(commonConfigSchema)', () => {
  it('applies every default to an empty environment', () => {
    expect(loadConfig(commonConfigSchema, {})).toEqual(defaults);
  });

  it('treats empty and blank variables as unset', () => {
    expect(loadConfig(commonConfigSchema, { KAFKA_BROKERS: '', HTTP_PORT: '  ' })).toEqual(defaults);
  });

  it('ignores variables it does not know', () => {
    expect(loadConfig(commonConfigSchema, { PATH: '/usr/bin', HOME: '/root' })).toEqual(defaults);
  });

  it('reads a full valid environment', () => {
    const env = {
      KAFKA_BROKERS: 'k0:9092,k1:9092',
      KAFKA_CLIENT_ID: 'conveyor-inference',
      REDIS_URL: 'rediss://:pw@redis:6380/1',
      LOG_LEVEL: 'debug',
      HTTP_PORT: '0',
      RESULT_TTL_SECONDS: '3600',
      CLAIM_CHECK_THRESHOLD_BYTES: '262144',
      CLAIM_TTL_SECONDS: '600',
      SHUTDOWN_GRACE_MS: '10s',
      TOPIC_PREFIX: 'it-7.',
      MAX_IN_FLIGHT: '32',
      BATCH_MAX_SIZE: '16',
      BATCH_MAX_WAIT_MS: '5ms',
    };
    expect(loadConfig(commonConfigSchema, env)).toEqual({
      KAFKA_BROKERS: ['k0:9092', 'k1:9092'],
      KAFKA_CLIENT_ID: 'conveyor-inference',
      REDIS_URL: 'rediss://:pw@redis:6380/1',
      LOG_LEVEL: 'debug',
      HTTP_PORT: 0,
      RESULT_TTL_SECONDS: 3600,
      CLAIM_CHECK_THRESHOLD_BYTES: 262144,
      CLAIM_TTL_SECONDS: 600,
      SHUTDOWN_GRACE_MS: 10000,
      TOPIC_PREFIX: 'it-7.',
      MAX_IN_FLIGHT: 32,
      BATCH_MAX_SIZE: 16,
      BATCH_MAX_WAIT_MS: 5,
    });
  });

  it('reads process.env when no environment is given', () => {
    const saved = process.env['MAX_IN_FLIGHT'];
    process.env['MAX_IN_FLIGHT'] = '3';
    try {
      expect(loadConfig(commonConfigSchema).MAX_IN_FLIGHT).toBe(3);
    } finally {
      if (saved === undefined) delete process.env['MAX_IN_FLIGHT'];
      else process.env['MAX_IN_FLIGHT'] = saved;
    }
  });

  it.each([
    [
      'KAFKA_BROKERS',
      'kafka',
      'KAFKA_BROKERS: must be a comma-separated list of host:port (got "kafka": "kafka" has no port)',
    ],
    [
      'KAFKA_CLIENT_ID',
      'my client',
      'KAFKA_CLIENT_ID: must be 1-249 characters of A-Z a-z 0-9 . _ - (got "my client")',
    ],
    ['REDIS_URL', 'http://redis', 'REDIS_URL: must be a redis:// or rediss:// URL (got "http://redis": scheme http)'],
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "loud")'],
    ['HTTP_PORT', '99999', 'HTTP_PORT: must be a port number from 0 (any free port) to 65535 (got "99999")'],
    ['RESULT_TTL_SECONDS', '0', 'RESULT_TTL_SECONDS: must be a positive integer (got "0")'],
    ['CLAIM_CHECK_THRESHOLD_BYTES', '512k', 'CLAIM_CHECK_THRESHOLD_BYTES: must be a positive integer (got "512k")'],
    ['CLAIM_TTL_SECONDS', '-1', 'CLAIM_TTL_SECONDS: must be a positive integer (got "-1")'],
    [
      'SHUTDOWN_GRACE_MS',
      'soon',
      'SHUTDOWN_GRACE_MS: must be a duration in milliseconds, e.g. 500, 500ms, 1.5s, 5m or 1h (got "soon")',
    ],
    ['TOPIC_PREFIX', 'a:b', 'TOPIC_PREFIX: must be at most 200 characters of A-Z a-z 0-9 . _ - (got "a:b")'],
    ['MAX_IN_FLIGHT', '1.5', 'MAX_IN_FLIGHT: must be a positive integer (got "1.5")'],
    ['BATCH_MAX_SIZE', 'many', 'BATCH_MAX_SIZE: must be a positive integer (got "many")'],
    [
      'BATCH_MAX_WAIT_MS',
      '1w',
      'BATCH_MAX_WAIT_MS: must be a duration in milliseconds, e.g. 500, 500ms, 1.5s, 5m or 1h (got "1w")',
    ],
  ])('names %s when it is %j', (variable, value, line) => {
    const error = errorOf(() => loadConfig(commonConfigSchema, { [variable]: value }));
    expect(error.message).toBe(`invalid configuration (1 problem):\n  ${line}`);
    expect(error.problems).toEqual([{ variable, message: line.slice(variable.length + 2) }]);
  });

  it('lists every problem at once, one line each, in schema order', () => {
    const error = errorOf(() =>
      loadConfig(commonConfigSchema, {
        BATCH_MAX_SIZE: '0',
        KAFKA_BROKERS: 'a:1,b',
        REDIS_URL: 'redis://:topsecret@',
        HTTP_PORT: 'x',
      }),
    );
    expect(error.message).toBe(
      [
        'invalid configuration (4 problems):',
        '  KAFKA_BROKERS: must be a comma-separated list of host:port (got "a:1,b": "b" has no port)',
        '  REDIS_URL: must be a redis:// or rediss:// URL (got "redis://:***@": not a URL)',
        '  HTTP_PORT: must be a port number from 0 (any free port) to 65535 (got "x")',
        '  BATCH_MAX_SIZE: must be a positive integer (got "0")',
      ].join('\n'),
    );
    expect(error.message).not.toContain('topsecret');
    expect(error.problems.map((p) => p.variable)).toEqual([
      'KAFKA_BROKERS',
      'REDIS_URL',
      'HTTP_PORT',
      'BATCH_MAX_SIZE',
    ]);
  });
});

describe('extending the common schema', () => {
  const inferenceSchema = serviceConfigSchema({ clientId: 'conveyor-inference', httpPort: 9103 }).extend({
    MODEL_DIR: z.string({ error: 'is required but not set' }).describe('Directory of the ONNX models.'),
    ORT_EXECUTION_PROVIDERS: enumList(['cuda', 'cpu'])
      .prefault('cuda,cpu')
      .describe('ONNX Runtime providers, in order of preference.'),
    ORT_THREADS: positiveInt().optional().describe('Intra-op threads; unset lets ONNX Runtime decide.'),
  });

  it('keeps the common defaults and takes the service ones', () => {
    const config = loadConfig(inferenceSchema, { MODEL_DIR: '/models' });
    expect(config).toEqual({
      ...defaults,
      KAFKA_CLIENT_ID: 'conveyor-inference',
      HTTP_PORT: 9103,
      MODEL_DIR: '/models',
      ORT_EXECUTION_PROVIDERS: ['cuda', 'cpu'],
    });
    expect(config.ORT_THREADS).toBeUndefined();
  });

  it('reports a missing required variable', () => {
    const error = errorOf(() => loadConfig(inferenceSchema, { ORT_EXECUTION_PROVIDERS: 'gpu' }));
    expect(error.message).toBe(
      [
        'invalid configuration (2 problems):',
        '  MODEL_DIR: is required but not set',
        '  ORT_EXECUTION_PROVIDERS: must be a comma-separated list of cuda, cpu (got "gpu": unknown "gpu")',
      ].join('\n'),
    );
  });

  it('reports cross-variable checks without a variable as (config)', () => {
    const schema = z
      .object({ MIN: positiveInt().prefault('1'), MAX: positiveInt().prefault('2') })
      .refine((c) => c.MIN <= c.MAX, { message: 'MIN must not exceed MAX' });
    expect(errorOf(() => loadConfig(schema, { MIN: '5' })).message).toBe(
      'invalid configuration (1 problem):\n  (config): MIN must not exceed MAX',
    );
  });
});

describe('describeConfig', () => {
  it('lists every common variable with its default and description', () => {
    const rows = describeConfig(commonConfigSchema);
    expect(rows.map((r) => [r.variable, r.default])).toEqual([
      ['KAFKA_BROKERS', '127.0.0.1:9092'],
      ['KAFKA_CLIENT_ID', 'conveyor'],
      ['REDIS_URL', 'redis://127.0.0.1:6379'],
      ['LOG_LEVEL', 'info'],
      ['HTTP_PORT', '8080'],
      ['RESULT_TTL_SECONDS', '86400'],
      ['CLAIM_CHECK_THRESHOLD_BYTES', '524288'],
      ['CLAIM_TTL_SECONDS', '86400'],
      ['SHUTDOWN_GRACE_MS', '25000'],
      ['TOPIC_PREFIX', ''],
      ['MAX_IN_FLIGHT', '8'],
      ['BATCH_MAX_SIZE', '1'],
      ['BATCH_MAX_WAIT_MS', '10'],
    ]);
    for (const row of rows) {
      expect(row.required).toBe(false);
      expect(row.description).toMatch(/\.$/);
    }
  });

  it('reports required, optional and output-typed defaults', () => {
    const schema = z.object({
      NEEDED: z.string().describe('Must be given.'),
      MAYBE: positiveInt().optional().describe('May be given.'),
      LIST: enumList(['a', 'b']).default(['b', 'a']).describe('Default given as the parsed value.'),
      UNDESCRIBED: positiveInt().prefault('3'),
    });
    expect(describeConfig(schema)).toEqual([
      { variable: 'NEEDED', default: undefined, required: true, description: 'Must be given.' },
      { variable: 'MAYBE', default: undefined, required: false, description: 'May be given.' },
      { variable: 'LIST', default: 'b,a', required: false, description: 'Default given as the parsed value.' },
      { variable: 'UNDESCRIBED', default: '3', required: false, description: undefined },
    ]);
  });

  it('renders a Markdown table', () => {
    const schema = z.object({
      NEEDED: z.string().describe('Must | be given.'),
      PREFIX: z.string().prefault('').describe('Empty by default.'),
      PORT: positiveInt().prefault('80'),
    });
    expect(renderConfigTable(schema)).toBe(
      [
        '| Variable | Default | Description |',
        '| --- | --- | --- |',
        '| `NEEDED` | (required) | Must \\| be given. |',
        '| `PREFIX` | (empty) | Empty by default. |',
        '| `PORT` | `80` |  |',
        '',
      ].join('\n'),
    );
  });
});
