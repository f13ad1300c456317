import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCommand, main, toCorpusOptions } from './cli';
import { readTruth } from './truth';

/** Parses argv without exiting the process; returns the error message or the options. */
function parse(args: string[]): { error: string } | { options: ReturnType<typeof toCorpusOptions> } {
  const command = buildCommand()
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  try {
    command.parse(['node', 'cli', ...args]);
  } catch (err) {
    return { error: (err as Error).message };
  }
  return { options: toCorpusOptions(command.opts()) };
}

describe('corpus CLI arguments', () => {
  it('parses a full command line', () => {
    const result = parse([
      '--count',
      '5',
      '--seed',
      '42',
      '--out',
      '/tmp/c',
      '--rotated-share',
      '0.5',
      '--noise-share',
      '0',
      '--formats',
      'jpg,png',
      '--max-width',
      '800',
      '--fonts',
      'DejaVu Sans, DejaVu Serif',
    ]);
    expect(result).toEqual({
      options: {
        count: 5,
        seed: 42,
        outDir: '/tmp/c',
        rotatedShare: 0.5,
        noiseShare: 0,
        formats: ['jpeg', 'png'],
        maxWidth: 800,
        fonts: ['DejaVu Sans', 'DejaVu Serif'],
      },
    });
  });

  it('applies defaults', () => {
    expect(parse(['--count', '1', '--seed', '0', '--out', '/tmp/c'])).toEqual({
      options: {
        count: 1,
        seed: 0,
        outDir: '/tmp/c',
        rotatedShare: 0.25,
        noiseShare: 0.3,
        formats: ['png', 'jpeg'],
        maxWidth: 960,
      },
    });
  });

  it.each<[string[], RegExp]>([
    [['--seed', '1', '--out', 'x'], /required option '--count <n>' not specified/],
    [['--count', '1', '--out', 'x'], /required option '--seed <s>' not specified/],
    [['--count', '1', '--seed', '1'], /required option '--out <dir>' not specified/],
    [['--count', 'ten', '--seed', '1', '--out', 'x'], /count must be an integer in \[1, 100000\]/],
    [['--count', '0', '--seed', '1', '--out', 'x'], /count must be an integer/],
    [['--count', '1', '--seed', '-3', '--out', 'x'], /seed must be an integer in \[0, 4294967295\]/],
    [['--count', '1', '--seed', '4294967296', '--out', 'x'], /seed must be an integer/],
    [
      ['--count', '1', '--seed', '1', '--out', 'x', '--rotated-share', '1.2'],
      /rotated-share must be a number in \[0, 1\]/,
    ],
    [['--count', '1', '--seed', '1', '--out', 'x', '--noise-share', 'abc'], /noise-share must be a number/],
    [['--count', '1', '--seed', '1', '--out', 'x', '--formats', 'png,gif'], /unknown: gif/],
    [
      ['--count', '1', '--seed', '1', '--out', 'x', '--max-width', '600'],
      /max-width must be an integer in \[640, 10000\]/,
    ],
  ])('rejects %j', (args, message) => {
    const result = parse(args);
    expect(result).toHaveProperty('error');
    expect((result as { error: string }).error).toMatch(message);
  });
});

describe('corpus CLI run', () => {
  it('writes a corpus to the directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'corpus-cli-'));
    try {
      await main(['node', 'cli', '--count', '2', '--seed', '3', '--out', dir, '--formats', 'png', '--quiet']);
      const truth = readTruth(join(dir, 'truth.json'));
      expect(truth.items.map((i) => i.file).sort()).toEqual(['s3-0000.png', 's3-0001.png']);
      expect(readdirSync(dir).sort()).toEqual(['s3-0000.png', 's3-0001.png', 'truth.json']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
