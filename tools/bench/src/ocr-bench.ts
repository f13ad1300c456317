// OCR benchmark: one rendered corpus, up to four readers, one run.
//   SWC_NODE_PROJECT=tsconfig.base.json npx node -r @swc-node/register tools/bench/src/ocr-bench.ts \
//     [--count 40] [--workers 2] [--readers peer,engine,tesseract,pipeline] [--rounds 2] [--loads 0.25,0.5,0.75,1] [--out dir] …
// Every reader is started and warmed up first; then the closed-loop passes run
// interleaved, reader after reader, round after round (so a noisy neighbour
// hits all of them alike); then idle latency and the open-loop passes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { generateCorpus, scoreCorpus, type Corpus, type CorpusItem, type CorpusScore } from '@conveyor/corpus';
import { ocrPipeline } from '@conveyor/pipelines';
import { silenceKafkajsNegativeTimeoutWarning } from '@conveyor/stage-runtime';
import { writeChartPng } from './chart';
import { closedLoop, idleLoop, openLoop, summarize, type LoadRun } from './load';
import { buildCommand, parseOptions, type BenchOptions, type ReaderName } from './options';
import { PipelineRunError, PipelineSystem } from './pipeline';
import { ProcSampler, type ProcUsage } from './proc-stats';
import { counterSum, histogramDelta, histogramOf, integerDistribution, type Sample } from './prom-text';
import { buildRows, diffItems, formatReport, medianIndex, type BatchSizes, type Measurement, type OpenLoopPoint, type ProcessRow, type Report, type StageActivity } from './report';
import { WorkerPool } from './worker-pool';

const WARM_UP_IMAGES = 2;

const progress = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** A reader as the passes see it. */
interface System {
  name: ReaderName;
  workers: number;
  read: (item: CorpusItem) => Promise<string[]>;
  processes: () => Array<{ name: string; pid: number | undefined }>;
  close: () => Promise<string[]>;
}

interface Pass {
  run: LoadRun;
  usage: ProcUsage[];
  metricsBefore?: Record<string, Sample[]>;
  metricsAfter?: Record<string, Sample[]>;
}

async function startSystems(options: BenchOptions, corpus: Corpus, redisUrl: string, kafkaBrokers: string | undefined): Promise<{ systems: System[]; pipeline?: PipelineSystem }> {
  const systems: System[] = [];
  let pipeline: PipelineSystem | undefined;
  try {
    for (const name of options.readers) {
      if (name === 'pipeline') {
        pipeline = await PipelineSystem.start({
          partitions: options.partitions,
          timeoutMs: options.timeoutSeconds * 1000,
          redisUrl,
          kafkaBrokers,
          stageLogLevel: options.stageLogLevel,
          stageNodeOptions: options.stageCpuProf ? `--require ${resolve(__dirname, 'cpu-prof-preload.js')}` : undefined,
          replicas: options.replicas,
          progress,
        });
        const p = pipeline;
        systems.push({
          name,
          workers: p.processes().filter((x) => x.name.startsWith(`${ocrPipeline.name}-`)).length,
          read: p.read,
          processes: () => p.processes(),
          close: () => p.close(),
        });
      } else {
        progress(`${name}: starting ${options.workers} worker process(es)`);
        const pool = await WorkerPool.start(name, options.workers);
        systems.push({
          name,
          workers: options.workers,
          read: (item) => pool.read(item.data),
          processes: () => pool.processes(),
          close: async () => {
            await pool.close();
            return [];
          },
        });
      }
      // Warm-up, untimed: the first ONNX runs allocate; the first message through each stage opens fetch sessions.
      const warm = await closedLoop(Array.from({ length: WARM_UP_IMAGES * Math.max(1, options.workers) }, (_, i) => corpus.items[i % corpus.items.length]), systems[systems.length - 1].read);
      const failures = warm.completions.filter((c) => c.error);
      if (failures.length > 0) throw new Error(`${name}: warm-up failed: ${failures[0].error}`);
      progress(`${name}: ready and warm`);
    }
  } catch (error) {
    for (const s of systems) await s.close().catch(() => undefined);
    throw error;
  }
  return { systems, pipeline };
}

