import { RateLimitedDiagLogger, type TelemetryLogger } from './diag-logger';

function recordingLogger() {
  const lines: Array<{ level: string; fields: Record<string, unknown>; message: string }> = [];
  const logger: TelemetryLogger = {
    info: (fields, message) => lines.push({ level: 'info', fields, message }),
    warn: (fields, message) => lines.push({ level: 'warn', fields, message }),
    debug: (fields, message) => lines.push({ level: 'debug', fields, message }),
  };
  return { lines, logger };
}

describe('RateLimitedDiagLogger', () => {
  it('logs one warning per interval and counts what it swallowed', () => {
    let now = 1_000_000;
    const { lines, logger } = recordingLogger();
    const diag = new RateLimitedDiagLogger(logger, 60_000, () => now);
    diag.error('export failed', new Error('connect ECONNREFUSED 127.0.0.1:4318'));
    now += 5_000;
    diag.warn('export failed again');
    now += 5_000;
    diag.error('export failed', new Error('connect ECONNREFUSED'));
    now += 50_000; // 60 s after the first
    diag.error('still failing');
    expect(lines).toEqual([
      {
        level: 'warn',
        fields: { otel: { level: 'error', detail: 'connect ECONNREFUSED 127.0.0.1:4318', suppressedSinceLast: 0 } },
        message: 'opentelemetry: export failed',
      },
      { level: 'warn', fields: { otel: { level: 'error', detail: undefined, suppressedSinceLast: 2 } }, message: 'opentelemetry: still failing' },
    ]);
  });

  it('reduces an error handed over as JSON to its message and code', () => {
    const { lines, logger } = recordingLogger();
    new RateLimitedDiagLogger(logger).error(
      JSON.stringify({ stack: 'Error: connect ECONNREFUSED 127.0.0.1:4318\n    at x', message: 'connect ECONNREFUSED 127.0.0.1:4318', code: 'ECONNREFUSED' }),
    );
    expect(lines).toEqual([
      {
        level: 'warn',
        fields: { otel: { level: 'error', code: 'ECONNREFUSED', detail: undefined, suppressedSinceLast: 0 } },
        message: 'opentelemetry: connect ECONNREFUSED 127.0.0.1:4318',
      },
    ]);
  });

  it('sends detail levels to debug, unthrottled', () => {
    const { lines, logger } = recordingLogger();
    const diag = new RateLimitedDiagLogger(logger);
    diag.info('a');
    diag.debug('b', { x: 1 });
    diag.verbose('c');
    expect(lines.map((l) => [l.level, l.message, l.fields['otel']])).toEqual([
      ['debug', 'opentelemetry: a', { level: 'info', detail: undefined }],
      ['debug', 'opentelemetry: b', { level: 'debug', detail: '{"x":1}' }],
      ['debug', 'opentelemetry: c', { level: 'verbose', detail: undefined }],
    ]);
  });
});
