// OCR benchmark: one rendered corpus, three readers, one run.
//   SWC_NODE_PROJECT=tsconfig.base.json npx node -r @swc-node/register tools/bench/src/ocr-bench.ts \
//     [--count 40] [--seed 2026] [--rotated-share 0.25] [--concurrency 1] [--partitions 2] [--timeout 300] [--json] [--show-diffs]
// The in-process readers run first, while nothing else of ours runs; then the
// platform starts (Kafka, four stage processes) and reads the same images.
import { availableParallelism, cpus } from 'node:os';
import { generateCorpus, scoreCorpus, type Corpus, type CorpusScore } from '@conveyor/corpus';
import { silenceKafkajsNegativeTimeoutWarning } from '@conveyor/stage-runtime';
import { createEngineReader, createPeerReader, measureInProcess, type InProcessReader } from './in-process';
import { buildCommand, parseOptions, type BenchOptions } from './options';
import { PipelineRunError, runPipeline, type PipelineRun } from './pipeline';
import { buildRows, diffItems, formatReport, type Measurement, type Report } from './report';

const WARM_UP_IMAGES = 2;

const progress = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

async function measure(
  reader: 'peer' | 'engine',
  create: () => Promise<InProcessReader>,
  corpus: Corpus,
  options: BenchOptions,
): Promise<Measurement> {
  progress(`${reader}: reading ${corpus.items.length} images (concurrency ${options.concurrency})`);
  const warmUp = corpus.items.slice(0, WARM_UP_IMAGES);
  const run = await measureInProcess(create, corpus.items, warmUp, options.concurrency);
  progress(`${reader}: ${run.seconds.toFixed(1)} s`);
  return {
    reader,
    images: corpus.items.length,
    seconds: run.seconds,
    score: scoreCorpus(corpus.truth.items, run.predictions),
    failed: 0,
    lost: 0,
  };
}

function notes(options: BenchOptions, pipeline: PipelineRun): string[] {
  const cores = availableParallelism();
  return [
    `${cores} cores, CPU only, shared by everything: the pipeline's 4 stage processes, Kafka (JVM) and this process ` +
      `while the pipeline runs; the in-process readers ran first, alone, on ${options.concurrency} worker(s) ` +
      `with 1 intra-op thread each (the model stages also run 1 thread each).`,
    `images/s: wall time of one pass over the corpus after ${WARM_UP_IMAGES} warm-up images per reader; the ` +
      `pipeline's time runs from the first submit to the last result in Redis (all images submitted at once, ` +
      `${options.partitions} partitions per topic).`,
    'CER: Levenshtein distance of the page text (lines joined by \\n) over the truth length, micro-averaged; ' +
      'exact lines: truth lines read exactly. The peer has no angle classifier, so pages turned by 180° read as garbage.',
    `pipeline: ${pipeline.failed.length} failed, ${pipeline.lost.length} lost; brokers ${pipeline.brokers}, ` +
      `topics ${pipeline.topicPrefix}ocr.* (deleted afterwards).`,
  ];
}

function printDiffs(engine: CorpusScore, pipeline: CorpusScore): void {
  const diffs = diffItems(engine, pipeline);
  process.stdout.write(`\nitems the engine and the pipeline read differently: ${diffs.length}\n`);
  for (const d of diffs) {
    process.stdout.write(
      `${d.id} ${d.rotated180 ? 'rotated' : 'upright'}\n  truth:    ${JSON.stringify(d.truth)}\n` +
        `  engine:   ${JSON.stringify(d.a.lines)} CER ${(d.a.cer * 100).toFixed(1)}%\n` +
        `  pipeline: ${JSON.stringify(d.b.lines)} CER ${(d.b.cer * 100).toFixed(1)}%\n`,
    );
  }
}

async function main(): Promise<number> {
  silenceKafkajsNegativeTimeoutWarning();
  // Usage errors exit 2, like the conveyor CLI's, so scripts can tell them from a failed run.
  const options = parseOptions(
    process.argv,
    buildCommand().exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2)),
  );
  const redisUrl = process.env['REDIS_URL']?.trim() || 'redis://127.0.0.1:6379';
  const kafkaBrokers = process.env['KAFKA_BROKERS']?.trim() || undefined;

  progress(`rendering ${options.count} images (seed ${options.seed}, rotated share ${options.rotatedShare})`);
  const corpus = await generateCorpus({ seed: options.seed, count: options.count, rotatedShare: options.rotatedShare });

  const peer = await measure('peer', createPeerReader, corpus, options);
  const engine = await measure('engine', createEngineReader, corpus, options);

  let pipeline: PipelineRun;
  try {
    pipeline = await runPipeline({
      items: corpus.items,
      warmUp: corpus.items.slice(0, WARM_UP_IMAGES),
      partitions: options.partitions,
      timeoutMs: options.timeoutSeconds * 1000,
      redisUrl,
      kafkaBrokers,
      stageLogLevel: options.stageLogLevel,
      progress,
    });
  } catch (error) {
    if (error instanceof PipelineRunError) {
      process.stderr.write(`${error.logs.join('\n')}\n`);
    }
    throw error;
  }
  progress(`pipeline: ${pipeline.seconds.toFixed(1)} s`);
  const pipelineScore = scoreCorpus(corpus.truth.items, pipeline.predictions);

  const rows = buildRows([
    peer,
    engine,
    {
      reader: 'pipeline',
      images: corpus.items.length,
      seconds: pipeline.seconds,
      score: pipelineScore,
      failed: pipeline.failed.length,
      lost: pipeline.lost.length,
    },
  ]);
  const rotated = corpus.truth.items.filter((i) => i.rotated180).length;
  const report: Report = {
    date: new Date().toISOString(),
    machine: { cpus: availableParallelism(), cpuModel: cpus()[0]?.model.trim() ?? 'unknown', accelerator: 'CPU only' },
    corpus: {
      seed: options.seed,
      images: corpus.items.length,
      upright: corpus.items.length - rotated,
      rotated,
      rotatedShare: options.rotatedShare,
    },
    settings: { concurrency: options.concurrency, partitions: options.partitions, warmUpImages: WARM_UP_IMAGES },
    rows,
    notes: notes(options, pipeline),
  };

  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
  if (options.showDiffs) printDiffs(engine.score, pipelineScore);

  const incomplete = pipeline.failed.length > 0 || pipeline.lost.length > 0;
  if (incomplete || pipeline.cleanupProblems.length > 0) {
    // Only now are the platform's logs worth reading.
    for (const f of pipeline.failed) progress(`failed: ${f.id}: ${f.error.code} in ${f.error.stage}: ${f.error.message}`);
    if (pipeline.lost.length > 0) progress(`lost (no result in ${options.timeoutSeconds} s): ${pipeline.lost.join(', ')}`);
    for (const p of pipeline.cleanupProblems) progress(p);
    if (incomplete) progress(`platform log:\n${pipeline.logs.join('\n')}`);
  }
  return incomplete ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`ocr-bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
