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
      workers: 2,
      readers: ['peer', 'engine', 'tesseract', 'pipeline'],
      rounds: 2,
      idleImages: 10,
      loads: [0.1, 0.25, 0.5, 0.75, 1],
      loadImages: 20,
      replicas: {},
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
    [['--workers', '1'], { workers: 1 }],
    [['--readers', 'engine,pipeline'], { readers: ['engine', 'pipeline'] }],
    [['--readers', ' Tesseract '], { readers: ['tesseract'] }],
    [['--rounds', '3'], { rounds: 3 }],
    [['--idle-images', '0'], { idleImages: 0 }],
    [['--loads', '1,0.5'], { loads: [0.5, 1] }],
    [['--loads', 'none'], { loads: [] }],
    [['--load-images', '5'], { loadImages: 5 }],
    [['--out', 'bench-out'], { out: 'bench-out' }],
    [['--stage-cpu-prof', '/tmp/prof'], { stageCpuProf: '/tmp/prof' }],
    [['--replicas', 'inference=2,features=1'], { replicas: { inference: 2, features: 1 } }],
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
    [['--workers', '0'], '--workers must be an integer in [1, 16], got "0".'],
    [['--workers', '17'], '--workers must be an integer in [1, 16], got "17".'],
    [['--readers', 'engine,ocrmypdf'], '--readers must be a comma-separated list of distinct readers'],
    [['--readers', 'engine,engine'], '--readers must be a comma-separated list of distinct readers'],
    [['--loads', '0,1'], '--loads must be comma-separated fractions in (0, 4]'],
    [['--loads', 'fast'], '--loads must be comma-separated fractions in (0, 4]'],
    [['--replicas', 'inference=0'], '--replicas must be stage=n pairs'],
    [['--replicas', 'inference'], '--replicas must be stage=n pairs'],
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
