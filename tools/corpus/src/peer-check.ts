// Informative check, not a test: can the in-process OCR peer read what the
// generator renders? Prints CER and exact-line rate for upright and rotated
// items. The peer has no angle classifier, so rotated pages are expected to
// read as garbage; upright CER should stay low (the rendering is tuned so).
//   npx node -r @swc-node/register tools/corpus/src/peer-check.ts --count 30 --seed 2026
//   npx node -r @swc-node/register tools/corpus/src/peer-check.ts --truth samples/truth.json
import Ocr from '@gutenye/ocr-node';
import { Command, InvalidArgumentError } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { generateCorpus } from './corpus';
import { scoreCorpus, type ScoreSummary } from './metrics';
import { readTruth, type CorpusTruth } from './truth';

const describe = (name: string, s: ScoreSummary): string =>
  `${name.padEnd(8)} items ${String(s.items).padStart(3)}  CER ${(s.cer * 100).toFixed(2).padStart(6)}%  exact lines ${s.exactLines}/${s.truthLines} (${(s.exactLineRate * 100).toFixed(1)}%)`;

function positiveInteger(value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer.');
  return n;
}

/** Reads every image of the corpus with the peer and prints the scores. */
async function check(truth: CorpusTruth, dir: string): Promise<void> {
  // One thread per session: the peer shares a small machine with everything else.
  const ocr = await Ocr.create({ onnxOptions: { intraOpNumThreads: 1, interOpNumThreads: 1 } });
  const predictions = new Map<string, string[]>();
  const started = Date.now();
  for (const item of truth.items) {
    const lines = await ocr.detect(join(dir, item.file));
    predictions.set(
      item.id,
      lines.map((l) => l.text),
    );
  }
  const ms = (Date.now() - started) / Math.max(1, truth.items.length);
  const score = scoreCorpus(truth.items, predictions);
  for (const item of score.items) {
    if (item.cer > 0) {
      process.stdout.write(
        `${item.id} ${item.rotated180 ? 'rotated' : 'upright'} CER ${(item.cer * 100).toFixed(1)}%\n  truth: ${JSON.stringify(item.truth)}\n  read:  ${JSON.stringify(item.predicted)}\n`,
      );
    }
  }
  process.stdout.write(`seed ${truth.seed}, ${truth.items.length} images, ${ms.toFixed(0)} ms per image\n`);
  for (const [name, s] of [
    ['upright', score.upright],
    ['rotated', score.rotated],
    ['overall', score.overall],
  ] as const) {
    process.stdout.write(`${describe(name, s)}\n`);
  }
}

async function main(): Promise<void> {
  const opts = new Command('peer-check')
    .description('Score @gutenye/ocr-node on a generated corpus (informative, not a test).')
    .option('--count <n>', 'images to generate', positiveInteger, 30)
    .option('--seed <s>', 'corpus seed', positiveInteger, 2026)
    .option('--truth <file>', 'score an existing corpus (its truth.json) instead of generating one')
    .parse()
    .opts<{ count: number; seed: number; truth?: string }>();
  if (opts.truth) {
    await check(readTruth(opts.truth), dirname(opts.truth));
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'corpus-peer-'));
  try {
    const corpus = await generateCorpus({ seed: opts.seed, count: opts.count, outDir: dir });
    await check(corpus.truth, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`peer-check: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
