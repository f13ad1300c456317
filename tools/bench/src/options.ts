// Command-line options of the benchmark. Parsing is separate from running so
// the validation (every bad value named, with its allowed range) is testable.
import { Command, InvalidArgumentError } from 'commander';

export interface BenchOptions {
  /** Images in the corpus (all three readers read the same ones). */
  count: number;
  seed: number;
  rotatedShare: number;
  /** Worker processes of each in-process reader, each with its own single-threaded sessions. */
  workers: number;
  /** Which readers run, in this order within a round. */
  readers: ReaderName[];
  /** Closed-loop passes over the corpus per reader, interleaved reader by reader (the report takes the median). */
  rounds: number;
  /** Images read one at a time per reader for the idle latency (0: skip). */
  idleImages: number;
  /** Offered loads of the open-loop passes, as fractions of the fastest reader's closed-loop images/s (empty: skip). */
  loads: number[];
  /** Images per open-loop pass. */
  loadImages: number;
  /** Folder for report.json and chart.png (absent: write nothing). */
  out?: string;
  /** Folder for V8 CPU profiles of the stage processes (node --cpu-prof), written when they stop. */
  stageCpuProf?: string;
  /** Processes per pipeline stage instead of the definition's `replicas`. */
  replicas: Record<string, number>;
  /** Partitions of each pipeline topic. */
  partitions: number;
  /** How long to wait for the pipeline's results before counting the rest as lost. */
  timeoutSeconds: number;
  json: boolean;
  /** Print the items where the engine and the pipeline read different text. */
  showDiffs: boolean;
  /** LOG_LEVEL of the stages; their lines are shown only when the pipeline fails. */
  stageLogLevel: StageLogLevel;
}

export const STAGE_LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type StageLogLevel = (typeof STAGE_LOG_LEVELS)[number];

export const READERS = ['peer', 'engine', 'tesseract', 'pipeline'] as const;
export type ReaderName = (typeof READERS)[number];

export const BENCH_DEFAULTS = {
  count: 40,
  seed: 2026,
  rotatedShare: 0.25,
  workers: 2,
  readers: 'peer,engine,tesseract,pipeline',
  rounds: 2,
  idleImages: 10,
  loads: '0.1,0.25,0.5,0.75,1',
  loadImages: 20,
  partitions: 2,
  timeoutSeconds: 300,
  stageLogLevel: 'warn',
} as const;

/** A commander argument parser for an integer in [min, max]; the message names the option. */
export function integerIn(name: string, min: number, max: number): (value: string) => number {
  return (value: string): number => {
    const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer in [${min}, ${max}], got "${value}".`);
    }
    return n;
  };
}

/** A commander argument parser for a number in [0, 1]. */
export function fractionArg(name: string): (value: string) => number {
  return (value: string): number => {
    const n = /^(\d+(\.\d*)?|\.\d+)$/.test(value.trim()) ? Number(value.trim()) : NaN;
    if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError(`${name} must be a number in [0, 1], got "${value}".`);
    return n;
  };
}

/** A commander argument parser for a comma-separated list of readers (each once, the peer or not). */
export function readersArg(value: string): ReaderName[] {
  const names = value.split(',').map((n) => n.trim().toLowerCase()).filter((n) => n.length > 0);
  const unknown = names.filter((n) => !(READERS as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length > 0 || new Set(names).size !== names.length) {
    throw new InvalidArgumentError(`--readers must be a comma-separated list of distinct readers among ${READERS.join(', ')}, got "${value}".`);
  }
  return names as ReaderName[];
}

/** A commander argument parser for offered loads: comma-separated fractions in (0, 4]; empty or "none" for none. */
export function loadsArg(value: string): number[] {
  const text = value.trim().toLowerCase();
  if (text === '' || text === 'none') return [];
  const loads = text.split(',').map((v) => (/^(\d+(\.\d*)?|\.\d+)$/.test(v.trim()) ? Number(v.trim()) : NaN));
  if (loads.some((l) => !(l > 0 && l <= 4))) {
    throw new InvalidArgumentError(`--loads must be comma-separated fractions in (0, 4] of the fastest reader's images/s, got "${value}".`);
  }
  return [...new Set(loads)].sort((a, b) => a - b);
}

/** A commander argument parser for replica counts: "inference=2,features=1". */
export function replicasArg(value: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of value.split(',').map((p) => p.trim()).filter((p) => p.length > 0)) {
    const m = /^([a-z][a-z0-9-]*)=(\d+)$/.exec(part);
    const n = m ? Number(m[2]) : NaN;
    if (!m || !(n >= 1 && n <= 8)) throw new InvalidArgumentError(`--replicas must be stage=n pairs (n in [1, 8]), comma-separated, got "${value}".`);
    out[m[1]] = n;
  }
  return out;
}