async function measuredPass(system: System, pipeline: PipelineSystem | undefined, drive: (read: System['read']) => Promise<LoadRun>): Promise<Pass> {
  const metricsBefore = system.name === 'pipeline' ? await pipeline?.scrapeMetrics() : undefined;
  const sampler = new ProcSampler(system.processes());
  sampler.start();
  const run = await drive(system.read);
  const usage = sampler.stop();
  const metricsAfter = system.name === 'pipeline' ? await pipeline?.scrapeMetrics() : undefined;
  return { run, usage, metricsBefore, metricsAfter };
}

function stageActivity(pass: Pass): StageActivity[] {
  if (!pass.metricsBefore || !pass.metricsAfter) return [];
  const before = pass.metricsBefore;
  return Object.entries(pass.metricsAfter).map(([stage, after]): StageActivity => {
    const was = before[stage] ?? [];
    const model = histogramDelta(histogramOf(after, 'conveyor_model_run_seconds'), histogramOf(was, 'conveyor_model_run_seconds'));
    const duration = histogramDelta(histogramOf(after, 'conveyor_stage_duration_seconds'), histogramOf(was, 'conveyor_stage_duration_seconds'));
    return {
      stage,
      messages: counterSum(after, 'conveyor_messages_consumed_total') - counterSum(was, 'conveyor_messages_consumed_total'),
      modelBusy: model.count > 0 ? model.sum / pass.run.seconds : null,
      meanStageMs: duration.count > 0 ? (1000 * duration.sum) / duration.count : null,
    };
  });
}

function batchSizes(pass: Pass): BatchSizes[] {
  if (!pass.metricsBefore || !pass.metricsAfter) return [];
  const before = pass.metricsBefore;
  return Object.entries(pass.metricsAfter).flatMap(([stage, after]): BatchSizes[] => {
    const h = histogramDelta(histogramOf(after, 'conveyor_batch_size'), histogramOf(before[stage] ?? [], 'conveyor_batch_size'));
    return h.count > 0 ? [{ stage, batches: h.count, mean: h.sum / h.count, distribution: integerDistribution(h) }] : [];
  });
}

function predictionsOf(run: LoadRun, items: readonly CorpusItem[]): Map<string, string[]> {
  const predictions = new Map<string, string[]>();
  for (const c of run.completions) if (c.lines) predictions.set(items[c.index].truth.id, c.lines);
  return predictions;
}

