// The pipeline's inference work (PP-OCRv4 recognition of the corpus's line
// crops, grouped by width class as the inference stage does) per execution
// provider and recogniser batch size, plus whole images through OcrEngine:
// CPU vs GPU images/s and what batching buys on each. Run by tools/bench/gpu.sh
// on a CUDA host; runs anywhere (a provider that cannot load falls back to the
// next, and the table says which one served).
//   SWC_NODE_PROJECT=tsconfig.base.json npx node -r @swc-node/register tools/bench/src/gpu-bench.ts \
//     [--providers cpu;cuda,cpu] [--batch-sizes 1,8,32] [--count 40] [--threads 1] [--json]
import { availableParallelism, cpus } from 'node:os';
import { generateCorpus } from '@conveyor/corpus';
import {
  batchLineInputs,
  decodeImage,
  LineDetector,
  LineRecognizer,
  OcrEngine,
  resizeForDetection,
  resizeToRecHeight,
  toRecInput,
  widthClassBatches,
  type LineInput,
} from '@conveyor/ocr';
import { Command, InvalidArgumentError } from 'commander';
import { integerIn } from './options';
import { markdownTable } from './report';

interface GpuBenchOptions {
  /** Provider lists to compare, each tried in order (";"-separated lists of ","-separated providers). */
  providers: string[][];
  batchSizes: number[];
  count: number;
  threads: number;
  json: boolean;
}

function listOf(name: string, parse: (v: string) => number): (value: string) => number[] {
  return (value) => {
    const values = value.split(',').map((v) => parse(v.trim()));
    if (values.length === 0 || values.some((v) => !Number.isInteger(v) || v < 1 || v > 256)) {
      throw new InvalidArgumentError(`${name} must be comma-separated integers in [1, 256], got "${value}".`);
    }
    return values;
  };
}

export function parseGpuBenchOptions(argv: readonly string[]): GpuBenchOptions {
  const o = new Command('gpu-bench')
    .option('--providers <lists>', 'execution-provider lists to compare, ";" between lists', 'cpu;cuda,cpu')
    .option('--batch-sizes <n,…>', 'recogniser batch sizes (REC_BATCH_SIZE)', listOf('--batch-sizes', Number), [1, 8, 32])
    .option('--count <n>', 'images in the corpus', integerIn('--count', 1, 10_000), 40)
    .option('--threads <n>', 'intra-op threads per session (CPU)', integerIn('--threads', 0, 64), 1)
    .option('--json', 'print JSON', false)
    .parse([...argv])
    .opts<{ providers: string; batchSizes: number[]; count: number; threads: number; json: boolean }>();
  const providers = o.providers
    .split(';')
    .map((list) => list.split(',').map((p) => p.trim()).filter((p) => p.length > 0))
    .filter((list) => list.length > 0);
  return { providers, batchSizes: o.batchSizes, count: o.count, threads: o.threads, json: o.json };
}

interface Row {
  providers: string;
  served: string;
  batchSize: number;
  lines: number;
  runs: number;
  seconds: number;
  linesPerSecond: number;
  /** Pages' worth of recognition per second (the corpus's lines ÷ pages). */
  imagesPerSecond: number;
}

async function main(): Promise<void> {
  const options = parseGpuBenchOptions(process.argv);
  const progress = (line: string): void => void process.stderr.write(`${line}\n`);
  progress(`rendering ${options.count} images`);
  const corpus = await generateCorpus({ seed: 2026, count: options.count, rotatedShare: 0.25 });

  // The line crops the features stage would send: detected and oriented on the CPU once, scaled to height 48.
  const detector = await LineDetector.create({ intraOpThreads: options.threads });
  const inputs: LineInput[] = [];
  for (const item of corpus.items) {
    const page = await decodeImage(item.data);
    const detected = await detector.detect(page, await resizeForDetection(page));
    for (const line of detected.lines) inputs.push(toRecInput(await resizeToRecHeight(line.crop)));
  }
  await detector.close();
  progress(`${inputs.length} line crops from ${corpus.items.length} images`);

  const rows: Row[] = [];
  const engineRows: Array<{ providers: string; served: string; imagesPerSecond: number }> = [];
  for (const providers of options.providers) {
    const recognizer = await LineRecognizer.create({ executionProviders: providers, intraOpThreads: options.threads, onLog: progress });
    for (const batchSize of options.batchSizes) {
      const batches = widthClassBatches(inputs, (i) => i.width, batchSize);
      // One untimed pass: first runs of each shape allocate (and CUDA compiles kernels).
      for (const b of batches) await recognizer.recognize(batchLineInputs(b.items, Math.max(...b.items.map((i) => i.width))));
      const started = performance.now();
      for (const b of batches) await recognizer.recognize(batchLineInputs(b.items, Math.max(...b.items.map((i) => i.width))));
      const seconds = (performance.now() - started) / 1000;
      rows.push({
        providers: providers.join(','),
        served: recognizer.provider,
        batchSize,
        lines: inputs.length,
        runs: batches.length,
        seconds,
        linesPerSecond: inputs.length / seconds,
        imagesPerSecond: corpus.items.length / seconds,
      });
      progress(`recognition on ${recognizer.provider}, batch ${batchSize}: ${(inputs.length / seconds).toFixed(1)} lines/s`);
    }
    await recognizer.close();

    // Whole images in process (det, cls, rec) with the largest batch size: what one worker gets on this provider.
    const recBatchSize = Math.max(...options.batchSizes);
    const engine = await OcrEngine.create({ executionProviders: providers, intraOpThreads: options.threads, recBatchSize });
    for (const item of corpus.items.slice(0, 2)) await engine.read(item.data);
    const started = performance.now();
    for (const item of corpus.items) await engine.read(item.data);
    const seconds = (performance.now() - started) / 1000;
    engineRows.push({ providers: providers.join(','), served: Object.values(engine.providers).join('/'), imagesPerSecond: corpus.items.length / seconds });
    await engine.close();
  }

  const machine = `${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? 'unknown'})`;
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ date: new Date().toISOString(), machine, images: corpus.items.length, lines: inputs.length, recognition: rows, engine: engineRows }, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    [
      `recognition of ${inputs.length} line crops (${corpus.items.length} images), ${machine}, ${options.threads} intra-op thread(s)`,
      '',
      markdownTable(
        ['providers asked', 'served by', 'REC_BATCH_SIZE', 'model runs', 'lines/s', 'images/s (recognition)', '÷ batch 1'],
        rows.map((r) => {
          const base = rows.find((b) => b.providers === r.providers && b.batchSize === options.batchSizes[0]);
          return [r.providers, r.served, String(r.batchSize), String(r.runs), r.linesPerSecond.toFixed(1), r.imagesPerSecond.toFixed(2), base ? `${(r.linesPerSecond / base.linesPerSecond).toFixed(2)}×` : '–'];
        }),
      ),
      '',
      markdownTable(
        ['OcrEngine, whole images', 'served by (det/cls/rec)', 'images/s'],
        engineRows.map((e) => [e.providers, e.served, e.imagesPerSecond.toFixed(2)]),
      ),
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`gpu-bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