/** A commander argument parser for a stage log level. */
export function logLevelArg(value: string): StageLogLevel {
  const level = value.trim().toLowerCase();
  if (!(STAGE_LOG_LEVELS as readonly string[]).includes(level)) {
    throw new InvalidArgumentError(`--stage-log-level must be one of ${STAGE_LOG_LEVELS.join(', ')}, got "${value}".`);
  }
  return level as StageLogLevel;
}

/** The command, without side effects until parsed; options arrive validated. */
export function buildCommand(): Command {
  return new Command('ocr-bench')
    .description(
      'Reads one rendered corpus with the in-process peers (@gutenye/ocr-node, tesseract.js), our in-process engine and the ' +
        'Conveyor pipeline over Kafka, and prints accuracy, throughput, CPU, memory and latency side by side.',
    )
    .option('--count <n>', 'images in the corpus', integerIn('--count', 1, 10_000), BENCH_DEFAULTS.count)
    .option('--seed <s>', 'corpus seed', integerIn('--seed', 0, 0xffffffff), BENCH_DEFAULTS.seed)
    .option(
      '--rotated-share <p>',
      'share of images turned by 180°',
      fractionArg('--rotated-share'),
      BENCH_DEFAULTS.rotatedShare,
    )
    .option(
      '--workers <n>',
      'worker processes of each in-process reader (peer, engine, tesseract), each with its own 1-thread sessions',
      integerIn('--workers', 1, 16),
      BENCH_DEFAULTS.workers,
    )
    .option('--readers <list>', `readers to run, comma-separated (${READERS.join(', ')})`, readersArg, readersArg(BENCH_DEFAULTS.readers))
    .option('--rounds <n>', 'closed-loop passes per reader, interleaved (the median counts)', integerIn('--rounds', 1, 20), BENCH_DEFAULTS.rounds)
    .option('--idle-images <n>', 'images read one at a time for the idle latency (0: skip)', integerIn('--idle-images', 0, 10_000), BENCH_DEFAULTS.idleImages)
    .option(
      '--loads <fractions>',
      "open-loop offered loads as fractions of the fastest reader's images/s, comma-separated ('none': skip)",
      loadsArg,
      loadsArg(BENCH_DEFAULTS.loads),
    )
    .option('--load-images <n>', 'images per open-loop pass', integerIn('--load-images', 1, 10_000), BENCH_DEFAULTS.loadImages)
    .option('--out <dir>', 'write report.json and chart.png (throughput and p95 latency vs offered load) there')
    .option('--stage-cpu-prof <dir>', 'write V8 CPU profiles of the stage processes there (node --cpu-prof)')
    .option('--replicas <stage=n,…>', "processes per pipeline stage instead of the definition's replicas", replicasArg, {})
    .option(
      '--partitions <n>',
      'partitions of each pipeline topic',
      integerIn('--partitions', 1, 64),
      BENCH_DEFAULTS.partitions,
    )
    .option(
      '--timeout <s>',
      'seconds to wait for the pipeline results',
      integerIn('--timeout', 1, 3_600),
      BENCH_DEFAULTS.timeoutSeconds,
    )
    .option(
      '--stage-log-level <level>',
      `LOG_LEVEL of the stages (${STAGE_LOG_LEVELS.join(', ')}); shown only when the pipeline fails`,
      logLevelArg,
      BENCH_DEFAULTS.stageLogLevel,
    )
    .option('--json', 'print the results as JSON instead of a table', false)
    .option('--show-diffs', 'list the items the engine and the pipeline read differently', false);
}

/** Parses argv (as process.argv: node, script, …) into validated options; commander exits on a usage error. */
export function parseOptions(argv: readonly string[], command: Command = buildCommand()): BenchOptions {
  const o = command.parse([...argv]).opts<{
    count: number;
    seed: number;
    rotatedShare: number;
    workers: number;
    readers: ReaderName[];
    rounds: number;
    idleImages: number;
    loads: number[];
    loadImages: number;
    out?: string;
    stageCpuProf?: string;
    replicas: Record<string, number>;
    partitions: number;
    timeout: number;
    json: boolean;
    showDiffs: boolean;
    stageLogLevel: StageLogLevel;
  }>();
  return {
    count: o.count,
    seed: o.seed,
    rotatedShare: o.rotatedShare,
    workers: o.workers,
    readers: o.readers,
    rounds: o.rounds,
    idleImages: o.idleImages,
    loads: o.loads,
    loadImages: o.loadImages,
    ...(o.out ? { out: o.out } : {}),
    ...(o.stageCpuProf ? { stageCpuProf: o.stageCpuProf } : {}),
    replicas: o.replicas,
    partitions: o.partitions,
    timeoutSeconds: o.timeout,
    json: o.json,
    showDiffs: o.showDiffs,
    stageLogLevel: o.stageLogLevel,
  };
}
