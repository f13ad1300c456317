// `corpus` command: writes a labelled corpus to a directory.
//   npx node -r @swc-node/register tools/corpus/src/cli.ts --count 30 --seed 1 --out tmp/corpus
import { Command, InvalidArgumentError } from 'commander';
import { resolve } from 'node:path';
import { generateCorpus, MIN_MAX_WIDTH, type CorpusOptions } from './corpus';
import { IMAGE_FORMATS, type ImageFormat } from './render';

function integer(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer in [${min}, ${max}].`);
    }
    return n;
  };
}

function fraction(name: string) {
  return (value: string): number => {
    const n = /^(\d+(\.\d*)?|\.\d+)$/.test(value) ? Number(value) : NaN;
    if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError(`${name} must be a number in [0, 1].`);
    return n;
  };
}

function formatList(value: string): ImageFormat[] {
  const names = value
    .split(',')
    .map((f) => f.trim().toLowerCase())
    .filter((f) => f.length > 0);
  const formats = names.map((f) => (f === 'jpg' ? 'jpeg' : f));
  const unknown = formats.filter((f) => !(IMAGE_FORMATS as readonly string[]).includes(f));
  if (formats.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(
      `formats must be a comma-separated list of ${IMAGE_FORMATS.join(', ')}${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}.`,
    );
  }
  return formats as ImageFormat[];
}

/** The command, without side effects until parsed; options arrive validated. */
export function buildCommand(): Command {
  return new Command('corpus')
    .description('Render labelled text images (PNG/JPEG) with ground truth in truth.json, deterministic from a seed.')
    .requiredOption('--count <n>', 'number of images', integer('count', 1, 100_000))
    .requiredOption('--seed <s>', 'seed, the same seed gives the same corpus', integer('seed', 0, 0xffffffff))
    .requiredOption('--out <dir>', 'output directory (created if missing)')
    .option('--rotated-share <p>', 'share of images turned by 180°', fraction('rotated-share'), 0.25)
    .option('--noise-share <p>', 'share of images with pixel noise', fraction('noise-share'), 0.3)
    .option('--formats <list>', 'formats to draw from: png,jpeg', formatList, [...IMAGE_FORMATS])
    .option('--max-width <px>', 'widest image; text shrinks to fit', integer('max-width', MIN_MAX_WIDTH, 10_000), 960)
    .option(
      '--fonts <list>',
      'font families to use (default: installed DejaVu/Liberation/Noto families)',
      (v: string) =>
        v
          .split(',')
          .map((f) => f.trim())
          .filter((f) => f.length > 0),
    )
    .option('--quiet', 'print nothing on success');
}

interface CliOptions {
  count: number;
  seed: number;
  out: string;
  rotatedShare: number;
  noiseShare: number;
  formats: ImageFormat[];
  maxWidth: number;
  fonts?: string[];
  quiet?: boolean;
}

/** Turns parsed options into generateCorpus options. */
export function toCorpusOptions(opts: CliOptions): CorpusOptions {
  return {
    seed: opts.seed,
    count: opts.count,
    outDir: resolve(opts.out),
    rotatedShare: opts.rotatedShare,
    noiseShare: opts.noiseShare,
    formats: opts.formats,
    maxWidth: opts.maxWidth,
    ...(opts.fonts ? { fonts: opts.fonts } : {}),
  };
}

export async function main(argv: readonly string[] = process.argv): Promise<void> {
  const command = buildCommand();
  command.parse([...argv]);
  const opts = command.opts<CliOptions>();
  const options = toCorpusOptions(opts);
  const started = Date.now();
  const corpus = await generateCorpus(options);
  if (!opts.quiet) {
    const bytes = corpus.items.reduce((n, i) => n + i.data.length, 0);
    const rotated = corpus.truth.items.filter((i) => i.rotated180).length;
    process.stdout.write(
      `wrote ${corpus.items.length} images (${rotated} rotated, ${(bytes / 1024).toFixed(0)} KiB) and truth.json to ${options.outDir} in ${Date.now() - started} ms\n`,
    );
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`corpus: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
