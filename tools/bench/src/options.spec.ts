import { CommanderError } from 'commander';
import { BENCH_DEFAULTS, buildCommand, parseOptions, type BenchOptions } from './options';

/** Parses like the script does, but throws instead of exiting and stays quiet. */
function parse(...args: string[]): BenchOptions {
  const command = buildCommand()
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  return parseOptions(['node', 'ocr-bench.ts', ...args], command);
}

function usageError(...args: string[]): string {
  try {
    parse(...args);
  } catch (error) {
    expect(error).toBeInstanceOf(CommanderError);
    return (error as CommanderError).message;
  }
  throw new Error(`expected a usage error for ${args.join(' ')}`);
}

describe('parseOptions', () => {
  it('fills the defaults', () => {
    expect(parse()).toEqual({
      count: 40,
      seed: 2026,
      rotatedShare: 0.25,
      concurrency: 1,
      partitions: 2,
      timeoutSeconds: 300,
      json: false,
      showDiffs: false,
      stageLogLevel: 'warn',
    });
    expect(parse().count).toBe(BENCH_DEFAULTS.count);
  });

  it.each([
    [['--count', '30'], { count: 30 }],
    [['--count', '1'], { count: 1 }],
    [['--seed', '0'], { seed: 0 }],
    [['--seed', '4294967295'], { seed: 4294967295 }],
    [['--rotated-share', '0'], { rotatedShare: 0 }],
    [['--rotated-share', '1'], { rotatedShare: 1 }],
    [['--rotated-share', '.5'], { rotatedShare: 0.5 }],
    [['--concurrency', '2'], { concurrency: 2 }],
    [['--partitions', '4'], { partitions: 4 }],
    [['--timeout', '60'], { timeoutSeconds: 60 }],
    [['--json'], { json: true }],
    [['--show-diffs'], { showDiffs: true }],
    [['--stage-log-level', 'info'], { stageLogLevel: 'info' }],
    [['--stage-log-level', 'DEBUG'], { stageLogLevel: 'debug' }],
  ])('%j', (args, expected) => {
    expect(parse(...args)).toMatchObject(expected);
  });

  it.each([
    [['--count', '0'], '--count must be an integer in [1, 10000], got "0".'],
    [['--count', '2.5'], '--count must be an integer in [1, 10000], got "2.5".'],
    [['--count', 'many'], '--count must be an integer in [1, 10000], got "many".'],
    [['--count', '10001'], '--count must be an integer in [1, 10000], got "10001".'],
    [['--seed', '-1'], '--seed must be an integer in [0, 4294967295], got "-1".'],
    [['--seed', '4294967296'], '--seed must be an integer in [0, 4294967295], got "4294967296".'],
    [['--rotated-share', '1.5'], '--rotated-share must be a number in [0, 1], got "1.5".'],
    [['--rotated-share', 'half'], '--rotated-share must be a number in [0, 1], got "half".'],
    [['--concurrency', '0'], '--concurrency must be an integer in [1, 16], got "0".'],
    [['--concurrency', '17'], '--concurrency must be an integer in [1, 16], got "17".'],
    [['--partitions', '0'], '--partitions must be an integer in [1, 64], got "0".'],
    [['--timeout', '0'], '--timeout must be an integer in [1, 3600], got "0".'],
    [
      ['--stage-log-level', 'verbose'],
      '--stage-log-level must be one of fatal, error, warn, info, debug, trace, silent, got "verbose".',
    ],
  ])('rejects %j', (args, message) => {
    expect(usageError(...args)).toContain(message);
  });

  it('rejects unknown options', () => {
    expect(usageError('--cuont', '3')).toContain("unknown option '--cuont'");
  });
});