function notes(options: BenchOptions, report: Pick<Report, 'rows'>): string[] {
  const cores = availableParallelism();
  const pipelineRow = report.rows.find((r) => r.reader === 'pipeline');
  return [
    `${cores} cores, CPU only, shared by everything the run starts (and by whatever else runs on the machine: see the load ` +
      `average). Each in-process reader runs as ${options.workers} worker process(es) with 1 intra-op thread each; the ` +
      `pipeline's model stages also run 1 thread each${pipelineRow ? ` (${pipelineRow.workers} stage processes)` : ''}. ` +
      'All readers stay up for the whole run; a reader not being measured is idle.',
    `images/s: median over ${options.rounds} closed-loop pass(es) per reader (all images at once), passes interleaved ` +
      `reader by reader; ${WARM_UP_IMAGES} warm-up images per worker first. The pipeline's time runs from the first ` +
      `submit to the last result in Redis (${options.partitions} partitions per topic). CPU ms/image: CPU time of all ` +
      "the reader's processes in its median pass ÷ images (the pipeline: stages, Kafka JVM, Redis and the producer).",
    'CER: Levenshtein distance of the page text (lines joined by \\n) over the truth length, micro-averaged; ' +
      'exact lines: truth lines read exactly. The peer has no angle classifier, so pages turned by 180° read as garbage.',
    'Latency: from the request (its scheduled arrival in the open loop) to its result; idle = one image at a time. ' +
      'Open loop: images arrive evenly spaced at the offered rate whatever is still running (no coordinated omission).',
  ];
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
  const loadStart = loadavg();
  if (options.stageCpuProf) {
    mkdirSync(options.stageCpuProf, { recursive: true });
    process.env['CPU_PROF_DIR'] = resolve(options.stageCpuProf);
  }

  progress(`rendering ${options.count} images (seed ${options.seed}, rotated share ${options.rotatedShare})`);
  const corpus = await generateCorpus({ seed: options.seed, count: options.count, rotatedShare: options.rotatedShare });

  let started: Awaited<ReturnType<typeof startSystems>>;
  try {
    started = await startSystems(options, corpus, redisUrl, kafkaBrokers);
  } catch (error) {
    if (error instanceof PipelineRunError) process.stderr.write(`${error.logs.join('\n')}\n`);
    throw error;
  }
  const { systems, pipeline } = started;
  const passes = new Map<ReaderName, Pass[]>(systems.map((s) => [s.name, []]));
  const cleanupProblems: string[] = [];
  let report: Report;
  let scores = new Map<ReaderName, CorpusScore>();
  try {
    // Closed loop, interleaved: round r starts with reader r (mod n), so no reader always runs first.
    for (let round = 0; round < options.rounds; round++) {
      for (let k = 0; k < systems.length; k++) {
        const system = systems[(round + k) % systems.length];
        progress(`round ${round + 1}/${options.rounds}: ${system.name} reading ${corpus.items.length} images`);
        const pass = await measuredPass(system, pipeline, (read) => closedLoop(corpus.items, read));
        progress(`  ${system.name}: ${pass.run.seconds.toFixed(1)} s, ${(corpus.items.length / pass.run.seconds).toFixed(2)} images/s`);
        passes.get(system.name)?.push(pass);
      }
    }
    const measurements: Measurement[] = systems.map((s) => {
      const ps = passes.get(s.name) ?? [];
      const first = ps[0].run;
      const score = scoreCorpus(corpus.truth.items, predictionsOf(first, corpus.items));
      scores.set(s.name, score);
      return {
        reader: s.name,
        workers: s.workers,
        images: corpus.items.length,
        passSeconds: ps.map((p) => p.run.seconds),
        passCpuSeconds: ps.map((p) => p.usage.reduce((a, u) => a + u.cpuSeconds, 0)),
        score,
        failed: first.completions.filter((c) => c.error && !/in time/.test(c.error)).length,
        lost: first.completions.filter((c) => c.error && /in time/.test(c.error)).length,
      };
    });
    const rows = buildRows(measurements);
    const processes: ProcessRow[] = systems.map((s) => {
      const ps = passes.get(s.name) ?? [];
      const mid = ps[medianIndex(ps.map((p) => p.run.seconds))];
      return { reader: s.name, usage: mid.usage, images: corpus.items.length, seconds: mid.run.seconds };
    });

    // Idle latency: one image at a time.
    const idle: Report['latency']['idle'] = [];
    if (options.idleImages > 0) {
      const items = Array.from({ length: options.idleImages }, (_, i) => corpus.items[i % corpus.items.length]);
      for (const system of systems) {
        progress(`idle latency: ${system.name}, ${items.length} images one at a time`);
        const run = await idleLoop(items, system.read);
        idle.push({ reader: system.name, images: items.length, latencyMs: summarize(run.completions.filter((c) => !c.error).map((c) => c.latencyMs)) });
      }
    }

    // Open loop at offered loads relative to the fastest reader, the same absolute rates for every reader.
    const openLoopPoints: OpenLoopPoint[] = [];
    const fastest = Math.max(...rows.map((r) => r.imagesPerSecond));
    const loadItems = Array.from({ length: options.loadImages }, (_, i) => corpus.items[i % corpus.items.length]);
    for (const fraction of options.loads) {
      const rate = fraction * fastest;
      for (const system of systems) {
        progress(`open loop: ${system.name} at ${rate.toFixed(2)} images/s (${fraction} × ${fastest.toFixed(2)}), ${loadItems.length} images`);
        const run = await openLoop(loadItems, system.read, rate);
        const ok = run.completions.filter((c) => !c.error);
        openLoopPoints.push({
          reader: system.name,
          offered: rate,
          achieved: ok.length / run.seconds,
          latencyMs: summarize(ok.map((c) => c.latencyMs)),
          images: loadItems.length,
          failed: run.completions.length - ok.length,
        });
      }
    }

    let pipelineDetails: Report['pipeline'];
    let kafkaJvmFlags: string[] = [];
    if (pipeline) {
      const ps = passes.get('pipeline') ?? [];
      const mid = ps[medianIndex(ps.map((p) => p.run.seconds))];
      progress('pipeline: reading message sizes back from the topics');
      pipelineDetails = { activity: stageActivity(mid), batchSizes: batchSizes(mid), hopBytes: await pipeline.hopBytes().catch(() => []) };
      kafkaJvmFlags = pipeline.kafkaJvmFlags();
    }

    const rotated = corpus.truth.items.filter((i) => i.rotated180).length;
    report = {
      date: new Date().toISOString(),
      machine: {
        cpus: availableParallelism(),
        cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
        accelerator: 'CPU only',
        loadAverage: { start: loadStart, end: loadavg() },
      },
      corpus: { seed: options.seed, images: corpus.items.length, upright: corpus.items.length - rotated, rotated, rotatedShare: options.rotatedShare },
      settings: {
        workers: options.workers,
        rounds: options.rounds,
        partitions: options.partitions,
        warmUpImages: WARM_UP_IMAGES,
        readers: options.readers,
        pipelineStages: ocrPipeline.stages.map((s) => ({
          stage: s.name,
          replicas: options.replicas[s.name] ?? s.replicas ?? 1,
          maxInFlight: s.maxInFlight ?? 1,
          ...(s.batch ? { batch: { maxSize: s.batch.maxSize, maxWaitMs: s.batch.maxWaitMs } } : {}),
          env: { ...(s.env ?? {}) },
        })),
        kafkaJvmFlags,
      },
      rows,
      processes,
      latency: { idle, openLoop: openLoopPoints },
      ...(pipelineDetails ? { pipeline: pipelineDetails } : {}),
      notes: [],
    };
    report.notes = notes(options, report);
  } finally {
    for (const s of systems) cleanupProblems.push(...(await s.close().catch((e: unknown) => [`closing ${s.name}: ${(e as Error).message}`])));
  }

  if (options.out) {
    mkdirSync(options.out, { recursive: true });
    if (report.latency.openLoop.length > 0) {
      const chart = join(options.out, 'chart.png');
      await writeChartPng(report.latency.openLoop, `OCR, ${report.corpus.images} images, ${report.machine.cpus} cores (shared), ${report.date.slice(0, 10)}`, chart);
      report.chart = chart;
    }
    writeFileSync(join(options.out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  }
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);

  const engineScore = scores.get('engine');
  const pipelineScore = scores.get('pipeline');
  if (options.showDiffs && engineScore && pipelineScore) printDiffs(engineScore, pipelineScore);
  for (const p of cleanupProblems) progress(p);
  const pipelineRow = report.rows.find((r) => r.reader === 'pipeline');
  const incomplete = pipelineRow !== undefined && (pipelineRow.failed > 0 || pipelineRow.lost > 0);
  if (incomplete && pipeline) progress(`platform log:\n${pipeline.logs.join('\n')}`);
  scores = new Map();
  return incomplete ? 1 : 0;
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

main().then(
  (code) => {
    process.exitCode = code;
    // Worker processes and clients are closed; don't let a stray handle keep the bench alive.
    setTimeout(() => process.exit(code), 1_000).unref();
  },
  (error: unknown) => {
    process.stderr.write(`ocr-bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
    setTimeout(() => process.exit(1), 1_000).unref();
  },
);
